"""SLA policies: the targets and escalation levels a ticket's clocks start under (from YAML).

A policy file has an ``id`` and a ``version``. Every clock records the policy it
started under (id and version) together with the numbers it needs (target,
warning fraction, levels), so a new file applies only to clocks started after
it; moving the deadlines of running clocks is an explicit, recorded act.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from datetime import timedelta
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from soporte.businesstime import CalendarError, parse_duration
from soporte.events.types import SlaClock


class PolicyError(CalendarError):
    """A policy file that cannot be used."""


@dataclass(frozen=True)
class EscalationLevel:
    level: int
    notify: tuple[str, ...]


@dataclass(frozen=True)
class SlaPolicy:
    """The targets for one ticket. Business clocks use the calendar; ``attention`` is wall-clock."""

    id: str = "default"
    version: int = 1
    first_response: timedelta = timedelta(minutes=15)
    next_response: timedelta = timedelta(minutes=60)
    attention: timedelta = timedelta(hours=24)
    warning_fraction: float = 0.8
    warning: EscalationLevel = EscalationLevel(1, ("team-lead",))
    breach: EscalationLevel = EscalationLevel(2, ("team-lead", "ops"))

    def target(self, kind: SlaClock) -> timedelta:
        return {
            SlaClock.FIRST_RESPONSE: self.first_response,
            SlaClock.NEXT_RESPONSE: self.next_response,
            SlaClock.ATTENTION: self.attention,
        }[kind]


@dataclass(frozen=True)
class SlaPolicies:
    """The default policy with overrides per priority, then per category (category wins)."""

    default: SlaPolicy = field(default_factory=SlaPolicy)
    by_priority: dict[str, dict[str, timedelta]] = field(default_factory=dict)
    by_category: dict[str, dict[str, timedelta]] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return self.default.id

    @property
    def version(self) -> int:
        return self.default.version

    def for_ticket(self, category: str | None, priority: str | None) -> SlaPolicy:
        """The policy of a ticket; its id names the overrides applied (``soporte/priority=urgent``)."""
        policy = self.default
        for name, overrides in (
            (f"priority={priority}", self.by_priority.get(str(priority), {})),
            (f"category={category}", self.by_category.get(str(category), {})),
        ):
            if overrides:
                policy = replace(policy, id=f"{policy.id}/{name}", **overrides)
        return policy


_TARGETS = ("first_response", "next_response", "attention")


def _targets(data: dict[str, Any] | None, where: str) -> dict[str, timedelta]:
    data = data or {}
    unknown = set(data) - set(_TARGETS)
    if unknown:
        raise PolicyError(f"{where}: unknown targets {sorted(unknown)}")
    return {name: parse_duration(value) for name, value in data.items()}


def policies_from_dict(data: dict[str, Any]) -> SlaPolicies:
    """Policies from their YAML shape (see the packaged ``data/policies.yaml``)."""
    fraction = float(data.get("warning_fraction", 0.8))
    if not 0 < fraction < 1:
        raise PolicyError("warning_fraction must be between 0 and 1")
    try:
        version = int(data.get("version", 1))
    except (TypeError, ValueError) as exc:
        raise PolicyError("version must be a whole number") from exc
    levels = data.get("levels") or {}

    def level(name: str, fallback: EscalationLevel) -> EscalationLevel:
        entry = levels.get(name)
        return EscalationLevel(int(entry["level"]), tuple(entry.get("notify") or ())) if entry else fallback

    base = SlaPolicy(id=str(data.get("id", "default")), version=version, warning_fraction=fraction)
    default = replace(
        base,
        **_targets(data.get("default"), "default"),
        warning=level("warning", base.warning),
        breach=level("breach", base.breach),
    )
    return SlaPolicies(
        default=default,
        by_priority={k: _targets(v, f"priorities.{k}") for k, v in (data.get("priorities") or {}).items()},
        by_category={k: _targets(v, f"categories.{k}") for k, v in (data.get("categories") or {}).items()},
    )


def load_policies(path: Path | None = None) -> SlaPolicies:
    """The policies in ``path``, else $SOPORTE_SLA_POLICY_FILE, else the packaged default."""
    path = path or (Path(os.environ["SOPORTE_SLA_POLICY_FILE"]) if os.environ.get("SOPORTE_SLA_POLICY_FILE") else None)
    if path:
        text = path.read_text(encoding="utf-8")
    else:
        text = resources.files(__package__).joinpath("data", "policies.yaml").read_text("utf-8")
    data = yaml.safe_load(text)
    if not isinstance(data, dict):
        raise PolicyError(f"{path or 'policies.yaml'}: expected a mapping")
    return policies_from_dict(data)
