"""The events the clock rules produce: escalations (warning, breach) and the first-response KPI.

Their ids are derived from what they are about (ticket, clock, level, deadline;
ticket for the KPI), so raising one again, by a timer, by a late event that
stops the clock, by a restart or a replay, always gives the same id.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime

from soporte.businesstime import BusinessCalendar
from soporte.events import Actor, ActorKind, Event, deterministic_id
from soporte.events import types as t

from .clocks import WARNING, Clock, DueLevel, TicketClocks
from .rules import SlaRules

SLA_ACTOR = Actor(kind=ActorKind.SYSTEM, id="sla", name="SLA processor")


def escalation_id(ticket_id: str, clock: Clock, level_number: int, calendar: BusinessCalendar) -> uuid.UUID:
    return deterministic_id(ticket_id, clock.kind.value, level_number, clock.deadline(calendar).isoformat())


def escalation_event(state: TicketClocks, due: DueLevel, calendar: BusinessCalendar) -> Event:
    """The SlaWarning or SlaBreached for ``due`` (occurring at its due time)."""
    clock, level = due.clock, due.level
    event_type = t.SlaWarning if level.name == WARNING else t.SlaBreached
    return event_type.create(
        data=t.EscalationData(
            clock=clock.kind,
            level=level.number,
            deadline=clock.deadline(calendar),
            target_seconds=clock.target_seconds,
            elapsed_seconds=int(clock.target_seconds * level.fraction),
            notify=list(level.notify),
            category=state.category,
            priority=state.priority,
        ),
        actor=SLA_ACTOR,
        ticket_id=state.ticket_id,
        occurred_at=due.at,
        event_id=escalation_id(state.ticket_id, clock, level.number, calendar),
        causation_id=uuid.UUID(clock.episode),
    )


def first_response_event(state: TicketClocks, clock: Clock, reply: Event, calendar: BusinessCalendar) -> Event:
    """The KPI: business time from submission to the first public agent response."""
    return t.FirstResponseMeasured.create(
        data=t.FirstResponseMeasuredData(
            submitted_at=clock.started_at,
            responded_at=reply.occurred_at,
            business_seconds=int(clock.elapsed(reply.occurred_at, calendar).total_seconds()),
            category=state.category,
        ),
        actor=SLA_ACTOR,
        ticket_id=state.ticket_id,
        occurred_at=reply.occurred_at,
        event_id=deterministic_id(state.ticket_id, "first_response_measured"),
        causation_id=reply.event_id,
        correlation_id=reply.correlation_id,
    )


def replay_escalations(events: Iterable[Event], rules: SlaRules, up_to: datetime) -> dict[uuid.UUID, Event]:
    """Every escalation a history gives by ``up_to``, by id: the offline answer the worker must match.

    Levels of a clock an event stopped count when due at or before that event;
    levels of clocks still running count when due at or before ``up_to``.
    """
    states: dict[str, TicketClocks] = {}
    raised: dict[uuid.UUID, Event] = {}
    for event in sorted(events, key=lambda e: (e.ticket_id or "", e.version or 0)):
        if event.ticket_id is None or not isinstance(event, t.TICKET_STREAM_TYPES):
            continue
        transition = rules.apply(states.get(event.ticket_id) or TicketClocks(event.ticket_id), event)
        states[event.ticket_id] = transition.state
        for due in transition.overdue:
            escalation = escalation_event(transition.state, due, rules.calendar)
            raised[escalation.event_id] = escalation
    for state in states.values():
        for clock in state.clocks:
            for due in rules.levels_due(clock, up_to):
                escalation = escalation_event(state, due, rules.calendar)
                raised[escalation.event_id] = escalation
    return raised
