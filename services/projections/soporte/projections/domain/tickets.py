"""One ticket as agents and customers read it, and how its events change it (pure: no I/O, no wall clock).

The status follows the one lifecycle (``soporte.ticketrules.status_after``) and
the SLA due times come from the one set of clock rules (``SlaRules``): the
projection keeps the rules' ``TicketClocks`` with the ticket and shows its
deadlines, so the queue shows the deadline the SLA worker escalates on.

Each clock episode is named by the id of the event that started it, which is
also the ``causation_id`` of the escalations the SLA worker raises for it: that
is how an escalation is tied to a clock still running (or not) here, whatever
order the topics arrive in.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum

from soporte.businesstime import BusinessCalendar
from soporte.events import Event
from soporte.events import types as t
from soporte.ticketrules import Status, TicketClocks, status_after


class SlaState(StrEnum):
    OK = "ok"
    AT_RISK = "at_risk"
    BREACHED = "breached"


class NotInStream(ValueError):
    """An event that cannot be applied to this ticket (no TicketSubmitted first, or not a ticket event)."""


@dataclass(frozen=True)
class TicketView:
    """One ticket as the queues and pages show it (a row of the tickets table, without the rules' state)."""

    ticket_id: str
    version: int
    category: str
    priority: str
    actionable: bool
    missing: tuple[str, ...]
    status: Status
    customer_name: str
    customer_email: str  # lower-cased
    customer_id: str | None
    language: str
    channel: str
    order_number: str | None
    created_at: datetime
    last_activity_at: datetime
    assignee_id: str | None = None
    assignee_name: str | None = None
    first_responded_at: datetime | None = None
    resolved_at: datetime | None = None
    due_times: Mapping[str, datetime] = field(default_factory=dict)  # breach time of each running clock
    sla_state: SlaState = SlaState.OK

    @property
    def sla_due_at(self) -> datetime | None:
        """The earliest breach time among the running clocks (what the queue sorts by)."""
        return min(self.due_times.values(), default=None)


@dataclass(frozen=True)
class Escalation:
    """An SlaWarning or SlaBreached as the read model keeps it (fields in the table's column order)."""

    event_id: str
    ticket_id: str
    breached: bool
    clock: str
    level: int
    episode: str | None  # the causation id: the event that started the clock episode
    deadline: datetime
    occurred_at: datetime

    @classmethod
    def from_event(cls, event: t.SlaWarning | t.SlaBreached) -> Escalation:
        return cls(
            str(event.event_id),
            event.ticket_id or "",
            isinstance(event, t.SlaBreached),
            str(event.data.clock),
            event.data.level,
            str(event.causation_id) if event.causation_id else None,
            event.data.deadline,
            event.occurred_at,
        )


def submitted_view(event: t.TicketSubmitted) -> TicketView:
    """The view a TicketSubmitted starts (its clocks come from the rules, see ``with_clocks``)."""
    data = event.data
    return TicketView(
        ticket_id=event.ticket_id or "",
        version=event.version or 1,
        category=str(data.category),
        priority=str(data.actionability.priority),
        actionable=data.actionability.actionable,
        missing=tuple(data.actionability.missing),
        status=Status.NEW,
        customer_name=data.customer.name,
        customer_email=str(data.customer.email).lower(),
        customer_id=data.customer.customer_id,
        language=str(data.customer.language),
        channel=str(data.channel),
        order_number=data.order_number,
        created_at=event.occurred_at,
        last_activity_at=event.occurred_at,
    )


def apply_ticket_event(view: TicketView | None, event: Event) -> TicketView:
    """The view after ``event`` (status, assignee, times). The caller skips versions already applied."""
    if event.ticket_id is None or event.version is None:
        raise NotInStream(f"{event.type} is not a ticket-stream event")
    if isinstance(event, t.TicketSubmitted):
        if view is not None:
            raise NotInStream(f"{event.ticket_id} was already submitted")
        return submitted_view(event)
    if view is None:
        raise NotInStream(f"{event.type} v{event.version} of {event.ticket_id} arrived before its TicketSubmitted")
    at = event.occurred_at
    view = replace(
        view,
        version=event.version,
        status=status_after(view.status, event),
        last_activity_at=max(view.last_activity_at, at),
    )
    match event:
        case t.TicketResolved():
            return replace(view, resolved_at=at)
        case t.TicketReopened():
            return replace(view, resolved_at=None)
        case t.TicketAssigned():
            assignee = event.data.assignee_id or None
            return replace(view, assignee_id=assignee, assignee_name=event.data.assignee_name if assignee else None)
        case _:
            return view


def sla_state(clocks: TicketClocks, escalations: Iterable[Escalation]) -> SlaState:
    """The worst escalation raised for a clock episode that still runs (a fulfilled episode's no longer counts)."""
    live = {(c.kind.value, c.episode) for c in clocks.clocks}
    relevant = [e for e in escalations if (e.clock, e.episode) in live]
    if any(e.breached for e in relevant):
        return SlaState.BREACHED
    return SlaState.AT_RISK if relevant else SlaState.OK


def with_clocks(
    view: TicketView, clocks: TicketClocks, escalations: Iterable[Escalation], calendar: BusinessCalendar
) -> TicketView:
    """``view`` with what the clock rules say: due times, first response, and the SLA state of the live episodes."""
    return replace(
        view,
        first_responded_at=clocks.first_responded_at,
        due_times={kind.value: due for kind, due in sorted(clocks.deadlines(calendar).items())},
        sla_state=sla_state(clocks, escalations),
    )
