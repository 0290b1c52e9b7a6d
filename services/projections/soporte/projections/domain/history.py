"""What of a ticket's events each reader may read (pure): the public thread and the agents' audit trail.

``public_message`` never returns an internal note or an assignment: the public
thread is built from it alone, so a customer cannot be shown one.
``timeline_entry`` describes every ticket event for agents.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from soporte.events import Event, from_dict
from soporte.events import types as t
from soporte.events.codec import CURRENT_VERSIONS

# The public thread's entry kinds, by the event type each comes from (the rest is for agents only).
MESSAGE_KINDS: dict[str, str] = {
    "TicketSubmitted": "submitted",
    "CustomerReplied": "customer_reply",
    "AgentReplied": "agent_reply",
    "ClarificationRequested": "clarification",
    "TicketResolved": "resolution",
    "TicketReopened": "reopened",
    "ReturnLabelIssued": "return_label",
    "CourierClaimOpened": "courier_claim",
}


@dataclass(frozen=True)
class PublicMessage:
    """One entry of the public thread (fields in the table's column order)."""

    ticket_id: str
    version: int
    kind: str  # a value of MESSAGE_KINDS
    author_kind: str
    author_name: str | None
    body: str
    attachments: tuple[dict[str, Any], ...]
    occurred_at: datetime
    refused_attachments: tuple[dict[str, Any], ...] = ()  # sent by mail, not kept: name and reason code
    details: dict[str, str] = field(default_factory=dict)  # a parcel's: carrier, tracking number, reference...


def _public_content(event: Event) -> tuple[str, list, dict[str, str]]:
    """The body, the attachments and the details (named values) a customer reads of ``event``."""
    match event:
        case t.TicketSubmitted():
            return event.data.description, event.data.attachments, {}
        case t.CustomerReplied() | t.AgentReplied():
            return event.data.body, event.data.attachments, {}
        case t.ClarificationRequested():
            return event.data.question, [], {}
        case t.TicketResolved():
            return event.data.resolution, [], {}
        case t.ReturnLabelIssued():
            d = event.data
            details = {"label_id": d.label_id, "carrier": d.carrier, "tracking_number": d.tracking_number}
            return "", [d.label] if d.label else [], details
        case t.CourierClaimOpened():
            d = event.data
            details = {"claim_id": d.claim_id, "carrier": d.carrier, "tracking_number": d.tracking_number or ""}
            return d.reason, [], {k: v for k, v in details.items() if v}
        case _:
            return "", [], {}


def public_message(event: Event) -> PublicMessage | None:
    """What of ``event`` belongs in the public thread, or None (internal notes, assignments...)."""
    kind = MESSAGE_KINDS.get(event.type)
    if kind is None:
        return None
    body, attachments, details = _public_content(event)
    # The submission is signed with the customer's own name, also when an agent typed it in during a call.
    author = event.data.customer.name if isinstance(event, t.TicketSubmitted) else event.actor.name
    return PublicMessage(
        event.ticket_id or "",
        event.version or 0,
        kind,
        str(event.actor.kind),
        author,
        body,
        tuple(a.model_dump(mode="json") for a in attachments),
        event.occurred_at,
        tuple(r.model_dump(mode="json") for r in getattr(event.data, "refused_attachments", ())),
        details,
    )


@dataclass(frozen=True)
class TimelineEntry:
    """Who did what and when (fields in the table's column order); ``data`` is the event's own."""

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
            return str(event.data.reason)  # a code: pages show it in words (presenters)
        case t.TicketAssigned():
            return event.data.assignee_name or event.data.assignee_id or ""
        case t.ReturnLabelIssued():
            return f"{event.data.carrier} {event.data.tracking_number}"
        case t.CourierClaimOpened():
            return f"{event.data.carrier}: {event.data.reason}"
        case t.TicketLinksRevoked():
            return event.data.reason
        case t.NotificationBounced():
            d = event.data
            return " ".join(filter(None, (f"{d.recipient}:", d.status, d.diagnostic)))
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


def event_of(entry: TimelineEntry) -> Event:
    """The ticket event an audit-trail entry was made from (what replaying rules need of it)."""
    return from_dict(
        {
            "event_id": entry.event_id,
            "type": entry.type,
            "schema_version": CURRENT_VERSIONS[entry.type],  # the entry holds the event as this code read it
            "ticket_id": entry.ticket_id,
            "version": entry.version,
            "occurred_at": entry.occurred_at.isoformat(),
            "actor": {"kind": entry.actor_kind, "id": entry.actor_id, "name": entry.actor_name},
            "correlation_id": entry.event_id,
            "data": entry.data,
        }
    )
