"""Intake under hostile input: every malformed request is a 4xx problem (never a 500), nothing is stored, and bodies
are judged before they are read."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from soporte.platform.tokens import sign_token
from tests.support.intake import SHOP_SECRET, bearer, count_events, customer_token

SUBMISSION = {"category": "pre_sales", "description": "¿Hay stock?", "customer_name": "Ana Pérez"}
DESK_SECRET = "test-desk-secret"  # intake_settings' desk secret


def signed(claims: dict, secret: str) -> str:
    return sign_token(claims, secret, expires_at=datetime.now(UTC) + timedelta(hours=1))


async def assert_problem(answer, status: int | tuple[int, ...]) -> dict:
    statuses = status if isinstance(status, tuple) else (status,)
    assert answer.status in statuses, (answer.status, await answer.text())
    assert answer.content_type == "application/problem+json"
    return await answer.json()


async def test_nul_characters_in_any_text_are_refused_by_field_and_nothing_is_stored(client, intake_settings):
    ana = bearer(customer_token())
    for field in ("description", "customer_name", "order_number"):
        answer = await client.post("/api/v1/tickets", headers=ana, json={**SUBMISSION, field: "a\x00b"})
        assert (await assert_problem(answer, 422))["errors"][0]["field"] == field
    answer = await client.post("/api/v1/tickets", headers=ana, json={**SUBMISSION, "extra\x00": "x"})
    await assert_problem(answer, 422)
    form = {**SUBMISSION, "description": "rota\x00"}
    answer = await client.post("/api/v1/tickets", headers={**ana, **MULTIPART}, data=multipart(form))
    assert (await assert_problem(answer, 422))["errors"][0]["field"] == "description"
    photo = b"\xff\xd8\xff\xe0" + bytes(64)
    for disposition in ('filename="foto\x00.jpg"', "filename*=UTF-8''foto%00.jpg"):
        body = multipart(SUBMISSION, (disposition, photo))
        answer = await client.post("/api/v1/tickets", headers={**ana, **MULTIPART}, data=body)
        await assert_problem(answer, (400, 422))
    answer = await client.post("/api/v1/guest-sessions", json={"email": "ana@example.com", "order_number": "1\x00"})
    await assert_problem(answer, 422)
    answer = await client.post("/api/v1/access-links", json={"ticket_id": "T-\x00"})
    await assert_problem(answer, 422)
    answer = await client.post("/form/guest", data={"email": "ana@example.com", "order_number": "100\x00"})
    assert answer.status == 422 and answer.content_type == "text/html"
    no_boundary = {"Content-Type": "multipart/form-data"}  # what the schema fuzzer sent the guest form
    await assert_problem(await client.post("/form/guest", data=b"--x\r\n", headers=no_boundary), 400)
    for path in ("/api/v1/tickets/T-%00/messages", "/api/v1/tickets/T-1%2F..%2F/messages"):
        await assert_problem(await client.post(path, headers=ana, json={"body": "hola"}), 404)
    assert await count_events(intake_settings.database_url) == 0


MULTIPART = {"Content-Type": "multipart/form-data; boundary=b0und"}


def multipart(fields: dict, *files: tuple[str, bytes]) -> bytes:
    """A multipart body written by hand (a client library would refuse to send what these tests send): ``files``
    are (the disposition's file name part, content) in the ``files`` field."""
    parts = [
        f'--b0und\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode() for k, v in fields.items()
    ]
    for disposition, content in files:
        head = f'--b0und\r\nContent-Disposition: form-data; name="files"; {disposition}\r\n\r\n'.encode()
        parts.append(head + content + b"\r\n")
    return b"".join(parts) + b"--b0und--\r\n"


async def test_json_that_parsers_disagree_on_or_choke_on_is_a_400(client, intake_settings):
    ana = {**bearer(customer_token()), "Content-Type": "application/json"}
    bodies = [
        "[" * 1500 + "]" * 1500,  # 1,500 deep: the parser's stack would overflow
        '{"a":' * 1200 + "1" + "}" * 1200,
        '{"category": "pre_sales", "category": "damaged_item", "description": "x", "customer_name": "Ana"}',
        '{"category": "pre_sales", "description": NaN, "customer_name": "Ana"}',
        b'{"category": "pre_sales", "description": "\xff\xfe", "customer_name": "Ana"}',
        '{"category": "pre_sales", "description": "x", "customer_name": "Ana", "order_number": 1' + "0" * 5000 + "}",
    ]
    for body in bodies:
        answer = await client.post("/api/v1/tickets", headers=ana, data=body)
        assert (await assert_problem(answer, 400))["type"].endswith("/bad-request")
    assert await count_events(intake_settings.database_url) == 0


async def test_numbers_are_strict_in_json_bodies(client, agent_token):
    ticket = await client.post("/api/v1/tickets", headers=bearer(customer_token()), json=SUBMISSION)
    ticket_id = (await ticket.json())["ticket_id"]
    for version in (True, 1.0, "1"):
        answer = await client.post(
            f"/api/v1/tickets/{ticket_id}/notes",
            headers=bearer(agent_token),
            json={"body": "x", "expected_version": version},
        )
        assert (await assert_problem(answer, 422))["errors"][0]["field"] == "expected_version"
    taken = await client.post(
        f"/api/v1/tickets/{ticket_id}/notes", headers=bearer(agent_token), json={"body": "x", "expected_version": 1}
    )
    assert taken.status == 201


async def test_genuine_tokens_missing_the_claims_their_kind_needs_stand_for_nobody(client):
    forged_by_nobody = [
        signed({"kind": "customer"}, SHOP_SECRET),
        signed({"kind": "customer", "sub": ["cust-1"], "email": {"a": 1}}, SHOP_SECRET),
        signed({"kind": "customer", "sub": "cust-1", "email": "ana@example.com\r\nBcc: x@y"}, SHOP_SECRET),
        signed({"kind": "guest"}, DESK_SECRET),
        signed({"kind": "guest", "email": "ana@example.com"}, DESK_SECRET),
        signed({"kind": "ticket", "email": "ana@example.com"}, DESK_SECRET),
        signed({"kind": "ticket", "ticket_id": 7, "email": "ana@example.com"}, DESK_SECRET),
        signed({"kind": "account", "email": "ana@example.com"}, DESK_SECRET),
        signed({"kind": "account", "customer_id": None, "email": "ana@example.com"}, DESK_SECRET),
    ]
    for token in forged_by_nobody:
        await assert_problem(await client.get("/api/v1/whoami", headers=bearer(token)), 401)
        await assert_problem(await client.post("/api/v1/tickets", headers=bearer(token), json=SUBMISSION), 401)


async def test_bodies_of_unauthenticated_routes_are_refused_by_size_before_they_are_read(client):
    for path in ("/api/v1/guest-sessions", "/api/v1/access-links", "/form/guest"):
        status, _ = await _declare_and_wait(client, path, declared=30 * 1024 * 1024, sent=100)
        assert status == 413, path
    streamed = await client.post(
        "/api/v1/guest-sessions", data=_chunks(b"x" * 4096, 10), headers={"Content-Type": "application/json"}
    )
    await assert_problem(streamed, 413)
    # An authenticated route takes a large body only from someone it knows: a stranger is refused unread.
    status, _ = await _declare_and_wait(client, "/api/v1/tickets", declared=20 * 1024 * 1024, sent=100)
    assert status == 401


async def _chunks(piece: bytes, count: int):
    for _ in range(count):
        yield piece


async def _declare_and_wait(client, path: str, *, declared: int, sent: int) -> tuple[int, bytes]:
    """Declare ``declared`` bytes, send ``sent``, and read the answer the server gives without the rest."""
    reader, writer = await asyncio.open_connection("127.0.0.1", client.server.port)
    try:
        head = (
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"Content-Length: {declared}\r\nAuthorization: Bearer nobody\r\n\r\n"
        )
        writer.write(head.encode() + b"{" * sent)
        await writer.drain()
        status_line = await asyncio.wait_for(reader.readline(), 10)
        return int(status_line.split()[1]), status_line
    finally:
        writer.close()


async def test_a_body_that_stops_arriving_is_answered_408_and_others_are_served_meanwhile(
    intake_settings, start_intake
):
    client = await start_intake(intake_settings.model_copy(update={"body_idle_seconds": 0.5}))
    reader, writer = await asyncio.open_connection("127.0.0.1", client.server.port)
    try:
        writer.write(
            b"POST /api/v1/guest-sessions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b'Content-Length: 200\r\n\r\n{"email": '
        )
        await writer.drain()
        assert (await client.get("/healthz")).status == 200  # the stalled request holds nobody else up
        status_line = await asyncio.wait_for(reader.readline(), 10)
        assert status_line.split()[1] == b"408"
    finally:
        writer.close()


async def test_huge_headers_are_refused_and_the_server_keeps_serving(client):
    answer = await client.get("/api/v1/whoami", headers={"Authorization": "Bearer " + "x" * 100_000})
    assert answer.status in (400, 431)
    many = {f"X-Filler-{n}": "y" * 100 for n in range(500)}
    assert (await client.get("/api/v1/whoami", headers=many)).status in (400, 431)
    assert (await client.get("/healthz")).status == 200


async def test_form_pages_are_neither_sniffed_nor_framed_and_take_no_posts_from_other_sites(client):
    for answer in (
        await client.get("/"),
        await client.post("/form/guest", data={"email": "ana@example.com", "order_number": "1"}),
        await client.post("/form/tickets", data={"description": "x"}),
    ):
        assert answer.content_type == "text/html"
        policy = answer.headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in policy and "script-src" not in policy  # default-src 'none': no script
        assert answer.headers["X-Content-Type-Options"] == "nosniff"
        assert answer.headers["Referrer-Policy"] == "no-referrer"
    for path in ("/form/guest", "/form/tickets"):
        planted = await client.post(path, data={"email": "a@b.es"}, headers={"Sec-Fetch-Site": "cross-site"})
        assert planted.status == 403, path
