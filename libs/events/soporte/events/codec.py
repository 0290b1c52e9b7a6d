"""The one wire codec: JSON, UTF-8. aiokafka and faust (through a thin wrapper) both use it."""

from __future__ import annotations

import json
from typing import Any

from pydantic import ValidationError

from .envelope import Event
from .types import ANY_EVENT_ADAPTER, EVENT_TYPES_BY_NAME
from .upcasters import UnknownSchemaVersion, upcast

CURRENT_VERSIONS: dict[str, int] = {name: t.SCHEMA_VERSION for name, t in EVENT_TYPES_BY_NAME.items()}


class UndecodableEvent(ValueError):
    """Bytes that are not a valid Soporte event; a reader dead-letters them."""


def to_dict(event: Event) -> dict[str, Any]:
    """The JSON-ready dict of an event."""
    return event.model_dump(mode="json")


def encode(event: Event) -> bytes:
    """Serialize an event for Kafka (compact JSON, UTF-8)."""
    return event.model_dump_json().encode("utf-8")


def from_dict(raw: dict[str, Any]) -> Event:
    """Validate a raw dict (upcast first) into its event type."""
    try:
        upcasted = upcast(raw, CURRENT_VERSIONS)
    except UnknownSchemaVersion as exc:
        raise UndecodableEvent(str(exc)) from exc
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        # An upcaster or a schema_version tripping on a malformed old record: the record is bad,
        # not the reader; every reader dead-letters UndecodableEvent and goes on.
        raise UndecodableEvent(f"cannot upcast: {exc.__class__.__name__}: {exc}") from exc
    try:
        return ANY_EVENT_ADAPTER.validate_python(upcasted)
    except ValidationError as exc:
        raise UndecodableEvent(str(exc)) from exc


def decode(payload: bytes | str) -> Event:
    """Parse bytes from Kafka into an event, upcasting old schema versions."""
    try:
        raw = json.loads(payload)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise UndecodableEvent(f"not JSON: {exc}") from exc
    if not isinstance(raw, dict):
        raise UndecodableEvent("an event must be a JSON object")
    return from_dict(raw)


def event_key(event: Event) -> bytes:
    """The Kafka key: the ticket id (so a ticket's events share a partition), else the order number, else the
    address a request is about (``AccessLinkRequested``), else the event id."""
    if event.ticket_id:
        return event.ticket_id.encode("utf-8")
    order_number = getattr(event.data, "order_number", None)
    if order_number:
        return str(order_number).encode("utf-8")
    email = getattr(event.data, "email", None)
    if email:
        return str(email).lower().encode("utf-8")  # one address, one key, however it was typed
    return str(event.event_id).encode("utf-8")
