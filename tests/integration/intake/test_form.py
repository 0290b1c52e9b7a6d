"""The submission form over plain HTTP (no JavaScript): the customer flow, the page's own words for errors."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import aiohttp
import asyncpg

from soporte.intake.adapters.files import LocalFileStore
from tests.support.intake import customer_token

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256)) * 40


def ticket_form(fields: dict[str, str], files: list[tuple[str, bytes]] = ()) -> aiohttp.FormData:
    data = aiohttp.FormData(quote_fields=False)
    for name, value in fields.items():
        data.add_field(name, value)
    for filename, content in files or [("", b"")]:  # a browser sends an empty file part when none is chosen
        data.add_field("files", content, filename=filename, content_type="application/octet-stream")
    return data


async def stored_events(dsn: str) -> list[str]:
    conn = await asyncpg.connect(dsn)
    try:
        return [
            r["payload"]
            for r in await conn.fetch("SELECT payload::text FROM intake.events ORDER BY ticket_id, version")
        ]
    finally:
        await conn.close()


async def test_a_shop_customer_picks_one_of_their_orders_and_gets_the_ticket_number(
    client, shop_orders, intake_settings
):
    await shop_orders("300001", "ana@example.com", customer_id="cust-1")
    await shop_orders("300002", "eve@example.com", customer_id="cust-2")
    # The shop links to the form with a signed token; the form keeps it in a cookie and drops it from the URL.
    arrived = await client.get("/", params={"customer_token": customer_token(), "lang": "en"}, allow_redirects=False)
    assert arrived.status == 303 and "customer_token" not in arrived.headers["Location"]
    assert arrived.cookies["soporte_customer"]["httponly"]
    for _ in range(60):  # the orders come through the shop topic
        page = await (await client.get("/?lang=en")).text()
        if "300001" in page:
            break
        await asyncio.sleep(0.3)
    assert 'value="300001"' in page and "300002" not in page  # only her own orders

    fields = {"order_number": "300001", "category": "damaged_item", "customer_name": "Ana", "language": "en"}
    photo = [("broken.jpg", JPEG)]
    refused = await client.post("/form/tickets?lang=en", data=ticket_form({**fields, "description": ""}, photo))
    assert refused.status == 422
    html = await refused.text()
    assert re.search(r'id="description-error">This field is required\.<', html)
    assert '<option value="300001" selected' in html and 'value="Ana"' in html  # what was typed stays

    sent = await client.post(
        "/form/tickets?lang=en", data=ticket_form({**fields, "description": "Arrived cracked"}, photo)
    )
    assert sent.status == 201
    html = await sent.text()
    ticket_id = re.search(r'id="ticket-number">(T-[0-9A-Z]+)<', html).group(1)
    assert f'href="http://portal.test/tickets/{ticket_id}?token=' in html
    assert 'id="expected-answer">We will answer by ' in html and "ana@example.com" in html  # and a mail went there
    (submitted,) = await stored_events(intake_settings.database_url)
    assert (
        '"order_number": "300001"' in submitted
        and '"customer_id": "cust-1"' in submitted
        and '"language": "en"' in submitted
    )

    not_hers = await client.post(
        "/form/tickets?lang=en",
        data=ticket_form(
            {"order_number": "300002", "category": "wrong_item", "customer_name": "Ana", "description": "Not mine"}
        ),
    )
    assert not_hers.status == 422 and 'id="order_number-error">Choose one of your orders.<' in await not_hers.text()


async def test_refused_files_are_explained_in_spanish_and_leave_nothing(client, intake_settings):
    await client.get("/", params={"customer_token": customer_token()}, allow_redirects=False)
    fields = {"category": "damaged_item", "customer_name": "Ana", "description": "Rota"}
    disguised = await client.post(
        "/form/tickets", data=ticket_form(fields, [("foto.jpg", b"MZ\x90\x00" + b"\x00" * 600)])
    )
    assert disguised.status == 415
    assert "Solo aceptamos fotos, PDF, texto o vídeo" in await disguised.text()
    traversal = await client.post("/form/tickets", data=ticket_form(fields, [("../../x.jpg", JPEG)]))
    assert traversal.status == 422 and 'id="files-error">Cambie el nombre del archivo' in await traversal.text()
    unknown = await client.post(
        "/form/tickets", data=ticket_form({**fields, "category": "teleport"}, [("ok.jpg", JPEG)])
    )
    assert unknown.status == 422 and 'id="category-error">Elija una opción de la lista.<' in await unknown.text()
    assert await stored_events(intake_settings.database_url) == []
    assert LocalFileStore(Path(intake_settings.attachments_dir)).stored_files() == []


async def test_a_wrong_guest_pair_is_one_message_and_without_a_session_the_form_asks_again(client, shop_orders):
    await shop_orders("300003", "ana@example.com")
    wrong = await client.post("/form/guest", data={"email": "eve@example.com", "order_number": "300003"})
    assert wrong.status == 401 and "No encontramos un pedido con ese correo y número de pedido." in await wrong.text()
    malformed = await client.post("/form/guest?lang=en", data={"email": "not-an-email", "order_number": ""})
    html = await malformed.text()
    assert malformed.status == 422 and 'id="email-error">Enter a valid email address.<' in html
    assert 'id="order_number-error">This field is required.<' in html
    expired = await client.post("/form/tickets", data=ticket_form({"category": "pre_sales"}))
    assert expired.status == 401 and "Su sesión ha caducado" in await expired.text()


async def test_an_11_mb_photo_is_refused_and_the_form_comes_back_as_typed_asking_for_the_files_again(
    client, intake_settings
):
    await client.get("/", params={"customer_token": customer_token()}, allow_redirects=False)
    fields = {"category": "lcd_diagnosis", "customer_name": "Ana", "description": "Rayas verticales al encender"}
    photo = JPEG + b"\x00" * (11 * 2**20)
    refused = await client.post("/form/tickets", data=ticket_form(fields, [("pantalla.jpg", photo)]))
    html = await refused.text()
    assert refused.status == 413 and 'id="files-error">Cada archivo puede ocupar como máximo 10 MB.<' in html
    assert "Rayas verticales al encender</textarea>" in html and '<option value="lcd_diagnosis" selected' in html
    assert 'id="files-again">Los archivos que eligió no se guardaron' in html
    assert LocalFileStore(Path(intake_settings.attachments_dir)).stored_files() == []


async def test_a_throttled_guest_reads_how_long_to_wait_never_that_the_pair_was_wrong(client, shop_orders):
    await shop_orders("300004", "ana@example.com")
    for n in range(5):
        await client.post("/form/guest", data={"email": f"x{n}@example.com", "order_number": "300004"})
    throttled = await client.post("/form/guest", data={"email": "ana@example.com", "order_number": "300004"})
    html = await throttled.text()
    assert throttled.status == 429 and "Demasiados intentos; inténtelo de nuevo en 15 minutos." in html
    assert "No encontramos" not in html and 'value="ana@example.com"' in html
