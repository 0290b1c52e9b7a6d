"""The mail with links to someone's tickets, asked for by address or for one ticket (pure: no I/O).

What it guarantees:

- The links go only to the address the tickets were opened with: an address's
  request lists that address's open tickets and those active within ``RECENT``,
  a ticket's request that ticket alone, mailed to the ticket's own address.
- Nothing is mailed for an address without tickets: the page that took the
  request says the same either way.
- A shop customer (a ticket of theirs names their account) also gets a link to
  "my tickets". Links carry no token in the plan: the sender signs them when it
  sends the mail (``links.with_signed_links``), so a retried mail's links are new.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from soporte.events import types as t

from .notifications import Desk, Notification, notification

ACCESS_LINKS = "access_links"
RECENT = timedelta(days=30)  # a resolved ticket active within this is still listed
MOST = 20  # tickets listed in one mail, the most recently active first
NEVER = datetime.min.replace(tzinfo=UTC)


@dataclass(frozen=True)
class KnownTicket:
    """A ticket as the notifier follows it: who it is for, and how it stands."""

    ticket_id: str
    name: str
    email: str
    language: str
    customer_id: str | None = None
    category: str | None = None
    status: str | None = None  # None: not followed since it was opened (before the notifier kept statuses)
    last_activity_at: datetime | None = None


def plan_access_links(event: t.AccessLinkRequested, known: Sequence[KnownTicket], desk: Desk) -> list[Notification]:
    """One mail to the address with a link to each ticket it asked for (none when it has none)."""
    data = event.data
    if data.ticket_id:
        chosen = [k for k in known if k.ticket_id == data.ticket_id]
    else:
        since = event.occurred_at - RECENT
        chosen = [k for k in known if k.status != "resolved" or (k.last_activity_at or since) > since]
    chosen = sorted(chosen, key=lambda k: k.last_activity_at or NEVER, reverse=True)[:MOST]
    if not chosen:
        return []
    account = None if data.ticket_id else next((k.customer_id for k in chosen if k.customer_id), None)
    context = {
        "customer_name": chosen[0].name,
        "fresh": bool(data.ticket_id),
        "tickets": [
            {
                "ticket_id": k.ticket_id,
                "category": k.category,
                "status": k.status,
                "last_activity_at": k.last_activity_at.isoformat() if k.last_activity_at else None,
                "status_url": desk.status_url(k.ticket_id),
            }
            for k in chosen
        ],
        "customer_id": account,
        "my_tickets_url": desk.my_tickets_url() if account else None,
        "timezone": desk.timezone,
        "link_days": desk.link_days,
    }
    # To the address as the tickets were opened with it (a request may have typed it in another letter case).
    return [notification(event, ACCESS_LINKS, chosen[0].email, str(data.language), data.ticket_id, context)]
