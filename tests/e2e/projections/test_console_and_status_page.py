"""Intake and projections together, in a real browser: an agent answers a guest, the guest sees the answer.

Both services run as in this repository's `make run` (intake's relay publishes to the
real Kafka, projections reads it into the real PostgreSQL); Debian's chromium drives
the pages. Screenshots of the console, the agent's ticket page and the customer's
status page are left in the test artifacts.
"""

from __future__ import annotations

import uuid

import aiohttp

from tests.support.desk import JPEG, reply_with_photo, signed_in_page
from tests.support.intake import order_known


async def guest_token(
    session: aiohttp.ClientSession, intake: str, email: str, order_number: str, database_url: str
) -> str:
    """A guest session, asked for once the order has come in from the shop topic."""
    await order_known(database_url, order_number)
    async with session.post(
        f"{intake}/api/v1/guest-sessions", json={"email": email, "order_number": order_number}
    ) as r:
        assert r.status == 201, await r.text()
        return (await r.json())["guest_token"]


async def submit(
    session: aiohttp.ClientSession, intake: str, token: str, name: str, description: str, photo: bool
) -> dict:
    fields = {"category": "damaged_item", "description": description, "customer_name": name}
    form = aiohttp.FormData(fields, default_to_multipart=True)
    if photo:
        form.add_field("files", JPEG, filename="pantalla-rota.jpg", content_type="application/octet-stream")
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": str(uuid.uuid4())}
    async with session.post(f"{intake}/api/v1/tickets", data=form, headers=headers) as r:
        assert r.status == 201, await r.text()
        return await r.json()


async def test_an_agent_serves_the_actionable_guest_ticket_first_and_the_guest_reads_the_reply(
    desk,
    browser,
    intake_settings,
    shop_orders,
    artifacts_dir,
):
    intake, portal = desk.intake, desk.portal
    await shop_orders("300100", "bea@example.com")
    await shop_orders("300200", "ana@example.com")
    async with aiohttp.ClientSession() as session:
        # An older ticket that cannot be acted on yet (no photo), then Ana's complete one.
        bea, ana = [
            await submit(
                session,
                intake,
                await guest_token(session, intake, email, order_number, intake_settings.database_url),
                name,
                description,
                photo=photo,
            )
            for email, order_number, name, description, photo in (
                ("bea@example.com", "300100", "Bea Ruiz", "La pantalla no enciende", False),
                ("ana@example.com", "300200", "Ana Pérez", "La pantalla llegó con el cristal roto, adjunto foto", True),
            )
        ]
    assert bea["actionability"]["actionable"] is False and ana["actionability"]["actionable"] is True

    # The agent signs in and finds Ana's ticket on top of the queue, Bea's older one below it.
    agent_page = await signed_in_page(browser, portal, desk.agent.email, desk.agent.password)
    assert await agent_page.locator("#agent-name").inner_text() == "Luis Pardo"
    rows = agent_page.locator("#queue-rows tr.ticket")
    await agent_page.wait_for_function(
        "document.querySelectorAll('#queue-rows tr.ticket').length === 2", timeout=20_000
    )
    assert await rows.nth(0).get_attribute("data-ticket") == ana["ticket_id"]
    assert await rows.nth(1).get_attribute("data-ticket") == bea["ticket_id"]
    assert "foto del artículo" in await rows.nth(1).inner_text()  # what Bea still has to send
    await agent_page.screenshot(path=str(artifacts_dir / "projections-agent-console.png"), full_page=True)

    # Open it: the photo is listed and downloadable; the agent replies.
    await rows.nth(0).locator("a").click()
    assert await agent_page.locator("#ticket-id").inner_text() == ana["ticket_id"]
    photo_link = agent_page.locator("#thread .attachments a")
    assert await photo_link.inner_text() == "pantalla-rota.jpg"
    download = await agent_page.request.get(portal + await photo_link.get_attribute("href"))
    assert download.status == 200 and await download.body() == JPEG
    await agent_page.fill("#reply-body", "Le enviamos una pantalla nueva hoy mismo.")
    await agent_page.click("#send-reply")
    reply = agent_page.locator("#thread article[data-kind=agent_reply] .body")
    assert await reply.inner_text() == "Le enviamos una pantalla nueva hoy mismo."
    assert await agent_page.locator("#ticket-status").inner_text() == "Abierto"
    await agent_page.screenshot(path=str(artifacts_dir / "projections-agent-ticket.png"), full_page=True)

    # Ana follows the link from her acknowledgement: the token leaves the address bar, the reply is there.
    customer_page = await (await browser.new_context(locale="es-ES")).new_page()
    await customer_page.goto(ana["status_url"])
    assert "token=" not in customer_page.url
    assert await customer_page.locator("#ticket-id").inner_text() == ana["ticket_id"]
    answer = customer_page.locator("#thread article[data-kind=agent_reply] .body")
    assert await answer.inner_text() == "Le enviamos una pantalla nueva hoy mismo."

    # The agent asks for the parcel's label; Ana sees the question and answers with a photo.
    await agent_page.fill("#question", "¿Puede enviarnos una foto de la etiqueta del paquete?")
    await agent_page.click("#send-clarify")
    assert await agent_page.locator("#ticket-status").inner_text() == "Esperando al cliente"
    await customer_page.reload()
    question = customer_page.locator("#thread article[data-kind=clarification] .body")
    assert await question.inner_text() == "¿Puede enviarnos una foto de la etiqueta del paquete?"
    await reply_with_photo(customer_page, "Aquí está la etiqueta.")
    await customer_page.screenshot(path=str(artifacts_dir / "projections-customer-status.png"), full_page=True)

    # The agent issues a free return label and resolves; Ana's page says so.
    await agent_page.reload()
    assert await agent_page.locator("#ticket-status").inner_text() == "Abierto"
    await agent_page.select_option("#label-carrier", "SEUR")
    await agent_page.fill("#label-tracking", "SEUR123456")
    await agent_page.click("#send-label")
    label = agent_page.locator("#thread article[data-kind=return_label]")
    assert await label.locator("[data-detail=tracking_number]").inner_text() == "SEUR123456"
    await agent_page.fill("#resolution", "Pantalla sustituida; devuelva la rota con la etiqueta.")
    await agent_page.click("#send-resolve")
    assert await agent_page.locator("#ticket-status").inner_text() == "Resuelto"
    await customer_page.reload()
    assert await customer_page.locator("#ticket-status").inner_text() == "Resuelto"

    # Her cookie opens only her ticket: Bea's asks for email and order number instead.
    await customer_page.goto(f"{portal}/tickets/{bea['ticket_id']}")
    assert await customer_page.locator("#email").count() == 1
    assert "La pantalla no enciende" not in await customer_page.content()

    english = await (await browser.new_context(locale="en-GB")).new_page()
    await english.goto(f"{portal}/agent")
    assert await english.locator("h1").inner_text() == "Agent console"
