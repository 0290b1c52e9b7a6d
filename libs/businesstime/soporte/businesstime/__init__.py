"""soporte.businesstime — business-hours calendar math (pure; YAML read at load).

Used through the SLA clock rules (deadlines), by the notifier (the expected
response time in acknowledgements) and by projections (local times on pages).
Timezones come from the pinned ``tzdata`` package and public holidays from the
pinned ``holidays`` package, so every service computes the same deadlines.
"""

from .calendar import BusinessCalendar, CalendarError, SpecialDay, parse_interval
from .calendar_config import calendar_from_dict, load_calendar
from .config import parse_duration
from .special_days import PublicHolidays, RecurringDay

__all__ = [
    "BusinessCalendar",
    "CalendarError",
    "PublicHolidays",
    "RecurringDay",
    "SpecialDay",
    "calendar_from_dict",
    "load_calendar",
    "parse_duration",
    "parse_interval",
]
