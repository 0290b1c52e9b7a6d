"""Upcasters turn an old event (raw dict) into the next schema version, before validation.

Register one per (type, from_version); ``upcast`` applies them in a chain until
the type's current version. Old events in Kafka are never rewritten.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

RawEvent = dict[str, Any]
Upcaster = Callable[[RawEvent], RawEvent]

_UPCASTERS: dict[tuple[str, int], Upcaster] = {}


class UnknownSchemaVersion(ValueError):
    """An event is at a version this code cannot read (newer, or no upcaster path)."""


def upcaster(event_type: str, from_version: int) -> Callable[[Upcaster], Upcaster]:
    """Register ``fn`` as the step from ``from_version`` to ``from_version + 1``."""

    def register(fn: Upcaster) -> Upcaster:
        key = (event_type, from_version)
        if key in _UPCASTERS:
            raise ValueError(f"an upcaster for {key} is registered already")
        _UPCASTERS[key] = fn
        return fn

    return register


def has_upcaster(event_type: str, from_version: int) -> bool:
    return (event_type, from_version) in _UPCASTERS


def upcast(raw: RawEvent, current_versions: dict[str, int]) -> RawEvent:
    """Bring ``raw`` to its type's current schema version (a copy; the input is untouched)."""
    event_type = raw.get("type")
    target = current_versions.get(event_type) if isinstance(event_type, str) else None
    if target is None:
        return raw  # unknown types fail validation with a clear message
    version = int(raw.get("schema_version", 1))
    if version > target:
        raise UnknownSchemaVersion(f"{event_type} v{version} is newer than this code (v{target})")
    while version < target:
        step = _UPCASTERS.get((event_type, version))
        if step is None:
            raise UnknownSchemaVersion(f"no upcaster for {event_type} v{version}")
        raw = step(dict(raw))
        version += 1
        raw["schema_version"] = version
    return raw


@upcaster("TicketSubmitted", 1)
def _ticket_submitted_v1_to_v2(raw: RawEvent) -> RawEvent:
    # v1 had no channel and no customer language: every v1 ticket came from the
    # Spanish web form.
    data = dict(raw["data"])
    data.setdefault("channel", "web")
    data["customer"] = {"language": "es", **data["customer"]}
    raw["data"] = data
    return raw
