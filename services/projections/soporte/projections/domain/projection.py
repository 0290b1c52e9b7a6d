"""Which event changes which read-model rows (pure): the one fold the live reader and the rebuild share.

``ReadModelFold`` starts from the tickets and escalations the tables hold for
the tickets a batch touches, takes the batch's events in order and says what
to write. It is idempotent on its own: a ticket event applies once per
(ticket, version), an escalation, KPI or mail outcome once per event id (or
ticket, for the KPI), so a redelivered record changes nothing even if the
reader's position did not stop it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from soporte.events import Event
from soporte.events import types as t
from soporte.projections.domain.history import PublicMessage, TimelineEntry, public_message, timeline_entry
from soporte.projections.domain.sla_facts import BacklogMove, SlaFact, backlog_moves, fact_after, summed
from soporte.projections.domain.tickets import Escalation, TicketView, apply_ticket_event, with_clocks
from soporte.ticketrules import SlaRules, TicketClocks


@dataclass(frozen=True)
class StoredTicket:
    """A tickets row as the fold continues from it: what people read, the clock rules' state, its SLA facts."""

    view: TicketView
    clocks: TicketClocks
    facts: SlaFact | None = None  # the sla_facts row


@dataclass(frozen=True)
class FirstResponse:
    """The first-response KPI of a ticket, as the SLA worker measured it (the table's column order)."""

    ticket_id: str
    event_id: str
    business_seconds: int
    submitted_at: datetime
    responded_at: datetime


@dataclass(frozen=True)
class NotificationOutcome:
    """A mail the notifier sent or gave up on (the table's column order)."""

    event_id: str
    ticket_id: str | None
    outcome: str  # sent | failed
    kind: str
    recipient: str
    attempts: int
    reason: str | None
    occurred_at: datetime


@dataclass
class Changes:
    """What a batch writes: the tickets as they end up, and the new rows of every other table."""

    tickets: list[StoredTicket] = field(default_factory=list)
    timeline: list[TimelineEntry] = field(default_factory=list)
    messages: list[PublicMessage] = field(default_factory=list)
    escalations: list[Escalation] = field(default_factory=list)
    first_responses: list[FirstResponse] = field(default_factory=list)
    notifications: list[NotificationOutcome] = field(default_factory=list)
    backlog: list[BacklogMove] = field(default_factory=list)  # added to what the backlog table holds


def tickets_touched(events: Iterable[Event]) -> set[str]:
    """The tickets whose row or SLA state ``events`` may change (the caller loads them first)."""
    kinds = (*t.TICKET_STREAM_TYPES, t.SlaWarning, t.SlaBreached)
    return {e.ticket_id for e in events if e.ticket_id and isinstance(e, kinds)}


class ReadModelFold:
    """Folds events into ``Changes``, from the rows of the touched tickets as they are stored."""

    def __init__(
        self,
        rules: SlaRules,
        tickets: Mapping[str, StoredTicket],
        escalations: Mapping[str, Sequence[Escalation]],
    ) -> None:
        self.rules, self.tz = rules, rules.calendar.tz
        self.tickets: dict[str, StoredTicket] = dict(tickets)
        self.escalations: dict[str, list[Escalation]] = {k: list(v) for k, v in escalations.items()}
        self.dirty: set[str] = set()  # tickets whose row is written
        self.changes = Changes()
        self.backlog: dict[tuple, int] = {}

    def apply(self, event: Event) -> None:
        """Take ``event`` (any type read by the projections; others are ignored)."""
        match event:
            case t.SlaWarning() | t.SlaBreached():
                self._escalation(Escalation.from_event(event))
            case t.FirstResponseMeasured():
                d = event.data
                kpi = FirstResponse(
                    event.ticket_id or "", str(event.event_id), d.business_seconds, d.submitted_at, d.responded_at
                )
                self.changes.first_responses.append(kpi)
            case t.NotificationSent() | t.NotificationFailed():
                d = event.data
                outcome = "sent" if isinstance(event, t.NotificationSent) else "failed"
                mail = NotificationOutcome(
                    str(event.event_id),
                    event.ticket_id,
                    outcome,
                    d.kind,
                    d.recipient,
                    d.attempts,
                    d.reason,
                    event.occurred_at,
                )
                self.changes.notifications.append(mail)
            case _ if isinstance(event, t.TICKET_STREAM_TYPES):
                self._ticket_event(event)
            case _:
                pass  # other types (orders, dead letters) are not on the topics read here

    def _escalation(self, escalation: Escalation) -> None:
        known = self.escalations.setdefault(escalation.ticket_id, [])
        if any(e.event_id == escalation.event_id for e in known):
            return
        known.append(escalation)
        self.changes.escalations.append(escalation)
        if escalation.ticket_id in self.tickets:  # else its TicketSubmitted is still to come and counts it then
            self.dirty.add(escalation.ticket_id)

    def _ticket_event(self, event: Event) -> None:
        ticket_id = event.ticket_id or ""
        stored = self.tickets.get(ticket_id)
        if stored is not None and (event.version or 0) <= stored.view.version:
            return  # this version is already in (a redelivery under another offset)
        before = stored.view if stored else None
        view = apply_ticket_event(before, event)
        transition = self.rules.apply(stored.clocks if stored else TicketClocks(ticket_id), event)
        facts = fact_after(stored.facts if stored else None, event, transition, self.rules.calendar)
        self.tickets[ticket_id] = StoredTicket(view, transition.state, facts)
        for move in backlog_moves(before and before.status, view.status, view.category, event.occurred_at, self.tz):
            key = (move.day, move.category, move.status)
            self.backlog[key] = self.backlog.get(key, 0) + move.moved
        self.dirty.add(ticket_id)
        self.changes.timeline.append(timeline_entry(event))
        message = public_message(event)
        if message is not None:
            self.changes.messages.append(message)

    def result(self) -> Changes:
        """The changes so far, with every changed ticket's due times and SLA state brought up to date."""
        calendar = self.rules.calendar
        self.changes.tickets = [
            replace(s, view=with_clocks(s.view, s.clocks, self.escalations.get(s.view.ticket_id, ()), calendar))
            for s in (self.tickets[ticket_id] for ticket_id in sorted(self.dirty))
        ]
        self.changes.backlog = summed(self.backlog)
        return self.changes


def fold(
    rules: SlaRules,
    tickets: Mapping[str, StoredTicket],
    escalations: Mapping[str, Sequence[Escalation]],
    events: Iterable[Event],
) -> Changes:
    """``events`` in order, from the stored rows of the tickets they touch."""
    folding = ReadModelFold(rules, tickets, escalations)
    for event in events:
        folding.apply(event)
    return folding.result()
