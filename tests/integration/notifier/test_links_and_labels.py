"""The notifier on the real Kafka, PostgreSQL and an aiosmtpd server: links to an address's tickets, signed with
the desk secret, and the return label's PDF attached to its mail."""

from __future__ import annotations

import io
from datetime import timedelta

import pypdf

from soporte.events import Actor, ActorKind, Language
from soporte.events import types as t
from soporte.platform.clock import utc_now
from soporte.platform.tokens import verify_token
from tests.support.scenario import Stream

from .conftest import SUBMITTED_AT, wait_for_mail


def plain(message) -> str:
    return message.get_body(("plain",)).get_content()


def asked(email: str, ticket_id: str | None = None) -> t.AccessLinkRequested:
    data = t.AccessLinkRequestedData(email=email, ticket_id=ticket_id, language=Language.ES)
    return t.AccessLinkRequested.create(
        data=data, actor=Actor(kind=ActorKind.GUEST, id="anyone"), occurred_at=utc_now()
    )


async def test_an_address_gets_signed_links_to_its_tickets_and_a_stranger_gets_nothing(
    notifier, shop, smtp_sink, notifier_settings
):
    notifier.start()
    mine = t.CustomerRef(name="Ana Pérez", email="ana@example.com", customer_id="cust-1")
    ana, old = Stream("T-LINKS00001", customer=mine), Stream("T-LINKS00002", customer=mine)
    long_ago = utc_now() - timedelta(days=60)
    await shop.publish(ana.submitted(utc_now()), old.submitted(long_ago), old.resolved(long_ago))
    await wait_for_mail(smtp_sink, 3)  # two acknowledgements and a resolution
    await shop.publish(asked("nobody@example.com"), asked("ANA@example.com"), asked("ana@example.com", old.ticket_id))
    messages = await wait_for_mail(smtp_sink, 5)
    links = [m for m in messages if "Enlaces a sus tickets" in m["Subject"]]
    assert sorted(m["Subject"] for m in links) == ["Enlaces a sus tickets", "[T-LINKS00002] Enlaces a sus tickets"]
    assert [m["To"] for m in links] == ["Ana Pérez <ana@example.com>"] * 2
    by_address = next(m for m in links if not m["Subject"].startswith("["))
    text = plain(by_address)
    assert "T-LINKS00001" in text and "T-LINKS00002" not in text  # the open one; the old resolved one is not recent
    token = text.split("/tickets/T-LINKS00001?token=")[1].split("&")[0]
    claims = verify_token(token, notifier_settings.desk_secret, now=utc_now(), kind="ticket")
    assert claims["ticket_id"] == "T-LINKS00001" and claims["email"] == "ana@example.com"
    assert "/my/tickets?token=" in text  # she has a shop account
    fresh = plain(next(m for m in links if m["Subject"].startswith("[")))
    assert "/tickets/T-LINKS00002?token=" in fresh and "/my/tickets" not in fresh


async def test_the_return_label_mail_carries_the_pdf_that_intake_stored(notifier, shop, smtp_sink):
    notifier.start()
    stream = Stream("T-LABEL00002")
    label, pdf = stream.printed_label(utc_now(), tracking_number="SE987654")
    await shop.publish(stream.submitted(SUBMITTED_AT), label)
    messages = await wait_for_mail(smtp_sink, 2)
    mail = next(m for m in messages if "etiqueta" in m["Subject"])
    (attachment,) = list(mail.iter_attachments())
    assert attachment.get_filename() == "etiqueta-devolucion-T-LABEL00002.pdf"
    assert attachment.get_content() == pdf
    assert "SE987654" in pypdf.PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert "Le adjuntamos la etiqueta en PDF" in plain(mail)
