"""A ticket's SLA explained at any instant: each clock's state, deadline, time used, and what last moved it.

Computed by replaying the ticket's events up to that instant through the same
rules the worker escalates on, so the explanation is never a second opinion.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from soporte.events import Event
from soporte.events import types as t
from soporte.events.types import SlaClock

from .clocks import WARNING, Clock, TicketClocks
from .lifecycle import PUBLIC_AGENT_RESPONSES
from .rules import SlaRules


class ClockState(StrEnum):
    RUNNING = "running"
    MET = "met"  # fulfilled by an answer before its deadline
    MISSED = "missed"  # fulfilled, or stopped, at or after its deadline
    STOPPED = "stopped"  # the ticket was resolved before the deadline, with nobody waiting for an answer


@dataclass(frozen=True)
class MovedBy:
    """The event that last started, stopped or changed a clock."""

    type: str
    version: int
    occurred_at: datetime


@dataclass(frozen=True)
class ClockExplanation:
    kind: SlaClock
    state: ClockState
    started_at: datetime
    warning_at: datetime
    deadline: datetime
    ended_at: datetime | None  # when it was fulfilled or stopped
    used: timedelta  # counted time (business time for business clocks) up to the instant, or to its end
    remaining: timedelta | None  # until the deadline, while it runs (negative: overdue)
    business: bool
    policy_id: str
    policy_version: int
    moved_by: MovedBy


@dataclass(frozen=True)
class Explanation:
    ticket_id: str
    at: datetime
    version: int  # the last event applied
    attended_live: bool  # opened by an agent during a call or chat: no first-response clock
    clocks: tuple[ClockExplanation, ...]  # the latest episode of each clock that ever started


def explain(events: Iterable[Event], rules: SlaRules, at: datetime) -> Explanation:
    """The SLA of one ticket at ``at``, from its events (others' and later ones are ignored)."""
    state: TicketClocks | None = None
    latest: dict[SlaClock, ClockExplanation] = {}
    calendar = rules.calendar
    for event in sorted(events, key=lambda e: e.version or 0):
        if event.occurred_at > at or not isinstance(event, t.TICKET_STREAM_TYPES):
            continue
        state = state or TicketClocks(event.ticket_id or "")
        transition = rules.apply(state, event)
        state = transition.state
        moved = MovedBy(event.type, event.version or 0, event.occurred_at)
        for clock in transition.stopped:
            answered = isinstance(event, PUBLIC_AGENT_RESPONSES)
            late = event.occurred_at >= clock.deadline(calendar)
            ended = ClockState.MISSED if late else (ClockState.MET if answered else ClockState.STOPPED)
            latest[clock.kind] = _explained(clock, rules, ended, event.occurred_at, at, moved)
        for kind in transition.moved:
            clock = state.clock(kind)
            if clock is not None:
                latest[kind] = _explained(clock, rules, ClockState.RUNNING, None, at, moved)
    return Explanation(
        ticket_id=state.ticket_id if state else "",
        at=at,
        version=state.version if state else 0,
        attended_live=bool(state and state.attended_live),
        clocks=tuple(latest[kind] for kind in SlaClock if kind in latest),
    )


def _explained(
    clock: Clock, rules: SlaRules, state: ClockState, ended_at: datetime | None, at: datetime, moved: MovedBy
) -> ClockExplanation:
    calendar = rules.calendar
    deadline = clock.deadline(calendar)
    until = ended_at or at
    warning = next(level for level in clock.levels if level.name == WARNING)
    remaining = None
    if state is ClockState.RUNNING:
        counter = clock.calendar(calendar)
        remaining = (
            counter.business_time_between(at, deadline)
            if at < deadline
            else -counter.business_time_between(deadline, at)
        )
    return ClockExplanation(
        kind=clock.kind,
        state=state,
        started_at=clock.started_at,
        warning_at=clock.due_at(warning, calendar),
        deadline=deadline,
        ended_at=ended_at,
        used=clock.elapsed(until, calendar),
        remaining=remaining,
        business=clock.business,
        policy_id=clock.policy_id,
        policy_version=clock.policy_version,
        moved_by=moved,
    )
