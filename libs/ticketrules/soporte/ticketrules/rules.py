"""A ticket's SLA clocks: immutable state, and ``SlaRules.apply(state, event)``: the next state.

The one home of the clock rules; the SLA worker (timers, escalations) and the
projections (due times in the queues) both fold events through it, so what the
queue shows is the deadline the worker escalates on.

What moves the clocks (the README's sla section has the same table):

- a ticket submitted by a customer or guest starts *first response* (business
  time) and *attention* (24 wall-clock hours); one an agent opens for a caller
  (phone, chat) was attended live and starts neither;
- a public agent response (reply, clarification request, return label, courier
  claim) fulfils the running response clocks and attention, and the first one
  measures the first response;
- a customer message starts *next response* when no response clock runs;
- a resolution stops every clock; reopening, notes and assignments start none.

Everything comes from event time (``occurred_at``) and the calendar, never from
the wall clock, so the same history always gives the same deadlines. When an
event stops a clock, every level of it due at or before the event is reported
as overdue: escalations are a function of the history, however late it is read.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from soporte.businesstime import BusinessCalendar
from soporte.events import Event
from soporte.events import types as t
from soporte.events.types import SlaClock

from .clocks import ATTENDED_LIVE, BREACH, RESPONSE_CLOCKS, WARNING, Clock, DueLevel, Level, TicketClocks, Transition
from .lifecycle import PUBLIC_AGENT_RESPONSES, status_after
from .policies import SlaPolicies, SlaPolicy


class SlaRules:
    """The clock rules with their calendar and policies (pure: no I/O, no wall clock)."""

    def __init__(self, calendar: BusinessCalendar, policies: SlaPolicies) -> None:
        self.calendar, self.policies = calendar, policies

    def policy(self, state: TicketClocks) -> SlaPolicy:
        return self.policies.for_ticket(state.category, state.priority)

    def start(self, state: TicketClocks, kind: SlaClock, *, episode: str, at: datetime) -> Clock:
        """A clock of ``kind`` started at ``at`` by the event ``episode`` under the ticket's current policy."""
        policy = self.policy(state)
        levels = (
            Level(WARNING, policy.warning.level, policy.warning.notify, policy.warning_fraction),
            Level(BREACH, policy.breach.level, policy.breach.notify, 1.0),
        )
        return Clock(
            kind=kind,
            episode=episode,
            started_at=at,
            target_seconds=int(policy.target(kind).total_seconds()),
            business=kind is not SlaClock.ATTENTION,
            levels=levels,
            policy_id=policy.id,
            policy_version=policy.version,
        )

    def levels_due(self, clock: Clock, up_to: datetime) -> tuple[DueLevel, ...]:
        """The levels of ``clock`` due at or before ``up_to``."""
        due = (DueLevel(clock, level, clock.due_at(level, self.calendar)) for level in clock.levels)
        return tuple(d for d in due if d.at <= up_to)

    def apply(self, state: TicketClocks, event: Event) -> Transition:
        """The clocks after ``event`` (a ticket-stream event of ``state``'s ticket, next in version order)."""
        if event.version is None or event.version <= state.version:
            return Transition(state, applied=False)
        at = event.occurred_at
        state = replace(state, version=event.version, status=status_after(state.status, event))
        stop: tuple[SlaClock, ...] = ()
        start: tuple[SlaClock, ...] = ()
        fulfilled_first = None
        match event:
            case t.TicketSubmitted():
                data = event.data
                attended_live = data.channel in ATTENDED_LIVE
                state = replace(
                    state,
                    category=str(data.category),
                    priority=str(data.actionability.priority),
                    attended_live=attended_live,
                    submitted_at=at,
                )
                start = () if attended_live else (SlaClock.FIRST_RESPONSE, SlaClock.ATTENTION)
            case _ if isinstance(event, PUBLIC_AGENT_RESPONSES):
                stop = RESPONSE_CLOCKS
                fulfilled_first = state.clock(SlaClock.FIRST_RESPONSE)
                if state.first_responded_at is None:
                    state = replace(state, first_responded_at=at)
            case t.CustomerReplied():
                if not state.clock(SlaClock.FIRST_RESPONSE) and not state.clock(SlaClock.NEXT_RESPONSE):
                    start = (SlaClock.NEXT_RESPONSE,)
            case t.TicketResolved():
                stop = tuple(c.kind for c in state.clocks)
            case t.SlaDeadlineChanged():
                return self._deadline_changed(state, event)
            case _:
                pass  # reopenings, notes and assignments move no clock
        stopped = tuple(c for c in state.clocks if c.kind in stop)
        started = tuple(self.start(state, kind, episode=str(event.event_id), at=at) for kind in start)
        state = replace(state, clocks=tuple(c for c in state.clocks if c.kind not in stop) + started)
        overdue = tuple(due for clock in stopped for due in self.levels_due(clock, at))
        return Transition(
            state,
            started=started,
            stopped=stopped,
            overdue=overdue,
            first_response=fulfilled_first,
            moved=tuple(c.kind for c in stopped + started),
        )

    def _deadline_changed(self, state: TicketClocks, event: t.SlaDeadlineChanged) -> Transition:
        """A running clock takes the recalculated targets (same start, same episode); another episode is untouched."""
        data = event.data
        clocks = tuple(
            replace(
                c,
                target_seconds=data.target_seconds,
                levels=tuple(
                    replace(lv, fraction=data.warning_fraction) if lv.name == WARNING else lv for lv in c.levels
                ),
                policy_id=data.policy_id,
                policy_version=data.policy_version,
            )
            if c.kind == data.clock and c.episode == data.episode
            else c
            for c in state.clocks
        )
        moved = (data.clock,) if clocks != state.clocks else ()
        return Transition(replace(state, clocks=clocks), moved=moved)

    def recalculated(self, state: TicketClocks, clock: Clock) -> Clock:
        """``clock`` with the targets these rules give the ticket now (what a recalculation would set)."""
        fresh = self.start(state, clock.kind, episode=clock.episode, at=clock.started_at)
        return replace(
            clock,
            target_seconds=fresh.target_seconds,
            levels=fresh.levels,
            policy_id=fresh.policy_id,
            policy_version=fresh.policy_version,
        )
