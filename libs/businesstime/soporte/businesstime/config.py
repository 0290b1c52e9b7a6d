"""Loading calendars and SLA policies from YAML (the packaged defaults, or a file of the operator's)."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from .calendar import BusinessCalendar, CalendarError, SpecialDay, parse_interval

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
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


def _read_yaml(path: Path | None, env_var: str, packaged: str) -> dict[str, Any]:
    path = path or (Path(os.environ[env_var]) if os.environ.get(env_var) else None)
    text = (
        path.read_text(encoding="utf-8")
        if path
        else resources.files(__package__).joinpath("data", packaged).read_text("utf-8")
    )
    data = yaml.safe_load(text)
    if not isinstance(data, dict):
        raise CalendarError(f"{path or packaged}: expected a mapping")
    return data


def calendar_from_dict(data: dict[str, Any]) -> BusinessCalendar:
    """A calendar from its YAML shape: timezone, weekly hours per weekday, special days."""
    weekly_data = data.get("weekly") or {}
    unknown = set(weekly_data) - set(WEEKDAYS)
    if unknown:
        raise CalendarError(f"unknown weekdays: {sorted(unknown)}")
    weekly = tuple(tuple(parse_interval(i) for i in weekly_data.get(day) or ()) for day in WEEKDAYS)
    special: dict[date, SpecialDay] = {}
    for entry in data.get("special_days") or ():
        day = entry["date"] if isinstance(entry["date"], date) else date.fromisoformat(str(entry["date"]))
        hours = tuple(parse_interval(i) for i in entry.get("hours") or ())
        special[day] = SpecialDay(day, str(entry.get("name", "")), hours)
    return BusinessCalendar(str(data.get("timezone", "UTC")), weekly, special)


def load_calendar(path: Path | None = None) -> BusinessCalendar:
    """The calendar in ``path``, else $SOPORTE_CALENDAR_FILE, else the shop's packaged default."""
    return calendar_from_dict(_read_yaml(path, "SOPORTE_CALENDAR_FILE", "calendar.yaml"))


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
    return policies_from_dict(_read_yaml(path, "SOPORTE_SLA_POLICY_FILE", "policies.yaml"))
