"""Customers get back to their tickets from their mail, in Debian's chromium, on the whole running desk.

Each link is read out of the real mail in the SMTP sink and followed from the mail shown as a web mail shows it
(another site). Pages and mails are checked for one language; screenshots are left in test-artifacts/.
"""

from __future__ import annotations

from datetime import timedelta

from tests.support.desk import link_from, open_mail, read_as, reply_with_photo, text_of
from tests.support.intake import customer_token

from .steps import agent_signs_in, guest_ticket, ticket_for

TYPED = ("Ana Pérez", "La pantalla llegó rota", "Carla Gil", "¿Tienen pantallas de 17 pulgadas?")


async def test_the_link_in_the_mail_opens_the_ticket_with_no_typing(desk, browser, shop_orders):
    ticket = await guest_ticket(desk, shop_orders, "ana@example.com", "700100")
    mail = await desk.mail("ana@example.com", "Hemos recibido su ticket")
    read_as("es", text_of(mail), TYPED, where="the acknowledgement")
    context = await browser.new_context(locale="es-ES")
    inbox = await open_mail(context, mail)
    await inbox.click(f"a[href*='/tickets/{ticket['ticket_id']}']")
    await inbox.wait_for_selector("#ticket-id")
    assert await inbox.locator("#ticket-id").inner_text() == ticket["ticket_id"]
    assert "token=" not in inbox.url
    assert await inbox.locator("#thread article[data-kind=submitted] .body").inner_text() == "La pantalla llegó rota"
    read_as("es", await inbox.content(), TYPED, where="the status page")
    await desk.screenshot(inbox, "customers-mail-link-opens-the-ticket")


async def test_an_expired_link_offers_a_fresh_one_which_arrives_and_works(desk, browser, shop_orders):
    desk.notifier_clock.back = timedelta(days=31)  # the acknowledgement went a month ago: its link has expired
    ticket = await guest_ticket(desk, shop_orders, "ana@example.com", "700200")
    old = await desk.mail("ana@example.com", "Hemos recibido su ticket")
    desk.notifier_clock.back = timedelta(0)
    page = await open_mail(await browser.new_context(locale="es-ES"), old)
    await page.click(f"a[href*='/tickets/{ticket['ticket_id']}']")
    await page.wait_for_selector("#link-expired")
    assert "ana@example.com" not in await page.content()  # the ticket's address is never shown
    read_as("es", await page.content(), TYPED, where="the expired link's page")
    await desk.screenshot(page, "customers-expired-link")
    await page.click("#send-fresh-link")
    assert "Si el ticket existe, hemos enviado un enlace nuevo" in await page.locator("#fresh-link-sent").inner_text()
    fresh = await desk.mail("ana@example.com", f"[{ticket['ticket_id']}] Enlaces a sus tickets")
    read_as("es", text_of(fresh), TYPED, where="the fresh link's mail")
    inbox = await open_mail(page.context, fresh)
    await inbox.click(f"a[href*='/tickets/{ticket['ticket_id']}']")
    await inbox.wait_for_selector("#ticket-id")
    assert await inbox.locator("#ticket-id").inner_text() == ticket["ticket_id"]
    await desk.screenshot(inbox, "customers-fresh-link-opens-the-ticket")


async def test_links_an_agent_cancels_stop_opening_the_ticket_and_a_fresh_one_works(desk, browser, shop_orders):
    ticket = await guest_ticket(desk, shop_orders, "ana@example.com", "700300")
    mail = await desk.mail("ana@example.com", "Hemos recibido su ticket")
    customer = await open_mail(await browser.new_context(locale="es-ES"), mail)
    await customer.click(f"a[href*='/tickets/{ticket['ticket_id']}']")
    await customer.wait_for_selector("#ticket-id")
    agent = await agent_signs_in(desk, browser)
    await agent.goto(f"{desk.portal}/agent/tickets/{ticket['ticket_id']}")
    await agent.fill("#revoke-reason", "El cliente reenvió el correo por error")
    await agent.click("#send-revoke")
    assert "Enlaces de acceso revocados" in await agent.locator("#timeline").inner_text()
    await customer.reload()
    await customer.wait_for_selector("#link-expired")
    await customer.click("#send-fresh-link")
    fresh = await desk.mail("ana@example.com", f"[{ticket['ticket_id']}] Enlaces a sus tickets")
    inbox = await open_mail(customer.context, fresh)
    await inbox.click(f"a[href*='/tickets/{ticket['ticket_id']}']")
    assert await inbox.locator("#ticket-id").inner_text() == ticket["ticket_id"]
    old = await open_mail(await browser.new_context(locale="es-ES"), mail)  # the first mail's link stays dead
    await old.click(f"a[href*='/tickets/{ticket['ticket_id']}']")
    await old.wait_for_selector("#link-expired")


async def test_a_customer_without_an_order_gets_a_link_by_mail_and_replies_with_a_photo(desk, browser):
    call = {"category": "pre_sales", "description": TYPED[3], "customer_name": "Carla Gil"}
    ticket = await ticket_for(desk, desk.agent_token, **call, channel="phone", customer_email="carla@example.com")
    await desk.mail("carla@example.com", "Hemos abierto su ticket")  # the desk knows her ticket by now
    page = await (await browser.new_context(locale="es-ES")).new_page()
    await page.goto(f"{desk.portal}/access")
    read_as("es", await page.content(), where="the send-me-a-link page")
    await page.fill("#email", "carla@example.com")
    await page.click("#send-links")
    sent = await page.locator("#links-sent").inner_text()
    assert sent.startswith("Si tenemos tickets con esa dirección, le hemos enviado un enlace.")
    await desk.screenshot(page, "customers-send-me-a-link")
    mail = await desk.mail("carla@example.com", "Enlaces a sus tickets")
    read_as("es", text_of(mail), TYPED, where="the links' mail")
    inbox = await open_mail(page.context, mail)
    await inbox.click(f"a[href*='/tickets/{ticket['ticket_id']}']")
    await reply_with_photo(inbox, "Les mando una foto de la etiqueta de mi pantalla actual.")
    await desk.screenshot(inbox, "customers-reply-with-a-photo-after-a-link")


async def test_a_shop_customers_links_mail_opens_my_tickets_with_status_and_last_activity(desk, browser, shop_orders):
    await shop_orders("700400", "bea@example.com", customer_id="cust-44")
    token = customer_token("cust-44", "bea@example.com", "Bea Ruiz")
    ticket = await ticket_for(desk, token, category="order_status", description="¿Dónde está?", customer_name="Bea")
    await desk.mail("bea@example.com", "Hemos recibido su ticket")
    page = await (await browser.new_context(locale="en-GB")).new_page()
    await page.goto(f"{desk.portal}/access?lang=en")
    await page.fill("#email", "bea@example.com")
    await page.click("#send-links")
    mail = await desk.mail("bea@example.com", "Links to your tickets")
    read_as("en", text_of(mail), ("Bea", "Bea Ruiz"), where="the links' mail in English")
    assert "/my/tickets?token=" in link_from(mail, "/my/tickets")
    inbox = await open_mail(page.context, mail)
    await inbox.click("a[href*='/my/tickets']")
    row = inbox.locator(f"#my-tickets tr[data-ticket='{ticket['ticket_id']}']")
    assert "Order status" in await row.inner_text() and "New" in await row.inner_text()
    read_as("en", await inbox.content(), ("Bea",), where="my tickets")
    await desk.screenshot(inbox, "customers-my-tickets")
    await row.locator("a").click()
    assert await inbox.locator("#ticket-id").inner_text() == ticket["ticket_id"]
