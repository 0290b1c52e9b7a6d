"""In Debian's chromium, on the whole running desk: a stranger's guesses throttle the stranger and not the order's
owner (each person's address comes through a reverse proxy's X-Forwarded-For, as in production), and the free
return label downloads as a PDF from the status page and comes attached to the mail, the same file."""

from __future__ import annotations

import io
from pathlib import Path

import pypdf

from tests.support.desk import open_mail, read_as, text_of

from .steps import agent_signs_in, guest_ticket

SEVILLA = ["Ana Pérez", "Avenida del Sol 3, 2º B", "41001 Sevilla"]


def pdf_text(pdf: bytes) -> str:
    return pypdf.PdfReader(io.BytesIO(pdf)).pages[0].extract_text()


async def person_at(browser, address: str):
    """A browser page of someone at ``address`` (what the reverse proxy in front of the pages says)."""
    context = await browser.new_context(locale="es-ES", extra_http_headers={"X-Forwarded-For": address})
    return await context.new_page()


async def test_ten_wrong_tries_by_a_stranger_do_not_stop_the_owner_and_the_stranger_reads_the_wait(
    desk, browser, shop_orders
):
    ticket = await guest_ticket(desk, shop_orders, "bea@example.com", "800100", customer_name="Bea Ruiz")
    stranger = await person_at(browser, "203.0.113.7")
    said = []
    for attempt in range(10):
        await stranger.goto(f"{desk.portal}/tickets/{ticket['ticket_id']}")
        await stranger.fill("#email", f"guess{attempt}@example.com")
        await stranger.fill("#order_number", "800100")
        await stranger.click("#guest-continue")
        said.append(await stranger.locator("p.error").inner_text())
    assert said[:5] == ["No encontramos un pedido con ese correo y número de pedido."] * 5
    assert said[5:] == ["Demasiados intentos; inténtelo de nuevo en 15 minutos."] * 5  # never "your data is wrong"
    read_as("es", await stranger.content(), where="the throttled page")
    await desk.screenshot(stranger, "customers-stranger-throttled")

    owner = await person_at(browser, "198.51.100.4")
    await owner.goto(f"{desk.portal}/tickets/{ticket['ticket_id']}")
    await owner.fill("#email", "bea@example.com")
    await owner.fill("#order_number", "800100")
    await owner.click("#guest-continue")
    assert await owner.locator("#ticket-id").inner_text() == ticket["ticket_id"]
    await desk.screenshot(owner, "customers-owner-signs-in-meanwhile")


async def test_the_return_label_downloads_from_the_status_page_and_comes_with_the_mail(
    desk, browser, shop_orders, tmp_path: Path
):
    ticket = await guest_ticket(desk, shop_orders, "ana@example.com", "800200", shipping_address=SEVILLA)
    ticket_id = ticket["ticket_id"]
    agent = await agent_signs_in(desk, browser)
    await agent.goto(f"{desk.portal}/agent/tickets/{ticket_id}")
    assert await agent.locator("#label-carrier option").all_inner_texts() == ["Correos Express", "SEUR", "MRW", "GLS"]
    await agent.select_option("#label-carrier", "SEUR")
    await agent.fill("#label-tracking", "SE12345678")
    await agent.click("#send-label")
    await agent.fill("#claim-carrier", "MRW")
    await agent.fill("#claim-tracking", "MRW7788")
    await agent.fill("#claim-reason", "La caja llegó aplastada")
    await agent.click("#send-claim")
    claim = agent.locator("#thread article[data-kind=courier_claim]")
    assert "MRW7788" in await claim.inner_text() and "La caja llegó aplastada" in await claim.inner_text()
    await desk.screenshot(agent, "customers-console-label-and-claim")

    acknowledgement = await desk.mail("ana@example.com", "Hemos recibido su ticket")
    customer = await open_mail(await browser.new_context(locale="es-ES"), acknowledgement)
    await customer.click(f"a[href*='/tickets/{ticket_id}']")
    label = customer.locator("#thread article[data-kind=return_label]")
    assert await label.locator("[data-detail=tracking_number]").inner_text() == "SE12345678"
    assert await label.locator("[data-detail=carrier]").inner_text() == "SEUR"
    claim = customer.locator("#thread article[data-kind=courier_claim]")
    details = {
        name: await claim.locator(f"[data-detail={name}]").inner_text() for name in ("carrier", "tracking_number")
    }
    assert details == {"carrier": "MRW", "tracking_number": "MRW7788"}
    assert (await claim.locator("[data-detail=claim_id]").inner_text()).startswith("CC-")
    assert await claim.locator(".body").inner_text() == "La caja llegó aplastada"
    typed = ("Ana Pérez", "Luis Pardo", "La pantalla llegó rota", "La caja llegó aplastada")
    read_as("es", await customer.content(), typed, where="the status page")
    await desk.screenshot(customer, "customers-status-page-label-and-claim")
    async with customer.expect_download() as started:
        await label.locator(".attachments a").click()
    download = await started.value
    assert download.suggested_filename == f"etiqueta-devolucion-{ticket_id}.pdf"
    saved = tmp_path / download.suggested_filename
    await download.save_as(saved)
    from_page = saved.read_bytes()
    text = pdf_text(from_page)
    assert "SE12345678" in text and ticket_id in text and "41001 Sevilla" in text

    mail = await desk.mail("ana@example.com", "Su etiqueta de devolución gratuita")
    read_as("es", text_of(mail), ("Ana Pérez", "SEUR", "SE12345678"), where="the label's mail")
    (attached,) = list(mail.iter_attachments())
    from_mail = attached.get_content()
    assert from_mail == from_page and "SE12345678" in pdf_text(from_mail) and ticket_id in pdf_text(from_mail)
