"""soporte.ticketrules — the ticket rules every service shares (pure: no I/O, no wall clock).

The status lifecycle and the actions each status allows (intake decides on them, projections show them), the
canned replies' placeholders, the SLA
policies, and the SLA clocks: ``SlaRules.apply(state, event)`` is the one fold
the SLA worker escalates from and the projections show due times from.
"""

from .canned import PLACEHOLDERS, fill, placeholders_in, unknown_placeholders
from .clocks import (
    ATTENDED_LIVE,
    BREACH,
    RESPONSE_CLOCKS,
    WARNING,
    Clock,
    DueLevel,
    Level,
    TicketClocks,
    Transition,
)
from .escalations import SLA_ACTOR, escalation_event, escalation_id, first_response_event, replay_escalations
from .explain import ClockExplanation, ClockState, Explanation, MovedBy, explain
from .lifecycle import PUBLIC_AGENT_RESPONSES, AgentAction, Status, agent_actions, status_after
from .policies import EscalationLevel, PolicyError, SlaPolicies, SlaPolicy, load_policies, policies_from_dict
from .rules import SlaRules

__all__ = [
    "ATTENDED_LIVE",
    "AgentAction",
    "BREACH",
    "PLACEHOLDERS",
    "PUBLIC_AGENT_RESPONSES",
    "RESPONSE_CLOCKS",
    "SLA_ACTOR",
    "WARNING",
    "Clock",
    "ClockExplanation",
    "ClockState",
    "DueLevel",
    "EscalationLevel",
    "Explanation",
    "Level",
    "MovedBy",
    "PolicyError",
    "SlaPolicies",
    "SlaPolicy",
    "SlaRules",
    "Status",
    "TicketClocks",
    "Transition",
    "agent_actions",
    "escalation_event",
    "escalation_id",
    "explain",
    "fill",
    "first_response_event",
    "load_policies",
    "placeholders_in",
    "policies_from_dict",
    "replay_escalations",
    "status_after",
    "unknown_placeholders",
]
