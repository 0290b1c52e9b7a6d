"""soporte.businesstime — business-hours calendar math (pure; YAML read at load).

Used through the SLA clock rules (deadlines), by the notifier (the expected
response time in acknowledgements) and by projections (local times on pages).
"""

from .calendar import BusinessCalendar, CalendarError, SpecialDay, parse_interval
from .config import calendar_from_dict, load_calendar, parse_duration

__all__ = [
    "BusinessCalendar",
    "CalendarError",
    "SpecialDay",
    "calendar_from_dict",
    "load_calendar",
    "parse_duration",
    "parse_interval",
]
