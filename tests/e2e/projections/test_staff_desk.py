"""The desk as its staff use it, in Debian's chromium over the whole running desk (intake, projections, notifier,
the real Kafka, PostgreSQL and an SMTP sink).

A lead adds Marta as an agent and keeps a saved reply; Marta signs in with the password the desk made, opens a
ticket for a caller she finds by order number, with a HEIC photo from the caller's phone, sees it as a thumbnail
beside the order's items, inserts the saved reply and sends it: the customer gets one mail with the placeholders
filled. Meanwhile Luis's console shows the new ticket without reloading and, on the ticket, that Marta is
replying; his own reply, typed on the page from before hers, is refused with her message marked. The search box
finds the ticket by a word with an accent typed without it. The lead disables Marta, and her next request gets
the sign-in page. Every page read is checked for one language; screenshots are left in the test artifacts.
"""

from __future__ import annotations

import re

from tests.support.desk import RunningDesk, read_as, signed_in_page, text_of
from tests.support.intake import create_staff, order_known
from tests.support.photos import heic_photo

SAVED = (
    "Hola {customer_name}: hemos recibido las fotos del pedido {order_number}. Su ticket es el {ticket_id}; "
    "le escribiremos antes del {expected_by}."
)
DESCRIPTION = "La pantalla llegó con el cristal roto y la batería no carga; llama desde el trabajo."
TYPED = ("Elena Ruiz", "Marta Gil", "Luis Pardo", "Ana", "ana@example.com", "marta@shop.test", "Fotos recibidas")
TYPED += ("300500", "LCD-156", 'Pantalla 15.6"', DESCRIPTION, "iphone.heic", "Le llamo mañana.")


async def lead_adds_marta_and_a_saved_reply(desk: RunningDesk, browser) -> tuple[object, str]:
    lead = create_staff(desk.settings, "Elena Ruiz", "elena@shop.test", role="lead")
    page = await signed_in_page(browser, desk.portal, lead.email, lead.password)
    await page.click("#staff-link")
    await page.fill("#agent-name-new", "Marta Gil")
    await page.fill("#agent-email-new", "marta@shop.test")
    await page.click("#add-agent")
    password = await page.locator("#new-password").inner_text()
    read_as("es", await page.content(), TYPED + (password, "luis@shop.test", "elena@shop.test"), "agents page")
    await desk.screenshot(page, "desk-staff")
    await page.click("#canned-link")
    await page.fill("#canned-name", "Fotos recibidas")
    await page.fill("#canned-body", SAVED)
    await page.click("#save-canned")
    assert await page.locator("#canned-replies tr[data-reply]").count() == 1
    return page, password


async def test_a_lead_adds_an_agent_who_opens_a_callers_ticket_replies_with_a_saved_reply_and_is_disabled(
    desk, browser, shop_orders
):
    await shop_orders("300500", "ana@example.com")
    await order_known(desk.settings.database_url, "300500")
    lead_page, password = await lead_adds_marta_and_a_saved_reply(desk, browser)

    luis = await signed_in_page(browser, desk.portal, desk.agent.email, desk.agent.password)
    await luis.evaluate("window.loadedOnce = true")  # gone if the page reloads
    marta = await signed_in_page(browser, desk.portal, "marta@shop.test", password)
    assert await marta.locator("#agent-name").inner_text() == "Marta Gil"

    # Marta finds the caller by the order number, picks the order and opens the ticket with the caller's photo.
    await marta.click("#new-ticket-link")
    await marta.fill("#customer-query", "300500")
    await marta.click("#find-customer")
    assert "LCD-156" in await marta.locator(".order[data-order='300500']").inner_text()
    await marta.click(".order[data-order='300500'] .pick-order")
    await marta.fill("#customer-name", "Ana")
    await marta.select_option("#channel", "phone")
    await marta.select_option("#category", "damaged_item")
    await marta.fill("#description", DESCRIPTION)
    photo = {"name": "iphone.heic", "mimeType": "image/heic", "buffer": heic_photo()}
    await marta.set_input_files("#new-files", files=[photo])
    read_as("es", await marta.content(), TYPED, "new ticket page")
    await desk.screenshot(marta, "desk-new-ticket")
    await marta.click("#open-ticket")
    ticket_id = await marta.locator("#ticket-id").inner_text()
    assert "Se puede atender: sí ·" in await marta.locator("main").inner_text()  # the HEIC counts as a photo
    assert (
        await marta.locator("#order-items").inner_text()
        == 'Artículos del pedido\tReferencia\tCantidad\nPantalla 15.6"\tLCD-156\t1'
    )
    thumb = marta.locator("img.thumb")
    await thumb.wait_for()
    assert await thumb.evaluate("img => img.complete && img.naturalWidth") == 120  # drawn from the HEIC, upright

    # Luis's queue shows it without reloading; he opens it, as Marta starts her reply.
    await luis.locator(f"#queue-rows tr[data-ticket='{ticket_id}']").wait_for(timeout=20_000)
    assert await luis.evaluate("window.loadedOnce") is True
    await luis.click(f"#queue-rows tr[data-ticket='{ticket_id}'] a")
    await luis.evaluate("window.loadedOnce = true")
    await marta.fill("#canned-find", "fotos")
    await marta.click("a.canned-insert")
    reply = await marta.locator("#reply-body").input_value()
    assert reply.startswith(f"Hola Ana: hemos recibido las fotos del pedido 300500. Su ticket es el {ticket_id};")
    await luis.locator("#presence").wait_for(state="visible", timeout=20_000)
    assert await luis.locator("#presence").inner_text() == "Marta Gil está respondiendo"
    read_as("es", await luis.content(), TYPED + (ticket_id,), "ticket page")
    await desk.screenshot(luis, "desk-ticket-presence")
    await marta.click("#send-reply")
    await marta.locator("#thread article[data-kind=agent_reply]").wait_for()

    # The customer gets one answer, the placeholders filled.
    answer = await desk.mail("ana@example.com", "Respuesta a su ticket")
    assert reply.splitlines()[0] in text_of(answer) and "{" not in text_of(answer)
    assert re.search(r"le escribiremos antes del \w+ \d+ de \w+ de \d{4}, \d\d:\d\d", text_of(answer))
    assert len([m for m in desk.sink.messages() if "Respuesta a su ticket" in str(m["Subject"])]) == 1

    # Luis, on the page from before Marta's answer, is told; his reply is refused with her message marked.
    await luis.locator("#changed").wait_for(state="visible", timeout=20_000)
    assert await luis.evaluate("window.loadedOnce") is True
    await luis.fill("#reply-body", "Le llamo mañana.")
    await luis.click("#send-reply")
    assert "Alguien cambió el ticket mientras escribía" in await luis.locator("#action-error").inner_text()
    assert await luis.locator("#reply-body").input_value() == "Le llamo mañana."
    assert await luis.locator("article.new[data-kind=agent_reply] .body").inner_text() == reply
    await desk.screenshot(luis, "desk-ticket-conflict")

    # The search box finds it by a word typed without its accent.
    await luis.fill("#search-box", "bateria")
    await luis.click("#search")
    assert await luis.locator("#results tr.result").evaluate_all("rows => rows.map(r => r.dataset.ticket)") == [
        ticket_id
    ]
    assert await luis.locator("#results mark").first.inner_text() == "batería"
    read_as("es", await luis.content(), TYPED + (ticket_id,), "search page")

    # The lead disables Marta: her next request is refused (the sign-in page).
    await lead_page.click("#staff-link")
    await lead_page.click("tr[data-email='marta@shop.test'] button.disable")
    assert await lead_page.locator("tr[data-email='marta@shop.test'] .state").inner_text() == "desactivado"
    await marta.reload()
    assert await marta.locator("#password").count() == 1 and await marta.locator("#agent-name").count() == 0
