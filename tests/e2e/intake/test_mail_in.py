"""Mail in, end to end: mail-in's own process taking mail over SMTP (smtplib as the shop's mail server) and from a
real Dovecot, the notifier's mails read in an SMTP sink, the result read in the console, the status page and the
projections' query API. Screenshots are left in the test artifacts.
"""

from __future__ import annotations

import asyncio
from contextlib import AsyncExitStack

import asyncpg
import pytest

from tests.support.desk import signed_in_page
from tests.support.imap import start_imap_server
from tests.support.mail_desk import REPLY_ADDRESS, SECRET, answering, bouncing, start_desk
from tests.support.mailin import eventually, fixture_mail

ANA = "ana.garcia@gmail.example"


@pytest.fixture
async def desk(intake_settings, smtp_sink, tmp_path):
    async with AsyncExitStack() as stack:
        yield await start_desk(intake_settings, smtp_sink, stack, tmp_path, imap=None)


async def event_types(database_url: str, ticket_id: str) -> list[str]:
    conn = await asyncpg.connect(database_url)
    try:
        rows = await conn.fetch("SELECT type FROM intake.events WHERE ticket_id = $1 ORDER BY version", ticket_id)
    finally:
        await conn.close()
    return [r["type"] for r in rows]


async def agent_page(browser, desk, locale: str):
    """A browser page signed in to the console (the queue shows the agent's name once the cookie is set)."""
    page = await signed_in_page(browser, desk.portal, desk.agent.email, desk.agent.password, locale)
    assert await page.locator("#agent-name").inner_text() == "Luis Pardo"
    return page


def kinds(detail: dict) -> list[str]:
    return [m["kind"] for m in detail["thread"]]


async def test_a_reply_to_the_acknowledgement_lands_once_on_the_thread_and_noise_makes_no_event(
    desk, intake_settings, shop_orders, browser, artifacts_dir
):
    await shop_orders("300200", ANA)
    ticket = await desk.guest_ticket(ANA, "300200", "Ana García", "La pantalla llegó con una línea blanca")
    ticket_id = ticket["ticket_id"]
    (ack,) = await desk.mail_to(ANA)
    assert ack["Reply-To"].startswith("soporte+") and ack["Reply-To"].endswith("@tienda.example")

    reply = answering(ack, fixture_mail("gmail_reply_es_photo.eml", ticket_id, SECRET))
    for _ in range(2):  # the shop's mail server delivers it twice
        code, _ = await asyncio.to_thread(desk.send, reply, ANA, (ack["Reply-To"],))
        assert code == 250
    # An out-of-office answer to the acknowledgement, and a bounce of a mail the desk never sent.
    auto = answering(ack, fixture_mail("auto_reply_es.eml", ticket_id, SECRET))
    assert (await asyncio.to_thread(desk.send, auto, "", (ack["Reply-To"],)))[0] == 250
    assert (await asyncio.to_thread(desk.send, fixture_mail("bounce_postfix.eml"), ""))[0] == 250

    # Each 250 came after its mail was committed or dropped: the event store holds the one reply, nothing else.
    assert await event_types(intake_settings.database_url, ticket_id) == ["TicketSubmitted", "CustomerReplied"]
    detail = await desk.ticket(ticket_id, until=lambda d: "customer_reply" in kinds(d))
    (message,) = [m for m in detail["thread"] if m["kind"] == "customer_reply"]
    assert (
        message["body"]
        == "Hola, les adjunto la foto de la pantalla: tiene una línea blanca en\ndiagonal desde que llegó."
    )
    assert [a["filename"] for a in message["attachments"]] == ["IMG_20260302_112801.jpg"]
    assert [e["type"] for e in detail["timeline"]] == ["TicketSubmitted", "CustomerReplied"]

    # The agent reads it in the console, photo included; Ana on her status page.
    page = await agent_page(browser, desk, "es-ES")
    await page.goto(f"{desk.portal}/agent/tickets/{ticket_id}")
    shown = page.locator("#thread article[data-kind=customer_reply]")
    assert await shown.count() == 1
    assert "línea blanca en diagonal" in " ".join((await shown.locator(".body").inner_text()).split())
    assert "Hemos recibido" not in await shown.inner_text()
    photo = shown.locator(".attachments a")
    assert await photo.inner_text() == "IMG_20260302_112801.jpg"
    assert (await page.request.get(desk.portal + await photo.get_attribute("href"))).status == 200
    await page.screenshot(path=str(artifacts_dir / "mailin-console-reply.png"), full_page=True)
    customer = await (await browser.new_context(locale="es-ES")).new_page()
    await customer.goto(ticket["status_url"])
    mine = customer.locator("#thread article[data-kind=customer_reply]")
    assert await mine.count() == 1 and await mine.locator(".attachments a").inner_text() == "IMG_20260302_112801.jpg"
    await customer.screenshot(path=str(artifacts_dir / "mailin-status-page-reply.png"), full_page=True)


async def test_new_mail_opens_tickets_that_get_their_acknowledgement_and_a_bounce_marks_one(
    desk, intake_settings, shop_orders, browser, artifacts_dir
):
    await shop_orders("300001", "peter.wood@mail.example")
    raw = fixture_mail("new_ticket_photo_en.eml")
    assert (await asyncio.to_thread(desk.send, raw, "peter.wood@mail.example"))[0] == 250
    (ack,) = await desk.mail_to("peter.wood@mail.example")
    ticket_id = ack["Subject"].split("]")[0].strip("[")
    text = ack.get_body(("plain",)).get_content()
    assert ack["Subject"] == f"[{ticket_id}] We received your ticket"
    assert "These files were not accepted:\n- invoice.exe: it is not a photo, a PDF, a text or a video" in text
    assert ack["Reply-To"].startswith("soporte+") and ack["Reply-To"].endswith("@tienda.example")
    detail = await desk.ticket(ticket_id)
    assert (detail["ticket"]["order_number"], detail["ticket"]["channel"]) == ("300001", "email")
    assert detail["ticket"]["category"] == "damaged_item" and detail["ticket"]["actionable"] is True

    # A Windows-1252 HTML-only mail from someone without an order here reads right on its ticket.
    html_only = fixture_mail("html_only_windows1252_new.eml")
    assert (await asyncio.to_thread(desk.send, html_only, "begona.nunez@correo.example"))[0] == 250
    (begona,) = await desk.mail_to("begona.nunez@correo.example")
    other_id = begona["Subject"].split("]")[0].strip("[")
    described = (await desk.ticket(other_id))["thread"][0]["body"]
    assert described.startswith("Pantalla rota – pedido 100555\n\nBuenos días:\n\nCompré una pantalla")
    assert "89,90 €" in described and "“N156HGA-EA3”" in described
    assert begona["Subject"] == f"[{other_id}] Hemos recibido su ticket"  # she wrote in Spanish

    # Peter's acknowledgement comes back: his address no longer exists. The console says so.
    bounce = bouncing(ack, fixture_mail("bounce_postfix.eml"))
    assert (await asyncio.to_thread(desk.send, bounce, ""))[0] == 250
    detail = await desk.ticket(ticket_id, until=lambda d: d["timeline"][-1]["type"] == "NotificationBounced")
    assert detail["timeline"][-1]["data"]["recipient"] == "peter.wood@mail.example"
    page = await agent_page(browser, desk, "en-GB")
    await page.goto(f"{desk.portal}/agent/tickets/{ticket_id}")
    banner = await page.locator("#bounced").inner_text()
    assert banner.startswith("The customer's address bounced") and "5.1.1" in banner
    refused = page.locator("#thread article[data-kind=submitted] .refused-files li")
    assert await refused.inner_text() == "invoice.exe: it is not a photo, a PDF, a text or a video"
    await page.screenshot(path=str(artifacts_dir / "mailin-console-bounce.png"), full_page=True)


async def test_mail_fetched_from_an_imap_mailbox_lands_on_the_thread_once(
    intake_settings, smtp_sink, shop_orders, tmp_path
):
    imap = start_imap_server()
    try:
        async with AsyncExitStack() as stack:
            desk = await start_desk(intake_settings, smtp_sink, stack, tmp_path, imap=imap)
            await shop_orders("300300", ANA)
            ticket_id = (await desk.guest_ticket(ANA, "300300", "Ana García", "No enciende"))["ticket_id"]
            (ack,) = await desk.mail_to(ANA)
            reply = answering(ack, fixture_mail("outlook_reply_es.eml", ticket_id, SECRET))
            imap.deliver(reply)
            imap.deliver(reply)  # the same mail twice in the mailbox
            await eventually(lambda: [("\\Seen" in flags) for flags, _ in imap.messages()] == [True, True], timeout=60)
            assert await event_types(intake_settings.database_url, ticket_id) == ["TicketSubmitted", "CustomerReplied"]
            detail = await desk.ticket(ticket_id, until=lambda d: "customer_reply" in kinds(d))
            assert [m["body"] for m in detail["thread"] if m["kind"] == "customer_reply"] == [
                "Buenos días:\n\nLa pantalla sigue sin encender después de cambiar el cable. "
                "¿Pueden enviarme una de repuesto?"
            ]
            assert REPLY_ADDRESS in ack["From"]
    finally:
        imap.stop()
