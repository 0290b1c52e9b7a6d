"""Staff accounts against the real PostgreSQL: passwords into sessions, what a lead manages, and that a disabled
agent, an ended session or a revoked token stands for nobody on the very next request."""

from __future__ import annotations

from aiohttp.test_utils import TestClient, TestServer

from soporte.intake.bootstrap import create_app
from tests.support.intake import bearer, create_staff


async def sign_in(client, email: str, password: str, address: str = "198.51.100.4"):
    body = {"email": email, "password": password}
    return await client.post("/api/v1/agent-sessions", json=body, headers={"X-Forwarded-For": address})


async def whoami(client, token: str) -> int:
    return (await client.get("/api/v1/whoami", headers=bearer(token))).status


async def test_an_agent_signs_in_with_a_password_into_a_session_that_ends_when_they_sign_out(client, intake_settings):
    luis = create_staff(intake_settings, "Luis Pardo", "luis@shop.test")
    signed_in = await sign_in(client, "LUIS@shop.test", luis.password)
    assert signed_in.status == 201
    session = (await signed_in.json())["session_token"]
    assert session.startswith("sp_session_")
    me = await (await client.get("/api/v1/whoami", headers=bearer(session))).json()
    assert (me["kind"], me["id"], me["name"], me["role"]) == ("agent", luis.agent_id, "Luis Pardo", "agent")
    assert (await client.delete("/api/v1/agent-sessions/current", headers=bearer(session))).status == 204
    assert await whoami(client, session) == 401
    assert await whoami(client, luis.token) == 200  # the integration's token is another thing
    # an API token is no session: signing out with it is refused by field, and the token keeps working
    refused = await client.delete("/api/v1/agent-sessions/current", headers=bearer(luis.token))
    assert refused.status == 422 and (await refused.json())["errors"][0]["field"] == "Authorization"
    assert await whoami(client, luis.token) == 200


async def test_a_wrong_password_and_an_unknown_address_get_one_answer_and_failures_are_limited_per_account(
    intake_settings,
):
    settings = intake_settings.model_copy(update={"sign_in_failures_per_account": 3, "sign_in_failures_per_client": 5})
    luis = create_staff(settings, "Luis Pardo", "luis@shop.test")
    async with TestClient(TestServer(create_app(settings, run_relay=False, run_orders_reader=False))) as client:
        wrong, nobody = await sign_in(client, luis.email, "not it at all"), await sign_in(client, "x@shop.test", "a")
        first, second = await wrong.json(), await nobody.json()
        assert wrong.status == nobody.status == 401 and first["title"] == second["title"] == "Wrong email or password"
        # Two more wrong passwords from other addresses spend the account's budget: then even the right one waits.
        for address in ("192.0.2.1", "192.0.2.2"):
            assert (await sign_in(client, luis.email, "guess", address)).status == 401
        throttled = await sign_in(client, luis.email, luis.password, "203.0.113.9")
        assert throttled.status == 429 and int(throttled.headers["Retry-After"]) > 800


async def test_failures_from_one_address_are_limited_whoever_they_name(intake_settings):
    settings = intake_settings.model_copy(update={"sign_in_failures_per_client": 3})
    marta = create_staff(settings, "Marta Gil", "marta@shop.test")
    async with TestClient(TestServer(create_app(settings, run_relay=False, run_orders_reader=False))) as client:
        statuses = [(await sign_in(client, f"x{n}@shop.test", "guess", "203.0.113.7")).status for n in range(4)]
        assert statuses == [401, 401, 401, 429]
        assert (await sign_in(client, marta.email, marta.password, "203.0.113.7")).status == 429
        assert (await sign_in(client, marta.email, marta.password, "198.51.100.4")).status == 201


async def test_a_lead_creates_an_agent_who_signs_in_and_disabling_them_ends_sessions_and_tokens_at_once(
    client, intake_settings
):
    lead = create_staff(intake_settings, "Marta Gil", "marta@shop.test", role="lead")
    created = await client.post(
        "/api/v1/agents", headers=bearer(lead.token), json={"name": "Pablo Ruiz", "email": "pablo@shop.test"}
    )
    assert created.status == 201
    pablo, password = (await created.json())["agent"], (await created.json())["password"]
    assert (pablo["role"], pablo["enabled"], len(password)) == ("agent", True, 16)
    session = (await (await sign_in(client, "pablo@shop.test", password)).json())["session_token"]
    issued = await client.post(
        f"/api/v1/agents/{pablo['id']}/tokens", headers=bearer(lead.token), json={"label": "crm"}
    )
    token = (await issued.json())["token"]
    assert await whoami(client, session) == await whoami(client, token) == 200

    disabled = await client.post(f"/api/v1/agents/{pablo['id']}/disable", headers=bearer(lead.token))
    assert disabled.status == 200 and (await disabled.json())["agent"]["enabled"] is False
    assert await whoami(client, session) == await whoami(client, token) == 401
    assert (await sign_in(client, "pablo@shop.test", password)).status == 401
    listed = {
        a["email"]: a for a in (await (await client.get("/api/v1/agents", headers=bearer(lead.token))).json())["items"]
    }
    assert listed["pablo@shop.test"]["enabled"] is False
    assert [(t["label"], t["revoked"]) for t in listed["pablo@shop.test"]["tokens"]] == [("crm", True)]

    # Enabled again, Pablo signs in with his password; the token stays revoked (a lead issues a new one).
    assert (await client.post(f"/api/v1/agents/{pablo['id']}/enable", headers=bearer(lead.token))).status == 200
    again = (await (await sign_in(client, "pablo@shop.test", password)).json())["session_token"]
    assert await whoami(client, again) == 200 and await whoami(client, token) == 401
    reset = await client.post(f"/api/v1/agents/{pablo['id']}/password-reset", headers=bearer(lead.token))
    new_password = (await reset.json())["password"]
    assert await whoami(client, again) == 401  # a reset ends the sessions
    assert (await sign_in(client, "pablo@shop.test", password)).status == 401
    assert (await sign_in(client, "pablo@shop.test", new_password)).status == 201


async def test_only_leads_manage_accounts_a_lead_keeps_their_own_and_tokens_are_revoked_one_by_one(
    client, intake_settings
):
    lead = create_staff(intake_settings, "Marta Gil", "marta@shop.test", role="lead")
    luis = create_staff(intake_settings, "Luis Pardo", "luis@shop.test")
    as_agent = await client.post("/api/v1/agents", headers=bearer(luis.token), json={"name": "X", "email": "x@s.test"})
    assert as_agent.status == 403 and (await client.get("/api/v1/agents", headers=bearer(luis.token))).status == 403
    mine = await client.post(f"/api/v1/agents/{lead.agent_id}/disable", headers=bearer(lead.token))
    assert mine.status == 403
    taken = await client.post(
        "/api/v1/agents", headers=bearer(lead.token), json={"name": "L", "email": "LUIS@shop.test"}
    )
    assert taken.status == 422 and (await taken.json())["errors"][0]["field"] == "email"
    second = await client.post(
        f"/api/v1/agents/{luis.agent_id}/tokens", headers=bearer(lead.token), json={"label": "b"}
    )
    second_token, second_id = (await second.json())["token"], (await second.json())["token_id"]
    assert (await client.post(f"/api/v1/agent-tokens/{second_id}/revoke", headers=bearer(lead.token))).status == 204
    assert await whoami(client, second_token) == 401 and await whoami(client, luis.token) == 200
    unknown = await client.post("/api/v1/agents/agent-nobody/disable", headers=bearer(lead.token))
    assert unknown.status == 404


async def test_an_agent_changes_their_own_password_with_the_current_one(client, intake_settings):
    luis = create_staff(intake_settings, "Luis Pardo", "luis@shop.test")
    session = (await (await sign_in(client, luis.email, luis.password)).json())["session_token"]
    change = {"current_password": "wrong", "new_password": "a long new secret"}
    assert (await client.put("/api/v1/me/password", headers=bearer(session), json=change)).status == 401
    short = {"current_password": luis.password, "new_password": "short"}
    assert (await client.put("/api/v1/me/password", headers=bearer(session), json=short)).status == 422
    change["current_password"] = luis.password
    assert (await client.put("/api/v1/me/password", headers=bearer(session), json=change)).status == 204
    assert await whoami(client, session) == 401
    assert (await sign_in(client, luis.email, "a long new secret")).status == 201
