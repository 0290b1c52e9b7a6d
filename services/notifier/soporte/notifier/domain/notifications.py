"""Which emails an event produces, for whom, in which language: pure decisions, no I/O.

A notification's id is derived from (event id, kind, recipient), so a
redelivered event maps to the same ids and the ledger's unique key drops it.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from soporte.businesstime import BusinessCalendar
from soporte.events import Event, deterministic_id
from soporte.events import types as t
from soporte.ticketrules import SlaPolicies


@dataclass(frozen=True)
class Contact:
    """Who a ticket's customer mails go to (from its TicketSubmitted)."""

    ticket_id: str
    name: str
    email: str
    language: str = "es"


@dataclass(frozen=True)
class Notification:
    """One email to send: the template ``kind`` with its ``context``, for one recipient."""

    notification_id: str
    source_event_id: str
    ticket_id: str | None
    kind: str
    recipient: str
    language: str
    context: dict[str, Any] = field(default_factory=dict)


def contact_from(event: Event) -> Contact | None:
    if isinstance(event, t.TicketSubmitted) and event.ticket_id:
        customer = event.data.customer
        return Contact(event.ticket_id, customer.name, str(customer.email), customer.language.value)
    return None


def _attachments(data) -> list[str]:
    return [a.filename for a in getattr(data, "attachments", [])]


def plan(
    event: Event,
    contact: Contact | None,
    *,
    calendar: BusinessCalendar,
    policies: SlaPolicies,
    portal_url: str,
    escalation_recipients: dict[str, list[str]],
) -> list[Notification]:
    """The notifications ``event`` causes. Internal notes and unknown tickets cause none."""
    if isinstance(event, t.SlaWarning | t.SlaBreached):
        return _escalation_mails(event, escalation_recipients, portal_url)
    if contact is None:
        return []
    data = event.data
    status_url = f"{portal_url.rstrip('/')}/tickets/{contact.ticket_id}"
    base = {"ticket_id": contact.ticket_id, "customer_name": contact.name, "status_url": status_url}
    if isinstance(event, t.TicketSubmitted):
        policy = policies.for_ticket(data.category.value, data.actionability.priority.value)
        expected = calendar.add_business_time(event.occurred_at, policy.first_response)
        context = {
            **base,
            "category": data.category.value,
            "actionable": data.actionability.actionable,
            "missing": list(data.actionability.missing),
            "expected_by": expected.astimezone(calendar.tz).strftime("%Y-%m-%d %H:%M"),
            "timezone": calendar.timezone,
            "attachments": _attachments(data),
        }
        kind = "ticket_received"
    elif isinstance(event, t.AgentReplied):
        kind, context = "agent_response", {**base, "body": data.body, "attachments": _attachments(data)}
    elif isinstance(event, t.ClarificationRequested):
        kind, context = "clarification_requested", {**base, "question": data.question}
    elif isinstance(event, t.TicketResolved):
        kind, context = "ticket_resolved", {**base, "resolution": data.resolution}
    elif isinstance(event, t.ReturnLabelIssued):
        kind, context = (
            "return_label_issued",
            {**base, "carrier": data.carrier, "tracking_number": data.tracking_number, "label_id": data.label_id},
        )
    elif isinstance(event, t.CourierClaimOpened):
        kind, context = (
            "courier_claim_opened",
            {**base, "carrier": data.carrier, "claim_id": data.claim_id, "reason": data.reason},
        )
    else:
        return []  # customer replies, notes, assignments, reopenings: nobody to tell by mail
    return [_notification(event, kind, contact.email, contact.language, contact.ticket_id, context)]


def _escalation_mails(event: Event, recipients: dict[str, list[str]], portal_url: str) -> list[Notification]:
    data = event.data
    context = {
        "ticket_id": event.ticket_id,
        "breach": isinstance(event, t.SlaBreached),
        "clock": data.clock.value,
        "level": data.level,
        "deadline": data.deadline.strftime("%Y-%m-%d %H:%M UTC"),
        "elapsed_minutes": data.elapsed_seconds // 60,
        "target_minutes": data.target_seconds // 60,
        "console_url": f"{portal_url.rstrip('/')}/agent",
    }
    addresses = sorted({address for role in data.notify for address in recipients.get(role, [])})
    return [_notification(event, "escalation", address, "es", event.ticket_id, context) for address in addresses]


def _notification(
    event: Event, kind: str, recipient: str, language: str, ticket_id: str | None, context: dict
) -> Notification:
    return Notification(
        notification_id=str(deterministic_id(event.event_id, kind, recipient.lower())),
        source_event_id=str(event.event_id),
        ticket_id=ticket_id,
        kind=kind,
        recipient=recipient,
        language=language if language in ("es", "en") else "es",
        context=context,
    )


# --- delivery outcomes ---------------------------------------------------------


class DeliveryError(Exception):
    """Sending failed; ``permanent`` ones are not retried (5xx, refused address)."""

    def __init__(self, reason: str, *, permanent: bool) -> None:
        super().__init__(reason)
        self.reason, self.permanent = reason, permanent


def is_permanent_smtp_code(code: int) -> bool:
    """SMTP 5xx is permanent; 4xx and connection problems are worth retrying."""
    return 500 <= code < 600


def retry_delay(attempt: int, base: timedelta, cap: timedelta, rng: random.Random | None = None) -> timedelta:
    """Exponential backoff with full jitter: a random wait up to base * 2^(attempt-1), capped."""
    ceiling = min(cap, base * (2 ** max(0, attempt - 1)))
    return ceiling * (rng or random).random()


def next_attempt_at(
    now: datetime, attempt: int, base: timedelta, cap: timedelta, rng: random.Random | None = None
) -> datetime:
    return now + retry_delay(attempt, base, cap, rng)
