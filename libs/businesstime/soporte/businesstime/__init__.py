"""soporte.businesstime — business-hours calendar math and SLA policies (pure; YAML read at load).

Used by the SLA processor (deadlines), the notifier (the expected response time
in acknowledgements) and projections (due times in the agent queues). Timezones
come from the pinned ``tzdata`` package and public holidays from the pinned
``holidays`` package, so every service computes the same deadlines.
"""

from .calendar import BusinessCalendar, CalendarError, SpecialDay, parse_interval
from .calendar_config import calendar_from_dict, load_calendar
from .config import (
    EscalationLevel,
    SlaPolicies,
    SlaPolicy,
    load_policies,
    parse_duration,
    policies_from_dict,
)
from .special_days import PublicHolidays, RecurringDay

__all__ = [
    "BusinessCalendar",
    "CalendarError",
    "EscalationLevel",
    "PublicHolidays",
    "RecurringDay",
    "SlaPolicies",
    "SlaPolicy",
    "SpecialDay",
    "calendar_from_dict",
    "load_calendar",
    "load_policies",
    "parse_duration",
    "parse_interval",
    "policies_from_dict",
]
