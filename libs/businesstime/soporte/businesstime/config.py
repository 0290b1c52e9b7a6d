"""Loading SLA policies from YAML (the packaged defaults, or a file of the operator's), and durations."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path
from typing import Any

from .intervals import CalendarError
from .yamlfile import read_yaml

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d)\s*$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def parse_duration(value: Any) -> timedelta:
    """``"15m"``, ``"24h"``, ``"90s"``, ``"1d"`` or a number of seconds."""
    if isinstance(value, int | float):
        return timedelta(seconds=value)
    match = _DURATION.match(str(value))
    if not match:
        raise CalendarError(f"bad duration {value!r}: use e.g. 90s, 15m, 24h, 1d")
    return timedelta(**{_UNITS[match[2]]: float(match[1])})


@dataclass(frozen=True)
class EscalationLevel:
    level: int
    notify: tuple[str, ...]


@dataclass(frozen=True)
class SlaPolicy:
    """The targets for one ticket. Business clocks use the calendar; ``attention`` is wall-clock."""

    first_response: timedelta = timedelta(minutes=15)
    next_response: timedelta = timedelta(minutes=60)
    attention: timedelta = timedelta(hours=24)
    warning_fraction: float = 0.8
    warning: EscalationLevel = EscalationLevel(1, ("team-lead",))
    breach: EscalationLevel = EscalationLevel(2, ("team-lead", "ops"))


@dataclass(frozen=True)
class SlaPolicies:
    """The default policy with overrides per priority, then per category (category wins)."""

    default: SlaPolicy = field(default_factory=SlaPolicy)
    by_priority: dict[str, dict[str, timedelta]] = field(default_factory=dict)
    by_category: dict[str, dict[str, timedelta]] = field(default_factory=dict)

    def for_ticket(self, category: str | None, priority: str | None) -> SlaPolicy:
        policy = self.default
        for overrides in (self.by_priority.get(str(priority), {}), self.by_category.get(str(category), {})):
            if overrides:
                policy = replace(policy, **overrides)
        return policy


_TARGETS = ("first_response", "next_response", "attention")


def _targets(data: dict[str, Any] | None, where: str) -> dict[str, timedelta]:
    data = data or {}
    unknown = set(data) - set(_TARGETS)
    if unknown:
        raise CalendarError(f"{where}: unknown targets {sorted(unknown)}")
    return {name: parse_duration(value) for name, value in data.items()}


def policies_from_dict(data: dict[str, Any]) -> SlaPolicies:
    fraction = float(data.get("warning_fraction", 0.8))
    if not 0 < fraction < 1:
        raise CalendarError("warning_fraction must be between 0 and 1")
    levels = data.get("levels") or {}

    def level(name: str, fallback: EscalationLevel) -> EscalationLevel:
        entry = levels.get(name)
        return EscalationLevel(int(entry["level"]), tuple(entry.get("notify") or ())) if entry else fallback

    base = SlaPolicy(warning_fraction=fraction)
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
    return policies_from_dict(read_yaml(path, "SOPORTE_SLA_POLICY_FILE", "policies.yaml"))
