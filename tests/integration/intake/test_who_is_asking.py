"""Who is asking, against the real PostgreSQL: guest sessions (one answer for any wrong pair, limits every intake
process shares) and tokens that stand for nobody (expired, forged, of the wrong kind)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from aiohttp.test_utils import TestClient, TestServer

from soporte.intake.bootstrap import create_app
from soporte.platform.tokens import sign_token
from tests.support.intake import SHOP_SECRET, bearer, count_events, customer_token, guest_session


async def test_a_wrong_email_or_order_gets_the_same_answer_and_attempts_are_limited(client, shop_orders):
    await shop_orders("100234", "ana@example.com")
    assert (await guest_session(client, "ana@example.com", "100234")).status == 201
    wrong_email = await client.post(
        "/api/v1/guest-sessions", json={"email": "eve@example.com", "order_number": "100234"}
    )
    wrong_order = await client.post(
        "/api/v1/guest-sessions", json={"email": "ana@example.com", "order_number": "999999"}
    )
    assert wrong_email.status == wrong_order.status == 401
    first, second = await wrong_email.json(), await wrong_order.json()
    first.pop("instance", None), second.pop("instance", None)
    assert first == second


async def test_wrong_pairs_are_limited_per_client_and_per_order_in_one_budget_for_two_intake_processes(
    client, intake_settings, shop_orders
):
    await shop_orders("100234", "ana@example.com")
    assert (await guest_session(client, "ana@example.com", "100234")).status == 201
    async with TestClient(TestServer(create_app(intake_settings, run_relay=False, run_orders_reader=False))) as other:

        async def attempt(via, email: str, address: str, order_number: str = "100234"):
            body = {"email": email, "order_number": order_number}
            return await via.post("/api/v1/guest-sessions", json=body, headers={"X-Forwarded-For": address})

        # A stranger guesses from one address, through both processes in turn: five wrong pairs, then the wait.
        answers = [await attempt((client, other)[n % 2], f"x{n}@example.com", "203.0.113.7") for n in range(7)]
        assert [a.status for a in answers] == [401] * 5 + [429] * 2
        assert int(answers[-1].headers["Retry-After"]) == (await answers[-1].json())["retry_after_seconds"] > 800
        # The order's owner, from her own address, still signs in; successes cost nothing.
        for _ in range(3):
            assert (await attempt(other, "ana@example.com", "198.51.100.4")).status == 201
        # Wrong pairs from five more addresses spend the order's budget (ten): then it waits for everyone.
        for n in range(5):
            assert (await attempt(client, "eve@example.com", f"192.0.2.{n}")).status == 401
        assert (await attempt(other, "ana@example.com", "198.51.100.4")).status == 429
        assert (await attempt(other, "ana@example.com", "198.51.100.4", "100235")).status == 401  # another order


async def test_streamed_oversized_bodies_and_unknown_tokens_are_refused_as_problems(client, intake_settings):
    async def chunks():
        for _ in range(40):  # 2 MB with no Content-Length: refused while streaming, not after
            yield b" " * 50_000

    streamed = await client.post(
        "/api/v1/tickets", headers={**bearer(customer_token()), "Content-Type": "application/json"}, data=chunks()
    )
    assert streamed.status == 413 and streamed.content_type == "application/problem+json"

    expired = sign_token(
        {"kind": "customer", "sub": "cust-1", "email": "ana@example.com"},
        SHOP_SECRET,
        expires_at=datetime.now(UTC) - timedelta(minutes=1),
    )
    forged = sign_token(
        {"kind": "customer", "sub": "cust-1", "email": "ana@example.com"},
        "not-the-shop-secret",
        expires_at=datetime.now(UTC) + timedelta(minutes=5),
    )
    guest_signed_by_the_shop = sign_token(
        {"kind": "guest", "email": "ana@example.com", "order_number": "1"},
        SHOP_SECRET,
        expires_at=datetime.now(UTC) + timedelta(minutes=5),
    )
    for token in (expired, forged, guest_signed_by_the_shop, "sp_agent_unknown", "garbage"):
        who = await client.get("/api/v1/whoami", headers=bearer(token))
        assert who.status == 401 and who.content_type == "application/problem+json", token
    assert (await client.get("/api/v1/nowhere")).content_type == "application/problem+json"
    wrong_method = await client.delete("/api/v1/tickets")
    assert wrong_method.status == 405 and wrong_method.content_type == "application/problem+json"
    assert await count_events(intake_settings.database_url) == 0
