"""The mail with links to someone's tickets, the links signed as the mail goes, the return label attached."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pypdf

from soporte.businesstime import load_calendar
from soporte.events import Actor, ActorKind, Language
from soporte.events import types as t
from soporte.notifier.domain.access_links import KnownTicket, plan_access_links
from soporte.notifier.domain.links import printed_label, with_signed_links
from soporte.notifier.domain.notifications import Desk, contact_from, plan
from soporte.platform.tokens import TicketLinks, issued_at, verify_token
from soporte.ticketrules import SlaRules, load_policies
from tests.support.scenario import Stream

NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
DESK = Desk(SlaRules(load_calendar(), load_policies()), "http://portal.test", {}, link_days=30)
LINKS = TicketLinks("desk-secret", timedelta(days=30))
ANYONE = Actor(kind=ActorKind.GUEST, id="anyone")


def requested(email: str = "ana@example.com", ticket_id: str | None = None, language=Language.ES):
    data = t.AccessLinkRequestedData(email=email, ticket_id=ticket_id, language=language)
    return t.AccessLinkRequested.create(data=data, actor=ANYONE, occurred_at=NOW)


def known(ticket_id: str, status: str, days_ago: float, customer_id: str | None = None) -> KnownTicket:
    at = NOW - timedelta(days=days_ago)
    return KnownTicket(ticket_id, "Ana Pérez", "ana@example.com", "es", customer_id, "damaged_item", status, at)


ANAS = [
    known("T-OPEN000001", "open", 90),
    known("T-RECENT0001", "resolved", 3, customer_id="cust-1"),
    known("T-OLD0000001", "resolved", 45),
    known("T-NEW0000001", "new", 0.1),
]


def test_an_address_gets_its_open_and_recent_tickets_the_latest_first_and_a_shop_customer_my_tickets():
    (mail,) = plan_access_links(requested(), ANAS, DESK)
    assert (mail.kind, mail.recipient, mail.ticket_id) == ("access_links", "ana@example.com", None)
    assert [k["ticket_id"] for k in mail.context["tickets"]] == ["T-NEW0000001", "T-RECENT0001", "T-OPEN000001"]
    assert mail.context["customer_id"] == "cust-1" and mail.context["my_tickets_url"] == "http://portal.test/my/tickets"
    assert plan_access_links(requested("nobody@example.com"), [], DESK) == []  # nothing is said to a stranger


def test_a_fresh_link_is_for_the_one_ticket_and_the_mail_of_a_request_is_planned_once():
    event = requested(ticket_id="T-OLD0000001", language=Language.EN)
    (mail,) = plan_access_links(event, ANAS, DESK)
    assert [k["ticket_id"] for k in mail.context["tickets"]] == ["T-OLD0000001"]
    assert mail.ticket_id == "T-OLD0000001" and mail.language == "en" and mail.context["my_tickets_url"] is None
    assert plan_access_links(event, ANAS, DESK) == [mail]  # the same id when the request is read again


def test_links_are_signed_for_the_recipient_in_the_mails_language_when_the_mail_goes():
    (mail,) = plan_access_links(requested(), ANAS, DESK)
    assert "token" not in str(mail.context)  # nothing secret in the ledger
    signed = with_signed_links(mail, LINKS, NOW)
    url = signed.context["tickets"][0]["status_url"]
    assert url.startswith("http://portal.test/tickets/T-NEW0000001?token=") and url.endswith("&lang=es")
    claims = verify_token(url.split("token=")[1].split("&")[0], "desk-secret", now=NOW, kind="ticket")
    assert claims["ticket_id"] == "T-NEW0000001" and claims["email"] == "ana@example.com" and issued_at(claims) == NOW
    account = signed.context["my_tickets_url"].split("token=")[1].split("&")[0]
    assert verify_token(account, "desk-secret", now=NOW, kind="account")["customer_id"] == "cust-1"
    stream = Stream("T-ACK0000001")
    submitted = stream.submitted(NOW)
    (ack,) = plan(submitted, contact_from(submitted), DESK)
    assert "?token=" in with_signed_links(ack, LINKS, NOW).context["status_url"]


def test_the_label_mail_carries_the_pdf_intake_stored_printed_again_from_the_event():
    stream = Stream("T-LABEL00001")
    submitted = stream.submitted(NOW)
    event, pdf = stream.printed_label(NOW)
    data = event.data
    (mail,) = plan(event, contact_from(submitted), DESK)
    label, printed, issued = printed_label(mail)
    assert printed == pdf and label.filename == "etiqueta-devolucion-T-LABEL00001.pdf" and issued == data
    text = pypdf.PdfReader(io.BytesIO(printed)).pages[0].extract_text()
    assert "SE123456" in text and "T-LABEL00001" in text
    older = stream.place(t.ReturnLabelIssued, data.model_copy(update={"label": None}), stream.agent, NOW)
    (mail,) = plan(older, contact_from(submitted), DESK)
    assert printed_label(mail) is None  # a label issued before intake printed them: nothing to attach
