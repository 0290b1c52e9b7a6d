"""Projections under hostile input: forms of people not signed in are judged by size before they are read, a
sign-in (or any form) posted from another site is refused, pages are not sniffed or framed, and odd ids and
queries are 4xx, never a 500."""

from __future__ import annotations

import asyncio

from tests.integration.projections.conftest import PASSWORDS, bearer

LUIS = dict(zip(("email", "password"), next(iter(PASSWORDS)), strict=True))


async def status_of_declared_body(client, path: str, declared: int) -> int:
    """The status the server answers to a form declaring ``declared`` bytes, when only a few are sent."""
    reader, writer = await asyncio.open_connection("127.0.0.1", client.server.port)
    try:
        writer.write(
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\n"
            f"Content-Length: {declared}\r\n\r\ntoken=".encode()
        )
        await writer.drain()
        return int((await asyncio.wait_for(reader.readline(), 10)).split()[1])
    finally:
        writer.close()


async def test_forms_of_people_not_signed_in_are_refused_by_size_before_they_are_read(client):
    for path in ("/agent/sign-in", "/tickets/T-0000000001/access", "/tickets/T-0000000001/fresh-link", "/access"):
        assert await status_of_declared_body(client, path, 30 * 1024 * 1024) == 413, path
        padded = await client.post(path, data={"token": "x" * 100_000})
        assert padded.status == 413, path
    for path in ("/agent/sign-in", "/tickets/T-0000000001/access", "/access"):
        unreadable = await client.post(path, data=b"--x\r\n", headers={"Content-Type": "multipart/form-data"})
        assert unreadable.status == 400, path
    # A reply with files is large only for someone signed in, and only read once they are known.
    assert await status_of_declared_body(client, "/tickets/T-0000000001/reply", 20 * 1024 * 1024) == 404


async def test_a_sign_in_posted_from_another_site_is_refused(client):
    for cross_site in ({"Sec-Fetch-Site": "cross-site"}, {"Origin": "https://evil.example"}, {"Origin": "null"}):
        answer = await client.post("/agent/sign-in", data=LUIS, headers=cross_site)
        assert answer.status == 403, cross_site
        assert "soporte_agent" not in answer.cookies
    own = f"http://{client.server.host}:{client.server.port}"
    for same_site in ({"Sec-Fetch-Site": "same-origin"}, {"Origin": own}, {}):
        answer = await client.post("/agent/sign-in", data=LUIS, headers=same_site, allow_redirects=False)
        assert answer.status == 303 and "soporte_agent" in answer.cookies, same_site


async def test_pages_are_neither_sniffed_nor_framed(client):
    for path in ("/agent", "/access", "/tickets/T-0000000001", "/my/tickets"):
        page = await client.get(path)
        assert page.headers["X-Content-Type-Options"] == "nosniff", path
        assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"], path
        assert page.headers["Referrer-Policy"] == "no-referrer", path
    assert (await client.get("/api/v1/me/tickets")).headers["X-Content-Type-Options"] == "nosniff"


async def test_odd_ids_and_queries_are_4xx(client):
    agent = bearer("agent-token")
    for path in (
        "/api/v1/tickets/T-%00",
        "/api/v1/tickets/T-1%2F..%2Fx",
        "/api/v1/tickets/T-1/sla?at=%00",
        "/api/v1/queues/all?assignee=%00",
        "/api/v1/queues/all?category=%00&status=%00&cursor=%00&limit=%00",
        "/api/v1/queues/%00",
        "/api/v1/tickets/T-1?min_version=%00",
        "/agent/tickets/T-%00",
        "/tickets/T-%00",
    ):
        answer = await client.get(path, headers=agent)
        assert 400 <= answer.status < 500, (path, answer.status, await answer.text())
