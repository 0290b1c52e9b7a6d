"""Per-ticket SLA clocks: a pure fold of ticket events into clock state, and the escalations that fall due.

Deadlines come from event time (``occurred_at``) and the calendar, never from
the wall clock at processing time, so replaying the topic derives the same
deadlines and the same escalation ids. The wall clock only decides *when* a due
escalation is emitted (``due_escalations(state, now)``).

Clocks:
- first response (business time): from submission to the first public agent reply;
- next response (business time): from a customer message to the next agent reply;
- attention (wall-clock): from submission to the first agent action, whatever the day.
Business clocks pause while the ticket waits on the customer and resume with the
elapsed time kept.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from soporte.businesstime import BusinessCalendar, SlaPolicies, SlaPolicy
from soporte.events import Actor, ActorKind, Event, deterministic_id
from soporte.events import types as t

ZERO = timedelta(0)


@dataclass(frozen=True)
class Clock:
    """One running (or paused) clock. ``elapsed`` is what was used before ``running_since``."""

    name: t.SlaClock
    target: timedelta
    business: bool
    elapsed: timedelta = ZERO
    running_since: datetime | None = None  # None while paused
    started_at: datetime | None = None

    def used(self, calendar: BusinessCalendar, at: datetime) -> timedelta:
        """Time used by ``at``: business time for business clocks, wall-clock otherwise."""
        if self.running_since is None:
            return self.elapsed
        span = calendar.business_time_between(self.running_since, at) if self.business else at - self.running_since
        return self.elapsed + max(span, ZERO)

    def deadline_for(self, calendar: BusinessCalendar, fraction: float) -> datetime | None:
        """When ``fraction`` of the target is used, given the clock keeps running (None while paused)."""
        if self.running_since is None:
            return None
        remaining = self.target * fraction - self.elapsed
        if remaining <= ZERO:
            return self.running_since
        if self.business:
            return calendar.add_business_time(self.running_since, remaining)
        return self.running_since + remaining

    def paused(self, calendar: BusinessCalendar, at: datetime) -> "Clock":
        if self.running_since is None:
            return self
        return replace(self, elapsed=self.used(calendar, at), running_since=None)

    def resumed(self, at: datetime) -> "Clock":
        return self if self.running_since is not None else replace(self, running_since=at)


@dataclass(frozen=True)
class Escalation:
    """A warning or breach that is due at ``due_at`` (event-time deadline)."""

    escalation_id: str
    ticket_id: str
    kind: str  # "warning" | "breach"
    clock: t.SlaClock
    level: int
    deadline: datetime
    target: timedelta
    notify: tuple[str, ...]

    @property
    def due_at(self) -> datetime:
        return self.deadline


@dataclass(frozen=True)
class TicketClocks:
    """Everything the SLA processor keeps for one ticket."""

    ticket_id: str
    last_version: int = 0
    category: str | None = None
    priority: str | None = None
    submitted_at: datetime | None = None
    first_response_at: datetime | None = None
    waiting_on_customer: bool = False
    resolved: bool = False
    clocks: dict[t.SlaClock, Clock] = field(default_factory=dict)
    fired: frozenset[str] = frozenset()  # escalation ids already emitted


@dataclass(frozen=True)
class Applied:
    """The new state, plus a KPI measurement when this event was the first response."""

    state: TicketClocks
    first_response: t.FirstResponseMeasuredData | None = None


def apply_event(state: TicketClocks, event: Event, calendar: BusinessCalendar, policies: SlaPolicies) -> Applied:
    """Fold one ticket event into the clocks. An already-seen version changes nothing."""
    if event.version is None or event.version <= state.last_version:
        return Applied(state)
    at = event.occurred_at
    state = replace(state, last_version=event.version)
    data = event.data
    kpi = None

    if isinstance(event, t.TicketSubmitted):
        priority = data.actionability.priority.value
        policy = policies.for_ticket(data.category.value, priority)
        state = replace(
            state,
            category=data.category.value,
            priority=priority,
            submitted_at=at,
            clocks={
                t.SlaClock.FIRST_RESPONSE: _clock(t.SlaClock.FIRST_RESPONSE, policy, at),
                t.SlaClock.ATTENTION: _clock(t.SlaClock.ATTENTION, policy, at),
            },
        )
    elif isinstance(event, t.AgentReplied):
        clocks = dict(state.clocks)
        first = clocks.pop(t.SlaClock.FIRST_RESPONSE, None)
        if first is not None and state.first_response_at is None:
            used = first.used(calendar, at)
            kpi = t.FirstResponseMeasuredData(
                submitted_at=state.submitted_at or at,
                responded_at=at,
                business_seconds=int(used.total_seconds()),
                category=state.category,
            )
            state = replace(state, first_response_at=at)
        clocks.pop(t.SlaClock.NEXT_RESPONSE, None)
        clocks.pop(t.SlaClock.ATTENTION, None)
        state = replace(state, clocks=clocks, waiting_on_customer=False)
    elif isinstance(event, t.ClarificationRequested | t.ReturnLabelIssued | t.CourierClaimOpened):
        # An agent acted on the ticket: it is attended (assigning it is not attending it).
        clocks = {n: c for n, c in state.clocks.items() if n is not t.SlaClock.ATTENTION}
        if isinstance(event, t.ClarificationRequested):
            # Waiting on the customer: business clocks pause, keeping what they used.
            clocks = {n: c.paused(calendar, at) for n, c in clocks.items()}
            state = replace(state, waiting_on_customer=True)
        state = replace(state, clocks=clocks)
    elif isinstance(event, t.CustomerReplied):
        clocks = dict(state.clocks)
        if state.waiting_on_customer:
            clocks = {n: c.resumed(at) for n, c in clocks.items()}
        elif t.SlaClock.FIRST_RESPONSE not in clocks and t.SlaClock.NEXT_RESPONSE not in clocks:
            policy = policies.for_ticket(state.category, state.priority)
            clocks[t.SlaClock.NEXT_RESPONSE] = _clock(t.SlaClock.NEXT_RESPONSE, policy, at)
        state = replace(state, clocks=clocks, waiting_on_customer=False, resolved=False)
    elif isinstance(event, t.TicketResolved):
        state = replace(state, clocks={}, resolved=True, waiting_on_customer=False)
    elif isinstance(event, t.TicketReopened):
        state = replace(state, resolved=False)
        if not state.clocks:
            policy = policies.for_ticket(state.category, state.priority)
            state = replace(state, clocks={t.SlaClock.NEXT_RESPONSE: _clock(t.SlaClock.NEXT_RESPONSE, policy, at)})
    return Applied(state, kpi)


def _clock(name: t.SlaClock, policy: SlaPolicy, at: datetime) -> Clock:
    if name is t.SlaClock.ATTENTION:
        return Clock(name, policy.attention, business=False, running_since=at, started_at=at)
    target = policy.first_response if name is t.SlaClock.FIRST_RESPONSE else policy.next_response
    return Clock(name, target, business=True, running_since=at, started_at=at)


def pending_escalations(state: TicketClocks, calendar: BusinessCalendar, policies: SlaPolicies) -> list[Escalation]:
    """The warnings and breaches the running clocks will reach, not yet fired, soonest first."""
    policy = policies.for_ticket(state.category, state.priority)
    found = []
    for clock in state.clocks.values():
        for kind, fraction, level in (
            ("warning", policy.warning_fraction, policy.warning),
            ("breach", 1.0, policy.breach),
        ):
            deadline = clock.deadline_for(calendar, fraction)
            if deadline is None:
                continue
            escalation_id = str(deterministic_id(state.ticket_id, clock.name.value, level.level, deadline.isoformat()))
            if escalation_id in state.fired:
                continue
            found.append(
                Escalation(escalation_id, state.ticket_id, kind, clock.name, level.level, deadline, clock.target, level.notify)
            )
    return sorted(found, key=lambda e: e.due_at)


def due_escalations(state: TicketClocks, calendar: BusinessCalendar, policies: SlaPolicies, now: datetime) -> list[Escalation]:
    """Those pending escalations whose deadline has passed by ``now`` (the wall clock)."""
    return [e for e in pending_escalations(state, calendar, policies) if e.due_at <= now]


def mark_fired(state: TicketClocks, escalation_ids: list[str]) -> TicketClocks:
    return replace(state, fired=state.fired | frozenset(escalation_ids))


def escalation_event(escalation: Escalation, state: TicketClocks, calendar: BusinessCalendar) -> Event:
    """The SlaWarning/SlaBreached event for an escalation; its id is the deterministic escalation id."""
    clock = state.clocks.get(escalation.clock)
    elapsed = clock.used(calendar, escalation.deadline) if clock else escalation.target
    data = t.EscalationData(
        clock=escalation.clock,
        level=escalation.level,
        deadline=escalation.deadline,
        target_seconds=int(escalation.target.total_seconds()),
        elapsed_seconds=int(elapsed.total_seconds()),
        notify=list(escalation.notify),
        category=state.category,
        priority=state.priority,
    )
    cls = t.SlaWarning if escalation.kind == "warning" else t.SlaBreached
    return cls.create(
        data=data,
        actor=Actor(kind=ActorKind.SYSTEM, id="sla"),
        occurred_at=escalation.deadline,
        ticket_id=state.ticket_id,
        event_id=uuid.UUID(escalation.escalation_id),
    )
