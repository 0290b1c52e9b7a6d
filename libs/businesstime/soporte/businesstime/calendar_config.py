"""Loading a calendar from YAML: the shop's packaged default, or a file of the operator's.

The shape (only ``timezone`` is needed; it defaults to UTC)::

    timezone: Europe/Madrid                      # IANA name, from the pinned tzdata package
    weekly: {monday: ["00:00-18:00"], ...}       # HH:MM-HH:MM; an end before the start is overnight
    holidays: {country: ES, subdivision: MD}     # from the pinned holidays package; optional language
    recurring:                                   # every year on that day: hours of its own, or closed
      - {month_day: "12-24", name: Nochebuena, hours: ["00:00-14:00"]}
    special_days:                                # one date: hours of its own, or closed (no hours)
      - {date: 2027-05-14, name: Inventario}

A dated entry wins over a recurring one, which wins over a public holiday.

Guarantees: an unknown key, weekday, timezone, country, subdivision or language
is a CalendarError at load, and so is a year the holidays package has no data
for among those the desk will need: from the year before ``today`` to two years
after it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from .calendar import BusinessCalendar
from .intervals import CalendarError, Interval, parse_interval
from .special_days import PublicHolidays, RecurringDay, SpecialDay
from .yamlfile import read_yaml

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_MONTH_DAY = re.compile(r"^(\d{2})-(\d{2})$")


def calendar_from_dict(data: dict[str, Any], *, today: date | None = None) -> BusinessCalendar:
    """A calendar from its YAML shape; ``today`` (default: today's UTC date) sets the years checked for holidays."""
    _known_keys(data, {"timezone", "weekly", "holidays", "recurring", "special_days"}, "calendar")
    weekly_data = data.get("weekly") or {}
    unknown = set(weekly_data) - set(WEEKDAYS)
    if unknown:
        raise CalendarError(f"unknown weekdays: {sorted(unknown)}")
    calendar = BusinessCalendar(
        str(data.get("timezone", "UTC")),
        tuple(_hours(weekly_data.get(day)) for day in WEEKDAYS),
        special_days={special.day: special for special in map(_special_day, data.get("special_days") or ())},
        recurring=tuple(map(_recurring_day, data.get("recurring") or ())),
        public_holidays=_public_holidays(data.get("holidays")),
    )
    # The clock is read here, at load, only when the caller did not say what today is.
    year = (today or datetime.now(UTC).date()).year
    calendar.require_holiday_years(range(year - 1, year + 3))
    return calendar


def load_calendar(path: Path | None = None, *, today: date | None = None) -> BusinessCalendar:
    """The calendar in ``path``, else $SOPORTE_CALENDAR_FILE, else the shop's packaged default."""
    return calendar_from_dict(read_yaml(path, "SOPORTE_CALENDAR_FILE", "calendar.yaml"), today=today)


def _hours(texts: Iterable[str] | None) -> tuple[Interval, ...]:
    return tuple(parse_interval(text) for text in texts or ())


def _special_day(entry: dict[str, Any]) -> SpecialDay:
    _known_keys(entry, {"date", "name", "hours"}, "special_days")
    raw = entry.get("date")
    try:
        day = raw if isinstance(raw, date) else date.fromisoformat(str(raw))
    except ValueError as exc:
        raise CalendarError(f"special_days: bad date {raw!r}: use YYYY-MM-DD") from exc
    return SpecialDay(day, str(entry.get("name", "")), _hours(entry.get("hours")))


def _recurring_day(entry: dict[str, Any]) -> RecurringDay:
    _known_keys(entry, {"month_day", "name", "hours"}, "recurring")
    match = _MONTH_DAY.match(str(entry.get("month_day", "")))
    if not match:
        raise CalendarError(f'recurring: bad month_day {entry.get("month_day")!r}: use MM-DD, e.g. "12-24"')
    return RecurringDay(int(match[1]), int(match[2]), str(entry.get("name", "")), _hours(entry.get("hours")))


def _public_holidays(entry: dict[str, Any] | None) -> PublicHolidays | None:
    if entry is None:
        return None
    _known_keys(entry, {"country", "subdivision", "language"}, "holidays")
    if not entry.get("country"):
        raise CalendarError("holidays: name a country, e.g. {country: ES, subdivision: MD}")
    subdivision, language = entry.get("subdivision"), entry.get("language")
    return PublicHolidays(
        str(entry["country"]),
        str(subdivision) if subdivision is not None else None,
        str(language) if language is not None else None,
    )


def _known_keys(entry: Any, allowed: set[str], where: str) -> None:
    """A misspelt key must not be ignored: a calendar quietly without its holidays is wrong for years."""
    if not isinstance(entry, dict):
        raise CalendarError(f"{where}: expected a mapping, got {entry!r}")
    unknown = set(entry) - allowed
    if unknown:
        raise CalendarError(f"{where}: unknown keys {sorted(unknown)} (known: {sorted(allowed)})")
