"""The submission form in a real browser (Debian's chromium, driven by Playwright), without JavaScript."""

from __future__ import annotations

import asyncpg
from aiohttp import web

from soporte.intake.bootstrap import create_app
from tests.support.desk import read_as
from tests.support.intake import order_known
from tests.support.smtp import free_port

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256)) * 40


async def serve(settings):
    runner = web.AppRunner(create_app(settings))
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return runner, f"http://127.0.0.1:{port}"


async def test_a_guest_submits_a_ticket_with_a_photo_and_sees_field_errors_first(
    browser,
    intake_settings,
    shop_orders,
    artifacts_dir,
    tmp_path,
):
    await shop_orders("100234", "ana@example.com")
    runner, base = await serve(intake_settings)
    photo = tmp_path / "pantalla.jpg"
    photo.write_bytes(JPEG)
    try:
        context = await browser.new_context(java_script_enabled=False, locale="es-ES")
        page = await context.new_page()
        await page.goto(f"{base}/")
        assert await page.locator("h1").inner_text() == "Crear un ticket de soporte"
        await order_known(intake_settings.database_url, "100234")  # it arrives through the shop topic
        await page.fill("#email", "ana@example.com")
        await page.fill("#order_number", "100234")
        await page.click("button[type=submit]")
        assert await page.locator("#order_number").input_value() == "100234"  # pre-selected for the guest

        await page.select_option("#category", "damaged_item")
        await page.fill("#customer_name", "Ana Pérez")
        await page.click("button[type=submit]")  # empty description
        assert await page.locator("#description-error").is_visible()
        await page.screenshot(path=str(artifacts_dir / "intake-form-errors.png"), full_page=True)

        await page.fill("#description", "La pantalla llegó rota, adjunto foto")
        await page.set_input_files("#files", str(photo))
        await page.click("button[type=submit]")
        await page.screenshot(path=str(artifacts_dir / "intake-form-success.png"), full_page=True)
        ticket_number = await page.locator("#ticket-number").inner_text(timeout=10_000)
        assert ticket_number.startswith("T-")
        assert ticket_number in await page.locator("#status-link").get_attribute("href")

        english = await browser.new_page()
        await english.goto(f"{base}/?lang=en")
        assert await english.locator("h1").inner_text() == "Open a support ticket"
    finally:
        await runner.cleanup()

    conn = await asyncpg.connect(intake_settings.database_url)
    try:
        row = await conn.fetchrow("SELECT payload FROM intake.events WHERE ticket_id = $1", ticket_number)
    finally:
        await conn.close()
    assert '"content_type": "image/jpeg"' in row["payload"] and '"filename": "pantalla.jpg"' in row["payload"]


async def test_a_refused_11_mb_photo_leaves_description_order_and_category_filled(
    browser, intake_settings, shop_orders, artifacts_dir, tmp_path
):
    await shop_orders("100345", "ana@example.com")
    runner, base = await serve(intake_settings)
    too_big = tmp_path / "pantalla-grande.jpg"
    too_big.write_bytes(JPEG + b"\x00" * (11 * 2**20))
    photo = tmp_path / "pantalla.jpg"
    photo.write_bytes(JPEG)
    described = "Rayas verticales en la mitad izquierda al encender"
    try:
        page = await (await browser.new_context(java_script_enabled=False, locale="es-ES")).new_page()
        await page.goto(f"{base}/")
        await order_known(intake_settings.database_url, "100345")
        await page.fill("#email", "ana@example.com")
        await page.fill("#order_number", "100345")
        await page.click("button[type=submit]")
        await page.select_option("#category", "lcd_diagnosis")
        await page.fill("#customer_name", "Ana Pérez")
        await page.fill("#description", described)
        await page.set_input_files("#files", str(too_big))
        await page.click("button[type=submit]")
        assert await page.locator("#files-error").inner_text() == "Cada archivo puede ocupar como máximo 10 MB."
        assert await page.locator("#description").input_value() == described
        assert await page.locator("#category").input_value() == "lcd_diagnosis"
        assert await page.locator("#order_number").input_value() == "100345"
        assert await page.locator("#customer_name").input_value() == "Ana Pérez"
        assert (await page.locator("#files-again").inner_text()).startswith("Los archivos que eligió no se guardaron")
        read_as("es", await page.content(), ("Ana Pérez", described), where="the refused form")
        await page.screenshot(path=str(artifacts_dir / "intake-form-refused-photo-keeps-the-rest.png"), full_page=True)

        await page.set_input_files("#files", str(photo))  # chosen again, as the page asks
        await page.click("button[type=submit]")
        assert (await page.locator("#ticket-number").inner_text()).startswith("T-")
        assert (await page.locator("#expected-answer").inner_text()).startswith("Le responderemos como muy tarde el ")
        assert "ana@example.com" in await page.locator("#mail-sent").inner_text()
        read_as("es", await page.content(), ("Ana Pérez",), where="the success page")
        await page.screenshot(path=str(artifacts_dir / "intake-form-success-after-a-refusal.png"), full_page=True)
    finally:
        await runner.cleanup()
