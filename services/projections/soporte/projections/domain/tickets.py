"""The fold of a ticket's events into what agents and customers read (pure: no I/O, no wall clock).

``apply_ticket_event`` turns one ticket-stream event into the next ``TicketView``;
``public_message`` says what (if anything) of an event the customer may read;
``timeline_entry`` describes every event for the agents' audit trail.

SLA due times mirror the SLA processor's clocks (first response and next
response in business time, attention in wall-clock time; business clocks pause
while the ticket waits on the customer). Each clock episode is named by the id
of the event that started it, which is also the ``causation_id`` of the
escalations the SLA processor raises for it: that is how an escalation is tied
to the clock still running (or not) here, whatever order the topics arrive in.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from soporte.businesstime import BusinessCalendar
from soporte.events import Event
from soporte.events import types as t
from soporte.ticketrules import SlaPolicies

_ZERO = timedelta(0)
_WALL_CLOCK = BusinessCalendar.always_open()


class Status(StrEnum):
    NEW = "new"
    OPEN = "open"
    WAITING_ON_CUSTOMER = "waiting_on_customer"
    RESOLVED = "resolved"


class SlaState(StrEnum):
    OK = "ok"
    AT_RISK = "at_risk"
    BREACHED = "breached"


class NotInStream(ValueError):
    """An event that cannot be applied to this ticket (no TicketSubmitted first, or not a ticket event)."""


@dataclass(frozen=True)
class ClockState:
    """One SLA clock episode as the SLA processor keeps it."""

    kind: str
    episode: str
    target_seconds: int
    business: bool
    running_since: datetime | None  # None while paused
    elapsed_before_seconds: int = 0

    def deadline(self, calendar: BusinessCalendar) -> datetime | None:
        """When this clock breaches (None while paused)."""
        if self.running_since is None:
            return None
        remaining = max(timedelta(seconds=self.target_seconds - self.elapsed_before_seconds), _ZERO)
        return (calendar if self.business else _WALL_CLOCK).add_business_time(self.running_since, remaining)

    def paused_at(self, at: datetime, calendar: BusinessCalendar) -> ClockState:
        if self.running_since is None or at <= self.running_since:
            return replace(self, running_since=None)
        counted = (calendar if self.business else _WALL_CLOCK).business_time_between(self.running_since, at)
        return replace(
            self, running_since=None, elapsed_before_seconds=self.elapsed_before_seconds + int(counted.total_seconds())
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "episode": self.episode,
            "target_seconds": self.target_seconds,
            "business": self.business,
            "running_since": self.running_since.isoformat() if self.running_since else None,
            "elapsed_before_seconds": self.elapsed_before_seconds,
        }

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> ClockState:
        since = raw.get("running_since")
        return cls(
            raw["kind"],
            raw["episode"],
            int(raw["target_seconds"]),
            bool(raw["business"]),
            datetime.fromisoformat(since) if since else None,
            int(raw.get("elapsed_before_seconds", 0)),
        )


@dataclass(frozen=True)
class TicketView:
    """One ticket as the queues show it, plus the clock state needed to continue the fold."""

    ticket_id: str
    version: int
    category: str
    priority: str
    actionable: bool
    missing: tuple[str, ...]
    status: Status
    customer_name: str
    customer_email: str
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
    clocks: tuple[ClockState, ...] = field(default_factory=tuple)

    def clock(self, kind: str) -> ClockState | None:
        return next((c for c in self.clocks if c.kind == kind), None)

    def due_times(self, calendar: BusinessCalendar) -> dict[str, datetime]:
        """The breach time of each running clock, by clock kind."""
        return {c.kind: d for c in self.clocks if (d := c.deadline(calendar)) is not None}

    def sla_due_at(self, calendar: BusinessCalendar) -> datetime | None:
        """The earliest breach time among the running clocks (what the queue sorts by)."""
        return min(self.due_times(calendar).values(), default=None)

    @property
    def is_open(self) -> bool:
        return self.status is not Status.RESOLVED


def _without(clocks: tuple[ClockState, ...], *kinds: str) -> tuple[ClockState, ...]:
    return tuple(c for c in clocks if c.kind not in kinds)


def _start(view: TicketView, kind: t.SlaClock, event: Event, policies: SlaPolicies) -> tuple[ClockState, ...]:
    policy = policies.for_ticket(view.category, view.priority)
    target = {
        t.SlaClock.FIRST_RESPONSE: policy.first_response,
        t.SlaClock.NEXT_RESPONSE: policy.next_response,
        t.SlaClock.ATTENTION: policy.attention,
    }[kind]
    clock = ClockState(
        kind.value, str(event.event_id), int(target.total_seconds()), kind != t.SlaClock.ATTENTION, event.occurred_at
    )
    return (*_without(view.clocks, kind.value), clock)


def submitted_view(event: t.TicketSubmitted, policies: SlaPolicies) -> TicketView:
    """The view a TicketSubmitted starts: status new, first-response and attention clocks running."""
    data = event.data
    view = TicketView(
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
    view = replace(view, clocks=_start(view, t.SlaClock.FIRST_RESPONSE, event, policies))
    return replace(view, clocks=_start(view, t.SlaClock.ATTENTION, event, policies))


def apply_ticket_event(
    view: TicketView | None, event: Event, calendar: BusinessCalendar, policies: SlaPolicies
) -> TicketView:
    """The view after ``event``. The caller skips versions already applied; this applies the next one."""
    if event.ticket_id is None or event.version is None:
        raise NotInStream(f"{event.type} is not a ticket-stream event")
    if isinstance(event, t.TicketSubmitted):
        if view is not None:
            raise NotInStream(f"{event.ticket_id} was already submitted")
        return submitted_view(event, policies)
    if view is None:
        raise NotInStream(f"{event.type} v{event.version} of {event.ticket_id} arrived before its TicketSubmitted")
    at = event.occurred_at
    view = replace(view, version=event.version, last_activity_at=max(view.last_activity_at, at))
    match event:
        case t.AgentReplied():
            view = replace(
                view,
                status=Status.OPEN,
                first_responded_at=view.first_responded_at or at,
                clocks=_without(view.clocks, "first_response", "next_response", "attention"),
            )
        case t.ClarificationRequested():
            # Attended: the attention clock stops; business clocks wait for the customer.
            paused = tuple(c.paused_at(at, calendar) if c.business else c for c in _without(view.clocks, "attention"))
            view = replace(
                view, status=Status.WAITING_ON_CUSTOMER, first_responded_at=view.first_responded_at or at, clocks=paused
            )
        case t.CustomerReplied():
            if view.status is Status.WAITING_ON_CUSTOMER:
                paused = [c for c in view.clocks if c.running_since is None]
                if paused:
                    clocks = tuple(replace(c, running_since=at) if c.running_since is None else c for c in view.clocks)
                    view = replace(view, status=Status.OPEN, clocks=clocks)
                else:
                    view = replace(view, status=Status.OPEN)
                    view = replace(view, clocks=_start(view, t.SlaClock.NEXT_RESPONSE, event, policies))
            elif (
                view.status is not Status.RESOLVED
                and view.clock("first_response") is None
                and view.clock("next_response") is None
            ):
                view = replace(view, clocks=_start(view, t.SlaClock.NEXT_RESPONSE, event, policies))
            # On a resolved ticket the TicketReopened intake emits alongside restarts the clocks.
        case t.TicketResolved():
            view = replace(view, status=Status.RESOLVED, resolved_at=at, clocks=())
        case t.TicketReopened():
            view = replace(view, status=Status.OPEN, resolved_at=None)
            view = replace(view, clocks=_start(view, t.SlaClock.NEXT_RESPONSE, event, policies))
        case t.TicketAssigned():
            view = replace(
                view,
                assignee_id=event.data.assignee_id or None,
                assignee_name=event.data.assignee_name if event.data.assignee_id else None,
            )
        case _:
            pass  # notes, return labels and courier claims leave status and clocks alone
    return view


@dataclass(frozen=True)
class Escalation:
    """An SlaWarning or SlaBreached as the read model keeps it."""

    event_id: str
    ticket_id: str
    breached: bool
    clock: str
    episode: str | None  # the causation id: the event that started the clock episode
    deadline: datetime
    occurred_at: datetime


def sla_state(view: TicketView, escalations: list[Escalation]) -> SlaState:
    """The worst escalation raised for a clock episode that is still on (running or paused)."""
    if not view.is_open:
        return SlaState.OK
    live = {(c.kind, c.episode) for c in view.clocks}
    relevant = [e for e in escalations if (e.clock, e.episode) in live]
    if any(e.breached for e in relevant):
        return SlaState.BREACHED
    return SlaState.AT_RISK if relevant else SlaState.OK


# --- what the customer may read ----------------------------------------------------------------


@dataclass(frozen=True)
class PublicMessage:
    """One entry of the public thread (never an internal note)."""

    ticket_id: str
    version: int
    # submitted | customer_reply | agent_reply | clarification | resolution | reopened | return_label | courier_claim
    kind: str
    author_kind: str
    author_name: str | None
    body: str
    attachments: tuple[dict[str, Any], ...]
    occurred_at: datetime


def _attachments(refs) -> tuple[dict[str, Any], ...]:
    return tuple(r.model_dump(mode="json") for r in refs)


def public_message(event: Event) -> PublicMessage | None:
    """What of ``event`` belongs in the public thread, or None (internal notes, assignments...)."""

    def message(kind: str, body: str, attachments=()) -> PublicMessage:
        return PublicMessage(
            event.ticket_id or "",
            event.version or 0,
            kind,
            str(event.actor.kind),
            event.actor.name,
            body,
            _attachments(attachments),
            event.occurred_at,
        )

    match event:
        case t.TicketSubmitted():
            return replace(
                message("submitted", event.data.description, event.data.attachments),
                author_name=event.data.customer.name,
            )
        case t.CustomerReplied():
            return message("customer_reply", event.data.body, event.data.attachments)
        case t.AgentReplied():
            return message("agent_reply", event.data.body, event.data.attachments)
        case t.ClarificationRequested():
            return message("clarification", event.data.question)
        case t.TicketResolved():
            return message("resolution", event.data.resolution)
        case t.TicketReopened():
            return message("reopened", "")
        case t.ReturnLabelIssued():
            d = event.data
            return message("return_label", f"{d.carrier} {d.tracking_number}", [d.label] if d.label else [])
        case t.CourierClaimOpened():
            d = event.data
            return message("courier_claim", f"{d.carrier} {d.tracking_number or ''}".strip())
        case _:
            return None  # InternalNoteAdded and TicketAssigned are for agents only


# --- what agents read: the audit trail ---------------------------------------------------------


@dataclass(frozen=True)
class TimelineEntry:
    ticket_id: str
    version: int
    event_id: str
    type: str
    actor_kind: str
    actor_id: str
    actor_name: str | None
    occurred_at: datetime
    summary: str
    data: dict[str, Any]


def _summary(event: Event) -> str:
    match event:
        case t.TicketSubmitted():
            return event.data.description
        case t.CustomerReplied() | t.AgentReplied() | t.InternalNoteAdded():
            return event.data.body
        case t.ClarificationRequested():
            return event.data.question
        case t.TicketResolved():
            return event.data.resolution
        case t.TicketReopened():
            return str(event.data.reason)
        case t.TicketAssigned():
            return event.data.assignee_name or event.data.assignee_id or ""
        case t.ReturnLabelIssued():
            return f"{event.data.carrier} {event.data.tracking_number}"
        case t.CourierClaimOpened():
            return f"{event.data.carrier}: {event.data.reason}"
        case _:
            return ""


def timeline_entry(event: Event) -> TimelineEntry:
    """Who did what and when, for every ticket-stream event."""
    return TimelineEntry(
        ticket_id=event.ticket_id or "",
        version=event.version or 0,
        event_id=str(event.event_id),
        type=event.type,
        actor_kind=str(event.actor.kind),
        actor_id=event.actor.id,
        actor_name=event.actor.name,
        occurred_at=event.occurred_at,
        summary=_summary(event)[:500],
        data=event.model_dump(mode="json")["data"],
    )
