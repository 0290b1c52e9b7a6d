"""Each ticket's SLA facts, and the open backlog's moves (pure): what the reports, the dashboard and the export read.

The facts follow a ticket's events through the one set of clock rules
(``SlaRules``), so they are a function of the history and a rebuild recomputes
them:

- the first response is measured as the SLA worker measures its
  ``FirstResponseMeasured`` KPI: the business time the first-response clock
  counted from the submission to the public agent response that fulfilled it
  (``Transition.first_response``). The dashboard's average is therefore the
  published KPI; a ticket an agent opened during a call or chat has no such
  clock and is not measured (it was attended live);
- a first response is *in time* when it came before the clock's deadline, that
  is when the business time counted is below the clock's own target: exactly
  when the SLA worker raises no breach for it;
- attention (24 wall-clock hours) ends with the first public response or the
  resolution; it was *met* when it ended before its deadline, *missed* when it
  ended at or after it, or has not ended by a deadline already past.

The open backlog is kept as moves: every change of a ticket's status is a -1
for the status it leaves (unless it was resolved, or the ticket is new) and a
+1 for the one it enters (unless resolved), on the desk's day of the event. The
backlog at the end of a day is the sum of the moves up to that day.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, tzinfo

from soporte.businesstime import BusinessCalendar
from soporte.events import Event
from soporte.events import types as t
from soporte.events.types import SlaClock
from soporte.ticketrules import Status, Transition


@dataclass(frozen=True)
class SlaFact:
    """One ticket's SLA facts (the ``sla_facts`` row, fields in its column order)."""

    ticket_id: str
    category: str
    channel: str
    created_at: datetime
    attended_live: bool  # opened by an agent during a call or chat: no first-response clock
    first_response_at: datetime | None = None
    first_response_seconds: int | None = None  # business seconds the first-response clock counted
    first_response_target_seconds: int | None = None  # that clock's target
    first_responder_id: str | None = None
    first_responder_name: str | None = None
    attention_due: datetime | None = None
    attended_at: datetime | None = None  # when the attention clock ended (an answer or the resolution)
    resolved_at: datetime | None = None

    @property
    def answered_in_time(self) -> bool | None:
        """Whether the measured first response came before its deadline (None: not measured)."""
        if self.first_response_seconds is None or self.first_response_target_seconds is None:
            return None
        return self.first_response_seconds < self.first_response_target_seconds

    def attention_met(self, now: datetime) -> bool | None:
        """Attended before the 24-hour deadline (True), not (False), or not known yet at ``now`` (None)."""
        if self.attention_due is None:
            return None
        if self.attended_at is not None:
            return self.attended_at < self.attention_due
        return False if self.attention_due <= now else None


@dataclass(frozen=True)
class BacklogMove:
    """How many tickets entered (+) or left (-) a status of a category on one of the desk's days."""

    day: date
    category: str
    status: str
    moved: int


def fact_after(
    fact: SlaFact | None, event: Event, transition: Transition, calendar: BusinessCalendar
) -> SlaFact | None:
    """The ticket's facts once ``event`` (applied by the rules as ``transition``) is in; None for a ticket whose
    submission was read before these facts existed (a rebuild fills them)."""
    at = event.occurred_at
    if isinstance(event, t.TicketSubmitted):
        data = event.data
        fact = SlaFact(event.ticket_id or "", str(data.category), str(data.channel), at, transition.state.attended_live)
    if fact is None:
        return None
    for clock in transition.started:
        if clock.kind is SlaClock.ATTENTION:
            fact = replace(fact, attention_due=clock.deadline(calendar))
    if transition.first_response is not None:
        clock = transition.first_response
        fact = replace(
            fact,
            first_response_seconds=int(clock.elapsed(at, calendar).total_seconds()),
            first_response_target_seconds=clock.target_seconds,
        )
    if fact.first_response_at is None and transition.state.first_responded_at is not None:
        fact = replace(
            fact,
            first_response_at=transition.state.first_responded_at,
            first_responder_id=event.actor.id,
            first_responder_name=event.actor.name,
        )
    for clock in transition.stopped:
        if clock.kind is SlaClock.ATTENTION:
            fact = replace(fact, attended_at=at, attention_due=clock.deadline(calendar))
    if isinstance(event, t.SlaDeadlineChanged) and SlaClock.ATTENTION in transition.moved:
        running = transition.state.clock(SlaClock.ATTENTION)
        fact = replace(fact, attention_due=running.deadline(calendar)) if running else fact
    if isinstance(event, t.TicketResolved):
        fact = replace(fact, resolved_at=at)
    elif isinstance(event, t.TicketReopened):
        fact = replace(fact, resolved_at=None)
    return fact


def backlog_moves(
    before: Status | None, after: Status | None, category: str, at: datetime, tz: tzinfo
) -> list[BacklogMove]:
    """The moves of a ticket whose status went from ``before`` (None: it is new) to ``after`` at ``at``."""
    if before == after:
        return []
    day = at.astimezone(tz).date()
    moves = []
    if before not in (None, Status.RESOLVED):
        moves.append(BacklogMove(day, category, before.value, -1))
    if after not in (None, Status.RESOLVED):
        moves.append(BacklogMove(day, category, after.value, +1))
    return moves


def summed(moves: Mapping[tuple[date, str, str], int]) -> list[BacklogMove]:
    """The moves of a batch added up per (day, category, status), in key order (the order rows are locked in)."""
    return [BacklogMove(*key, moved) for key, moved in sorted(moves.items()) if moved]
