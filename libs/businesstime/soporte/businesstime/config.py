"""Loading calendars from YAML (the packaged default, or a file of the operator's)."""

from __future__ import annotations

import os
import re
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
