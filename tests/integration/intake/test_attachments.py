"""Photos and files: judged by content, stored by hash, referenced from events, nothing left behind on refusal."""

from __future__ import annotations

from pathlib import Path

import aiohttp

from soporte.intake.adapters.files import LocalFileStore
from soporte.intake.entrypoints import keys
from tests.support.intake import bearer, count_events, customer_token, guest_session, ticket_events

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256)) * 40
EXE = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 2000


def form(fields: dict[str, str], files: list[tuple[str, bytes]]) -> aiohttp.FormData:
    data = aiohttp.FormData(quote_fields=False)  # raw names, as browsers send them
    for name, value in fields.items():
        data.add_field(name, value)
    for filename, content in files:
        data.add_field("files", content, filename=filename, content_type="application/octet-stream")
    return data


async def test_a_guest_photo_is_referenced_by_hash_and_only_the_ticket_owner_downloads_it(
    client, shop_orders, intake_settings
):
    await shop_orders("100234", "ana@example.com")
    guest = (await (await guest_session(client, "ana@example.com", "100234")).json())["guest_token"]
    response = await client.post(
        "/api/v1/tickets",
        headers=bearer(guest),
        data=form(
            {
                "category": "damaged_item",
                "description": "La pantalla llegó rota",
                "customer_name": "Ana",
                "order_number": "",
            },
            [("pantalla rota.JPG", JPEG)],
        ),
    )
    assert response.status == 201, await response.text()
    ticket = await response.json()
    assert ticket["actionability"] == {
        "actionable": True,
        "missing": [],
        "priority": "high",
    }  # order + photo: served first

    seen = await ticket_events(intake_settings.kafka_bootstrap, intake_settings.topic_prefix, lambda s: bool(s))
    (ref,) = seen[0].data.attachments
    assert ref.content_type == "image/jpeg" and ref.filename == "pantalla rota.JPG" and ref.size == len(JPEG)
    assert "bytes" not in seen[0].model_dump_json()  # a reference, never the content

    path = f"/api/v1/tickets/{ticket['ticket_id']}/attachments/{ref.sha256}"
    own = await client.get(path, headers=bearer(ticket["access_token"]))
    assert own.status == 200 and await own.read() == JPEG and own.headers["Content-Type"] == "image/jpeg"
    assert (await client.get(path, headers=bearer(customer_token("cust-2", "eve@example.com")))).status == 404
    assert (await client.get(path)).status == 401
    assert not client.server.app[keys.FILES].holds


async def test_a_customer_submits_with_a_photo_and_replies_with_a_file(client, intake_settings):
    token = customer_token()
    ticket = await (
        await client.post(
            "/api/v1/tickets",
            headers=bearer(token),
            data=form(
                {"category": "lcd_diagnosis", "description": "Parpadea", "customer_name": "Ana"},
                [("pantalla.jpg", JPEG)],
            ),
        )
    ).json()
    reply = await client.post(
        f"/api/v1/tickets/{ticket['ticket_id']}/messages",
        headers=bearer(token),
        data=form({"body": "Adjunto el registro"}, [("log.txt", "línea 1\nlínea 2\n".encode())]),
    )
    assert reply.status == 201
    seen = await ticket_events(intake_settings.kafka_bootstrap, intake_settings.topic_prefix, lambda s: len(s) >= 2)
    assert seen[0].actor.kind == "customer" and seen[0].data.attachments[0].content_type == "image/jpeg"
    assert [e.version for e in seen] == [1, 2]
    assert seen[1].data.attachments[0].content_type == "text/plain"


async def test_refused_files_leave_no_event_and_no_file(client, intake_settings):
    token = bearer(customer_token())
    fields = {"category": "damaged_item", "description": "Rota", "customer_name": "Ana"}
    big = await client.post(
        "/api/v1/tickets", headers=token, data=form(fields, [("huge.jpg", JPEG + b"\x00" * (20 * 1024 * 1024))])
    )
    assert big.status == 413 and big.content_type == "application/problem+json"
    exe = await client.post("/api/v1/tickets", headers=token, data=form(fields, [("foto.jpg", EXE)]))
    assert exe.status == 415 and (await exe.json())["errors"][0]["field"] == "files"
    traversal = await client.post("/api/v1/tickets", headers=token, data=form(fields, [("../../etc/passwd.jpg", JPEG)]))
    assert traversal.status == 422 and "file name" in (await traversal.json())["errors"][0]["message"]
    too_many = await client.post(
        "/api/v1/tickets", headers=token, data=form(fields, [(f"f{i}.jpg", JPEG + bytes([i])) for i in range(6)])
    )
    assert too_many.status == 422
    bad_field = await client.post(
        "/api/v1/tickets", headers=token, data=form({**fields, "category": "teleport"}, [("ok.jpg", JPEG)])
    )
    assert bad_field.status == 422 and (await bad_field.json())["errors"][0]["field"] == "category"
    assert await count_events(intake_settings.database_url) == 0
    store = LocalFileStore(Path(intake_settings.attachments_dir))
    assert store.stored_files() == []
    assert not any((Path(intake_settings.attachments_dir) / "tmp").glob("*"))
    assert not client.server.app[keys.FILES].holds  # every request let go of what it held
