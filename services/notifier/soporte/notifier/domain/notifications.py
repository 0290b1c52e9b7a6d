"""Which mails an event causes, for whom and in which language: pure decisions, no I/O.

What this module guarantees:

- A notification's id is derived from (event id, kind, recipient): a redelivered
  or replayed event maps to the same ids, and the ledger's unique key drops them.
- A context holds codes and instants, never words: the words are chosen when
  the mail is rendered, in the notification's language.
- The acknowledgement promises the earliest commitment of the clocks the ticket
  starts (``promised_by``), from event time and the calendar, never the wall
  clock; a ticket an agent opened during a call or chat starts no clock and is
  promised nothing (it was attended live).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from soporte.events import Event, deterministic_id
from soporte.events import types as t
from soporte.ticketrules import ATTENDED_LIVE, SlaRules, TicketClocks
from soporte.words import DEFAULT_LANGUAGE, LANGUAGES

ESCALATION = "escalation"


@dataclass(frozen=True)
class Contact:
    """Who a ticket's customer mails go to (from its TicketSubmitted), and the shop account and category."""

    ticket_id: str
    name: str
    email: str
    language: str = DEFAULT_LANGUAGE
    customer_id: str | None = None
    category: str | None = None


@dataclass(frozen=True)
class Notification:
    """One mail to send: the template ``kind`` with its ``context``, for one recipient, in one language."""

    notification_id: str
    source_event_id: str
    ticket_id: str | None
    kind: str
    recipient: str
    language: str
    context: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Desk:
    """What the plan needs to know of the desk: its clock rules, its links and its staff."""

    rules: SlaRules
    portal_url: str
    escalation_recipients: Mapping[str, list[str]]  # role -> addresses
    staff_language: str = DEFAULT_LANGUAGE
    link_days: int = 30  # how long the links in the mails work

    @property
    def timezone(self) -> str:
        return self.rules.calendar.timezone

    def status_url(self, ticket_id: str) -> str:
        return f"{self.portal_url.rstrip('/')}/tickets/{ticket_id}"

    def console_url(self, ticket_id: str) -> str:
        return f"{self.portal_url.rstrip('/')}/agent/tickets/{ticket_id}"

    def my_tickets_url(self) -> str:
        return f"{self.portal_url.rstrip('/')}/my/tickets"


def contact_from(event: Event) -> Contact | None:
    if isinstance(event, t.TicketSubmitted) and event.ticket_id:
        customer, category = event.data.customer, str(event.data.category)
        email, language = str(customer.email), str(customer.language)
        return Contact(event.ticket_id, customer.name, email, language, customer.customer_id, category)
    return None


def promised_by(event: t.TicketSubmitted, rules: SlaRules) -> datetime | None:
    """The earliest deadline the submission starts (first response in business time, attention in 24
    wall-clock hours); None when it starts none (opened by an agent during a call or chat)."""
    state = rules.apply(TicketClocks(event.ticket_id or ""), event).state
    return min(state.deadlines(rules.calendar).values(), default=None)


def plan(event: Event, contact: Contact | None, desk: Desk) -> list[Notification]:
    """The notifications ``event`` causes. Notes, customer messages and unknown tickets cause none."""
    if isinstance(event, t.SlaWarning | t.SlaBreached):
        return _escalation_mails(event, desk)
    if contact is None:
        return []
    context = _customer_context(event, desk)
    if context is None:
        return []  # customer replies, notes, assignments, reopenings: nobody to tell by mail
    kind, details = context
    base = {"customer_name": contact.name, "status_url": desk.status_url(contact.ticket_id)}
    return [notification(event, kind, contact.email, contact.language, contact.ticket_id, {**base, **details})]


def _customer_context(event: Event, desk: Desk) -> tuple[str, dict[str, Any]] | None:
    data = event.data
    match event:
        case t.TicketSubmitted():
            promise = promised_by(event, desk.rules)
            return "ticket_received", {
                "category": data.category.value,
                "actionable": data.actionability.actionable,
                "missing": list(data.actionability.missing),
                "attachments": _attachments(data),
                # Files that came (by mail) and were not kept: the customer is told which and why.
                "refused_attachments": [r.model_dump(mode="json") for r in data.refused_attachments],
                "promised_by": promise.isoformat() if promise else None,
                # Opened by an agent during a call or chat: attended live, so the mail promises nothing.
                "opened_during": data.channel.value if data.channel in ATTENDED_LIVE else None,
                "timezone": desk.timezone,
            }
        case t.AgentReplied():
            return "agent_response", {"body": data.body, "attachments": _attachments(data)}
        case t.ClarificationRequested():
            return "clarification_requested", {"question": data.question}
        case t.TicketResolved():
            return "ticket_resolved", {"resolution": data.resolution}
        case t.ReturnLabelIssued():
            return "return_label_issued", {
                "carrier": data.carrier,
                "tracking_number": data.tracking_number,
                "label_id": data.label_id,
                # What the label prints: the sender prints the PDF again from it and attaches it.
                "label": data.model_dump(mode="json") if data.label else None,
            }
        case t.CourierClaimOpened():
            return "courier_claim_opened", {"carrier": data.carrier, "claim_id": data.claim_id, "reason": data.reason}
    return None


def _attachments(data: Any) -> list[str]:
    return [a.filename for a in getattr(data, "attachments", [])]


def _escalation_mails(event: t.SlaWarning | t.SlaBreached, desk: Desk) -> list[Notification]:
    """One mail per address the named roles have (an entry with an ``@`` is an address itself), in the
    staff's language."""
    data = event.data
    ticket_id = event.ticket_id or ""
    context = {
        "escalation": event.type,
        "clock": data.clock.value,
        "level": data.level,
        "deadline": data.deadline.isoformat(),
        "timezone": desk.timezone,
        "elapsed_seconds": data.elapsed_seconds,
        "target_seconds": data.target_seconds,
        "business_time": data.clock is not t.SlaClock.ATTENTION,
        "notify": list(data.notify),
        "category": data.category.value if data.category else None,
        "priority": data.priority.value if data.priority else None,
        "console_url": desk.console_url(ticket_id),
    }
    addresses = set()
    for entry in data.notify:
        addresses.update([entry] if "@" in entry else desk.escalation_recipients.get(entry, []))
    return [
        notification(event, ESCALATION, address, desk.staff_language, event.ticket_id, context)
        for address in sorted(addresses)
    ]


def notification(
    event: Event, kind: str, recipient: str, language: str, ticket_id: str | None, context: dict[str, Any]
) -> Notification:
    return Notification(
        notification_id=str(deterministic_id(event.event_id, kind, recipient.lower())),
        source_event_id=str(event.event_id),
        ticket_id=ticket_id,
        kind=kind,
        recipient=recipient,
        language=language if language in LANGUAGES else DEFAULT_LANGUAGE,
        context=context,
    )
