"""Per-ticket SLA clocks: a pure state machine driven by ticket events, plus the due-timer heap.

Deadlines come from event time (``occurred_at``) and the calendar, never from
the wall clock, so replaying the same events yields the same deadlines and the
same escalation ids. The wall clock only decides *when* a due timer fires.
"""

from __future__ import annotations

import heapq
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from soporte.businesstime import BusinessCalendar
from soporte.events import Actor, ActorKind, Event, deterministic_id
from soporte.events import types as t
from soporte.ticketrules import SlaPolicies, SlaPolicy

SLA_ACTOR = Actor(kind=ActorKind.SYSTEM, id="sla", name="SLA processor")
_ZERO = timedelta(0)
_WALL_CLOCK = BusinessCalendar.always_open()
WARNING, BREACH = "warning", "breach"


@dataclass
class Clock:
    """One running (or paused) SLA clock episode.

    ``episode`` is the id of the event that started it: a pause/resume keeps it,
    a new start (next customer message) changes it. Each episode warns and
    breaches at most once.
    """

    kind: t.SlaClock
    episode: uuid.UUID
    target: timedelta
    business: bool
    running_since: datetime | None  # event time of the start/resume; None while paused
    elapsed_before: timedelta = _ZERO  # counted time before the current running stretch
    fired: set[str] = field(default_factory=set)  # WARNING / BREACH already raised for this episode

    def calendar(self, business_calendar: BusinessCalendar) -> BusinessCalendar:
        return business_calendar if self.business else _WALL_CLOCK

    def due_at(self, level: str, calendar: BusinessCalendar, warning_fraction: float) -> datetime | None:
        """When ``level`` falls due for this episode (None while paused)."""
        if self.running_since is None:
            return None
        goal = self.target * warning_fraction if level == WARNING else self.target
        remaining = max(goal - self.elapsed_before, _ZERO)
        return self.calendar(calendar).add_business_time(self.running_since, remaining)

    def deadline(self, calendar: BusinessCalendar) -> datetime | None:
        return self.due_at(BREACH, calendar, 1.0)

    def elapsed_at(self, instant: datetime, calendar: BusinessCalendar) -> timedelta:
        if self.running_since is None or instant <= self.running_since:
            return self.elapsed_before
        return self.elapsed_before + self.calendar(calendar).business_time_between(self.running_since, instant)


@dataclass
class TicketClocks:
    """Everything the processor keeps about one ticket."""

    ticket_id: str
    last_version: int = 0
    category: str | None = None
    priority: str | None = None
    submitted_at: datetime | None = None
    first_response_measured: bool = False
    waiting_on_customer: bool = False
    resolved: bool = False
    clocks: dict[t.SlaClock, Clock] = field(default_factory=dict)


@dataclass(frozen=True)
class Due:
    """A timer in the heap. Stale entries are dropped when popped (checked against the state)."""

    at: datetime
    ticket_id: str
    clock: t.SlaClock
    level: str
    episode: uuid.UUID

    def __lt__(self, other: Due) -> bool:
        return (self.at, self.ticket_id, self.clock, self.level) < (other.at, other.ticket_id, other.clock, other.level)


class SlaEngine:
    """Folds ticket events into clocks and turns due timers into escalation events.

    Pure: no I/O; ``now`` is always passed in.
    """

    def __init__(self, calendar: BusinessCalendar, policies: SlaPolicies) -> None:
        self.calendar = calendar
        self.policies = policies
        self.tickets: dict[str, TicketClocks] = {}
        self._heap: list[Due] = []
        self._changed: set[str] = set()

    def restore(self, ticket: TicketClocks) -> None:
        """Take a saved ticket back (at start) and put its running clocks in the heap."""
        self.tickets[ticket.ticket_id] = ticket
        for clock in ticket.clocks.values():
            self._schedule(ticket, clock)

    def take_changed(self) -> list[TicketClocks]:
        """The tickets changed since the last call (what the store must save)."""
        changed = [self.tickets[ticket_id] for ticket_id in sorted(self._changed) if ticket_id in self.tickets]
        self._changed.clear()
        return changed

    # --- events in -----------------------------------------------------------

    def policy(self, ticket: TicketClocks) -> SlaPolicy:
        return self.policies.for_ticket(ticket.category, ticket.priority)

    def apply(self, event: Event) -> list[Event]:
        """Apply one ticket-stream event; returns the KPI events it produces. Duplicates are ignored."""
        if event.ticket_id is None or event.version is None:
            return []
        ticket = self.tickets.setdefault(event.ticket_id, TicketClocks(event.ticket_id))
        if event.version <= ticket.last_version:
            return []  # redelivery or replay of something already applied
        ticket.last_version = event.version
        self._changed.add(ticket.ticket_id)
        at = event.occurred_at
        out: list[Event] = []
        match event:
            case t.TicketSubmitted():
                ticket.category = str(event.data.category)
                ticket.priority = str(event.data.actionability.priority)
                ticket.submitted_at = at
                self._start(ticket, t.SlaClock.FIRST_RESPONSE, event.event_id, at)
                self._start(ticket, t.SlaClock.ATTENTION, event.event_id, at)
            case t.AgentReplied():
                if t.SlaClock.FIRST_RESPONSE in ticket.clocks and not ticket.first_response_measured:
                    out.append(self._first_response_kpi(ticket, event))
                for kind in (t.SlaClock.FIRST_RESPONSE, t.SlaClock.NEXT_RESPONSE, t.SlaClock.ATTENTION):
                    ticket.clocks.pop(kind, None)
                ticket.waiting_on_customer = False
            case t.ClarificationRequested():
                # An agent acted: the ticket is attended; business clocks wait for the customer.
                ticket.clocks.pop(t.SlaClock.ATTENTION, None)
                ticket.waiting_on_customer = True
                for clock in ticket.clocks.values():
                    if clock.business and clock.running_since is not None:
                        clock.elapsed_before = clock.elapsed_at(at, self.calendar)
                        clock.running_since = None
            case t.CustomerReplied():
                if ticket.resolved:
                    pass  # the TicketReopened that intake emits alongside restarts the clocks
                elif ticket.waiting_on_customer:
                    ticket.waiting_on_customer = False
                    paused = [c for c in ticket.clocks.values() if c.running_since is None]
                    for clock in paused:
                        clock.running_since = at
                        self._schedule(ticket, clock)
                    if not paused:
                        self._start(ticket, t.SlaClock.NEXT_RESPONSE, event.event_id, at)
                elif t.SlaClock.FIRST_RESPONSE not in ticket.clocks and t.SlaClock.NEXT_RESPONSE not in ticket.clocks:
                    self._start(ticket, t.SlaClock.NEXT_RESPONSE, event.event_id, at)
            case t.TicketResolved():
                ticket.clocks.clear()
                ticket.resolved = True
                ticket.waiting_on_customer = False
            case t.TicketReopened():
                ticket.resolved = False
                ticket.waiting_on_customer = False
                self._start(ticket, t.SlaClock.NEXT_RESPONSE, event.event_id, at)
            case _:
                pass  # notes, assignments, labels, claims do not touch the clocks
        return out

    def _start(self, ticket: TicketClocks, kind: t.SlaClock, episode: uuid.UUID, at: datetime) -> None:
        policy = self.policy(ticket)
        target = {
            t.SlaClock.FIRST_RESPONSE: policy.first_response,
            t.SlaClock.NEXT_RESPONSE: policy.next_response,
            t.SlaClock.ATTENTION: policy.attention,
        }[kind]
        clock = Clock(kind, episode, target, business=kind != t.SlaClock.ATTENTION, running_since=at)
        ticket.clocks[kind] = clock
        self._schedule(ticket, clock)

    def _schedule(self, ticket: TicketClocks, clock: Clock) -> None:
        fraction = self.policy(ticket).warning_fraction
        for level in (WARNING, BREACH):
            if level not in clock.fired:
                due = clock.due_at(level, self.calendar, fraction)
                if due is not None:
                    heapq.heappush(self._heap, Due(due, ticket.ticket_id, clock.kind, level, clock.episode))

    def _first_response_kpi(self, ticket: TicketClocks, reply: Event) -> Event:
        ticket.first_response_measured = True
        clock = ticket.clocks[t.SlaClock.FIRST_RESPONSE]
        seconds = int(clock.elapsed_at(reply.occurred_at, self.calendar).total_seconds())
        return t.FirstResponseMeasured.create(
            data=t.FirstResponseMeasuredData(
                submitted_at=ticket.submitted_at or reply.occurred_at,
                responded_at=reply.occurred_at,
                business_seconds=seconds,
                category=ticket.category,
            ),
            actor=SLA_ACTOR,
            ticket_id=ticket.ticket_id,
            occurred_at=reply.occurred_at,
            event_id=deterministic_id(ticket.ticket_id, "first_response_measured"),
            causation_id=reply.event_id,
            correlation_id=reply.correlation_id,
        )

    # --- escalations out -------------------------------------------------------

    def mark_fired(self, ticket_id: str, clock: str, level: int, episode: uuid.UUID | None) -> None:
        """Record an escalation already on the topic (read back at start) so it is never raised again."""
        ticket = self.tickets.get(ticket_id)
        if ticket is None or episode is None:
            return
        current = ticket.clocks.get(t.SlaClock(clock))
        if current is not None and current.episode == episode:
            policy = self.policy(ticket)
            current.fired.add(WARNING if level == policy.warning.level else BREACH)
            self._changed.add(ticket_id)

    def next_due_at(self) -> datetime | None:
        return self._heap[0].at if self._heap else None

    def due(self, now: datetime) -> list[Event]:
        """Escalations due at ``now`` (each is marked fired: call :meth:`unfire` if sending fails)."""
        out: list[Event] = []
        while self._heap and self._heap[0].at <= now:
            entry = heapq.heappop(self._heap)
            ticket = self.tickets.get(entry.ticket_id)
            clock = ticket.clocks.get(entry.clock) if ticket else None
            if ticket is None or clock is None or clock.episode != entry.episode or entry.level in clock.fired:
                continue  # stopped, restarted or already raised since it was scheduled
            policy = self.policy(ticket)
            if clock.due_at(entry.level, self.calendar, policy.warning_fraction) != entry.at:
                continue  # paused (and maybe resumed): a fresher entry exists
            clock.fired.add(entry.level)
            self._changed.add(ticket.ticket_id)
            out.append(self._escalation(ticket, clock, entry.level, policy))
        return out

    def unfire(self, event: Event) -> None:
        """Undo :meth:`due` for an escalation that could not be sent, so it is retried."""
        ticket = self.tickets.get(event.ticket_id or "")
        clock = ticket.clocks.get(event.data.clock) if ticket else None
        if ticket and clock and clock.episode == event.causation_id:
            level = WARNING if isinstance(event, t.SlaWarning) else BREACH
            clock.fired.discard(level)
            self._changed.add(ticket.ticket_id)
            self._schedule(ticket, clock)

    def _escalation(self, ticket: TicketClocks, clock: Clock, level: str, policy: SlaPolicy) -> Event:
        deadline = clock.deadline(self.calendar)
        assert deadline is not None  # only running clocks are due
        due = clock.due_at(level, self.calendar, policy.warning_fraction) or deadline
        escalation = policy.warning if level == WARNING else policy.breach
        event_type = t.SlaWarning if level == WARNING else t.SlaBreached
        return event_type.create(
            data=t.EscalationData(
                clock=clock.kind,
                level=escalation.level,
                deadline=deadline,
                target_seconds=int(clock.target.total_seconds()),
                elapsed_seconds=int(clock.elapsed_at(due, self.calendar).total_seconds()),
                notify=list(escalation.notify),
                category=ticket.category,
                priority=ticket.priority,
            ),
            actor=SLA_ACTOR,
            ticket_id=ticket.ticket_id,
            occurred_at=due,
            # Derived, so a restart or replay that raises it again produces the same id.
            event_id=deterministic_id(ticket.ticket_id, clock.kind.value, escalation.level, deadline.isoformat()),
            causation_id=clock.episode,
        )


def utc_now() -> datetime:
    """The default wall clock (injected everywhere as a callable)."""
    return datetime.now(UTC)
