"""soporte.businesstime — business-hours calendar math and SLA policies (pure; YAML read at load).

Used by the SLA processor (deadlines), the notifier (the expected response time
in acknowledgements) and projections (due times in the agent queues).
"""

from .calendar import BusinessCalendar, CalendarError, SpecialDay, parse_interval
from .config import (
    EscalationLevel,
    SlaPolicies,
    SlaPolicy,
    calendar_from_dict,
    load_calendar,
    load_policies,
    parse_duration,
    policies_from_dict,
)

__all__ = [
    "BusinessCalendar",
    "CalendarError",
    "EscalationLevel",
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
