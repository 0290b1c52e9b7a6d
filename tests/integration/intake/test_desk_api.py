"""What the console asks intake for, against the real PostgreSQL and Kafka: canned replies leads keep and agents
send (with what they bundle, in one commit), callers found by order number, address or name with their orders,
and photos shown upright without their metadata (HEIC included), PDFs opened in the browser."""

from __future__ import annotations

import io

import aiohttp
from PIL import Image

from soporte.intake.entrypoints import keys
from tests.support.intake import bearer, create_staff, order_known, ticket_events
from tests.support.photos import heic_photo, is_blue, sideways_jpeg_with_gps, top_colour

GREETING = "Hola {customer_name}: le enviamos la etiqueta para el pedido {order_number} ({ticket_id})."


async def phone_ticket(client, token: str, *, order_number: str | None = None, files=()) -> str:
    fields = {
        "category": "damaged_item",
        "description": "La pantalla llegó con el cristal roto; llama desde el trabajo",
        "customer_name": "Ana Pérez",
        "customer_email": "ana@example.com",
        "channel": "phone",
        **({"order_number": order_number} if order_number else {}),
    }
    form = aiohttp.FormData(fields, default_to_multipart=True)
    for name, data in files:
        form.add_field("files", data, filename=name, content_type="application/octet-stream")
    response = await client.post("/api/v1/tickets", headers=bearer(token), data=form)
    assert response.status == 201, await response.text()
    return (await response.json())["ticket_id"]


async def test_leads_keep_canned_replies_agents_find_them_by_name_and_a_bundled_label_goes_with_the_reply(
    client, intake_settings
):
    lead, agent = (
        create_staff(intake_settings, "Marta Gil", "marta@shop.test", role="lead"),
        create_staff(intake_settings, "Luis Pardo", "luis@shop.test"),
    )
    reply = {"name": "Etiqueta de devolución", "language": "es", "body": GREETING, "action": "return_label"}
    assert (await client.post("/api/v1/canned-replies", headers=bearer(agent.token), json=reply)).status == 403
    no_carrier = await client.post("/api/v1/canned-replies", headers=bearer(lead.token), json=reply)
    assert no_carrier.status == 422 and (await no_carrier.json())["errors"][0]["field"] == "carrier"
    typo = {**reply, "carrier": "SEUR", "body": "Hola {nombre}"}
    refused = await client.post("/api/v1/canned-replies", headers=bearer(lead.token), json=typo)
    assert refused.status == 422 and "{nombre}" in (await refused.json())["errors"][0]["message"]
    saved = await client.post("/api/v1/canned-replies", headers=bearer(lead.token), json={**reply, "carrier": "SEUR"})
    assert saved.status == 201
    label_reply = await saved.json()
    english = {"name": "Thanks", "language": "en", "body": "Thank you, {customer_name}.", "action": "resolve"}
    assert (await client.post("/api/v1/canned-replies", headers=bearer(lead.token), json=english)).status == 201
    twice = await client.post("/api/v1/canned-replies", headers=bearer(lead.token), json={**english, "name": "THANKS"})
    assert twice.status == 422

    found = await client.get("/api/v1/canned-replies?language=es&q=etiq", headers=bearer(agent.token))
    assert [r["name"] for r in (await found.json())["items"]] == ["Etiqueta de devolución"]
    everything = await (await client.get("/api/v1/canned-replies", headers=bearer(agent.token))).json()
    assert [r["language"] for r in everything["items"]] == ["en", "es"]

    ticket_id = await phone_ticket(client, agent.token)
    body = "Hola Ana Pérez: le enviamos la etiqueta."
    sent = await client.post(
        f"/api/v1/tickets/{ticket_id}/responses",
        headers=bearer(agent.token),
        json={"body": body, "canned_reply_id": label_reply["id"], "expected_version": 1},
    )
    assert sent.status == 201 and (await sent.json())["version"] == 3
    seen = await ticket_events(
        intake_settings.kafka_bootstrap, intake_settings.topic_prefix, lambda s: len(s) >= 3, timeout=30
    )
    label, response = [e for e in seen if e.ticket_id == ticket_id][1:]
    assert (label.type, label.data.carrier, response.type, response.data.body) == (
        "ReturnLabelIssued", "SEUR", "AgentReplied", body
    )  # fmt: skip
    assert label.correlation_id == response.correlation_id
    removed = await client.delete(f"/api/v1/canned-replies/{label_reply['id']}", headers=bearer(lead.token))
    assert removed.status == 204
    gone = {"body": body, "canned_reply_id": label_reply["id"]}
    stale = await client.post(f"/api/v1/tickets/{ticket_id}/responses", headers=bearer(agent.token), json=gone)
    assert stale.status == 422 and (await stale.json())["errors"][0]["field"] == "canned_reply_id"


async def test_a_caller_is_found_by_order_number_address_or_name_without_accents_with_every_order(
    client, intake_settings, shop_orders
):
    agent = create_staff(intake_settings, "Luis Pardo", "luis@shop.test")
    await shop_orders("300100", "ana@example.com", customer_id="cust-1")
    await shop_orders("300200", "ana@example.com", customer_id="cust-1")
    await shop_orders("300300", "bea@example.com")
    for number in ("300100", "300200", "300300"):
        await order_known(intake_settings.database_url, number)
    async with client.app[keys.ORDERS].conn.acquire() as conn:
        await conn.execute("UPDATE intake.orders SET customer_name = 'Ana Pérez' WHERE email = 'ana@example.com'")

    async def found(query: str) -> list[dict]:
        answer = await client.get("/api/v1/customers", params={"q": query}, headers=bearer(agent.token))
        assert answer.status == 200
        return (await answer.json())["items"]

    by_number = await found("300100")
    assert [c["email"] for c in by_number] == ["ana@example.com"]
    assert sorted(o["order_number"] for o in by_number[0]["orders"]) == ["300100", "300200"]
    assert by_number[0]["orders"][0]["items"] == [{"sku": "LCD-156", "name": 'Pantalla 15.6"', "quantity": 1}]
    assert [c["email"] for c in await found("perez")] == ["ana@example.com"]
    assert [c["email"] for c in await found("BEA@example.com")] == ["bea@example.com"]
    assert await found("%_") == []  # a LIKE wildcard is a character like any other
    short = await client.get("/api/v1/customers", params={"q": "a"}, headers=bearer(agent.token))
    assert short.status == 422
    order = await (await client.get("/api/v1/orders/300300", headers=bearer(agent.token))).json()
    assert order["email"] == "bea@example.com" and order["items"][0]["sku"] == "LCD-156"
    assert (await client.get("/api/v1/orders/999", headers=bearer(agent.token))).status == 404


async def test_photos_are_viewed_upright_without_metadata_heic_too_and_a_pdf_opens_inline(client, intake_settings):
    agent = create_staff(intake_settings, "Luis Pardo", "luis@shop.test")
    pdf = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
    files = [("lado.jpg", sideways_jpeg_with_gps()), ("iphone.heic", heic_photo()), ("factura.pdf", pdf)]
    ticket_id = await phone_ticket(client, agent.token, files=files)
    stream = await ticket_events(
        intake_settings.kafka_bootstrap,
        intake_settings.topic_prefix,
        lambda s: any(e.ticket_id == ticket_id for e in s),
    )
    attachments = {a.filename: a for a in stream[0].data.attachments}
    assert attachments["iphone.heic"].content_type == "image/heic"
    base = f"/api/v1/tickets/{ticket_id}/attachments"
    for name in ("lado.jpg", "iphone.heic"):
        for size in ("thumb", "full"):
            shown = await client.get(f"{base}/{attachments[name].sha256}/views/{size}", headers=bearer(agent.token))
            data = await shown.read()
            assert shown.status == 200 and shown.headers["Content-Type"] == "image/jpeg"
            with Image.open(io.BytesIO(data)) as image:
                assert image.size == (120, 80) and not image.getexif()
            assert is_blue(top_colour(data))
    pdf_sha = attachments["factura.pdf"].sha256
    assert (await client.get(f"{base}/{pdf_sha}/views/thumb", headers=bearer(agent.token))).status == 404
    inline = await client.get(f"{base}/{pdf_sha}?disposition=inline", headers=bearer(agent.token))
    assert inline.headers["Content-Disposition"].startswith("inline;") and await inline.read() == pdf
    saved = await client.get(f"{base}/{attachments['lado.jpg'].sha256}?disposition=inline", headers=bearer(agent.token))
    assert saved.headers["Content-Disposition"].startswith("attachment;")  # only PDFs open in the page
    assert (await client.get(f"{base}/{pdf_sha}/views/huge", headers=bearer(agent.token))).status == 404
    assert (await client.get(f"{base}/{pdf_sha}/views/thumb")).status == 401
