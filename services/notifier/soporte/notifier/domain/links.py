"""What the sender adds to a mail just before it goes: the links' tokens, and the return label's PDF.

Pure: the plan stores plain links (no secret in the ledger); here each one is
signed for the mail's recipient (``TicketLinks``: a ticket link per ticket, an
account link for "my tickets") with the mail's language, and a return label's
PDF is printed again from the event's data (``soporte.labels``), the same bytes
intake stored.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from urllib.parse import urlencode

from soporte.events import types as t
from soporte.labels import ReturnLabel, return_label_pdf
from soporte.platform.tokens import TicketLinks

from .notifications import Notification


def with_signed_links(n: Notification, links: TicketLinks, now: datetime) -> Notification:
    """``n`` with every link to a ticket (and to "my tickets") carrying a token for its recipient."""
    context = dict(n.context)

    def signed(url: str, token: str) -> str:
        return f"{url}?{urlencode({'token': token, 'lang': n.language})}"

    if n.ticket_id and context.get("status_url"):
        context["status_url"] = signed(context["status_url"], links.for_ticket(n.ticket_id, n.recipient, now))
    if "tickets" in context:
        context["tickets"] = [
            {**k, "status_url": signed(k["status_url"], links.for_ticket(k["ticket_id"], n.recipient, now))}
            for k in context["tickets"]
        ]
    if context.get("my_tickets_url") and context.get("customer_id"):
        token = links.for_account(context["customer_id"], n.recipient, now)
        context["my_tickets_url"] = signed(context["my_tickets_url"], token)
    return replace(n, context=context)


def printed_label(n: Notification) -> tuple[ReturnLabel, bytes, t.ReturnLabelIssuedData] | None:
    """The return label a mail carries (its PDF and what it says), or None (another mail, an older label)."""
    data = n.context.get("label")
    if not data or not n.ticket_id:
        return None
    issued = t.ReturnLabelIssuedData.model_validate(data)
    label = ReturnLabel.issued(n.ticket_id, issued)
    return label, return_label_pdf(label), issued
