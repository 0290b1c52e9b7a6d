"""The console and status pages over HTTP: cookies, CSRF, 404 for other people's tickets, escaping.

The browser test (tests/e2e/projections) shows the whole flow with the real intake;
these pin down what a browser does not show: headers, status codes and bodies.
"""

from __future__ import annotations

from aiohttp.test_utils import TestClient, TestServer

from soporte.events import TICKET_EVENTS
from soporte.events import types as t
from soporte.projections.bootstrap import create_app
from soporte.projections.entrypoints.pages import csrf_for
from tests.support.scenario import Stream

from .conftest import CAL, POLICIES, at, eventually, guest_stream

NOTE = "nota interna: cliente conflictivo"


async def projected(client, ticket_id: str, version: int):
    async def check():
        r = await client.get(
            f"/api/v1/tickets/{ticket_id}?min_version={version}", headers={"Authorization": "Bearer agent-token"}
        )
        return r.status == 200 and int(r.headers["Projection-Version"]) >= version

    await eventually(check)


async def anas_ticket(client, produce) -> Stream:
    customer = t.CustomerRef(name="Ana <script>alert(1)</script>", email="ana@example.com", customer_id="cust-1")
    ana = guest_stream(customer=customer)
    await produce(
        TICKET_EVENTS,
        ana.submitted(at(1), description="<img src=x onerror=alert(1)>"),
        ana.note(at(2), NOTE),
    )
    await projected(client, ana.ticket_id, 2)
    return ana


async def sign_in(client, email: str = "luis@shop.test", password: str = "contraseña de Luis"):
    return await client.post("/agent/sign-in", data={"email": email, "password": password}, allow_redirects=False)


async def test_agents_sign_in_with_a_password_into_a_session_kept_in_a_strict_httponly_cookie(client, whoami_peer):
    page = await client.get("/agent")
    assert page.status == 200 and 'name="password"' in await page.text()
    for email, password in (("luis@shop.test", "otra"), ("nadie@shop.test", "contraseña de Luis")):
        refused = await sign_in(client, email, password)
        assert refused.status == 401 and 'id="sign-in-error"' in await refused.text()
        assert "soporte_agent" not in refused.cookies and email in await refused.text()  # the address stays typed
    throttled = await sign_in(client, "slow@shop.test", "x")
    assert throttled.status == 429 and "10 minutos" in await throttled.text()
    accepted = await sign_in(client)
    assert accepted.status == 303 and accepted.headers["Location"] == "/agent"
    cookie = accepted.cookies["soporte_agent"]
    assert cookie["httponly"] and cookie["samesite"] == "Strict" and cookie["path"] == "/agent"
    assert 12 * 3600 - 60 <= int(cookie["max-age"]) <= 12 * 3600  # it ends when the session does
    assert whoami_peer.posted[-1][1] == "127.0.0.1"  # intake counts failures per address: it is told the person's
    console = await client.get("/agent")
    assert console.status == 200 and 'id="queue"' in await console.text()
    signed_out = await client.post("/agent/sign-out", allow_redirects=False)
    assert signed_out.status == 303 and whoami_peer.posted[-1] == (
        "/api/v1/agent-sessions/current",
        "Bearer agent-token",
        {},
    )
    assert 'name="password"' in await (await client.get("/agent")).text()
    assert console.headers["Cache-Control"] == "no-store"


async def test_the_console_escapes_what_customers_wrote_and_a_form_without_its_csrf_field_does_nothing(client, produce):
    ana = await anas_ticket(client, produce)
    await sign_in(client)
    for path in ("/agent?view=all", f"/agent/tickets/{ana.ticket_id}"):
        html = await (await client.get(path)).text()
        assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
        assert "<img src=x" not in html
    forged = await client.post(f"/agent/tickets/{ana.ticket_id}/resolve", data={"resolution": "done", "csrf": "0" * 32})
    assert forged.status == 403
    detail = await client.get(f"/api/v1/tickets/{ana.ticket_id}", headers={"Authorization": "Bearer agent-token"})
    assert (await detail.json())["ticket"]["status"] == "new"  # nothing reached intake
    assert csrf_for("agent-token") in await (await client.get(f"/agent/tickets/{ana.ticket_id}")).text()


async def test_a_status_link_moves_its_token_into_a_cookie_for_that_ticket_and_shows_no_internal_note(client, produce):
    ana = await anas_ticket(client, produce)
    link = await client.get(f"/tickets/{ana.ticket_id}?token=ana-token", allow_redirects=False)
    assert link.status == 303 and link.headers["Location"] == f"/tickets/{ana.ticket_id}"
    cookie = link.cookies["soporte_access"]
    # Lax: the link is followed from a mail client, another site; the redirect after it must carry the cookie.
    assert cookie["path"] == f"/tickets/{ana.ticket_id}" and cookie["httponly"] and cookie["samesite"] == "Lax"
    page = await client.get(f"/tickets/{ana.ticket_id}")
    html = await page.text()
    assert page.status == 200 and ana.ticket_id in html
    assert NOTE not in html and "InternalNoteAdded" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html


async def test_someone_elses_ticket_and_a_ticket_that_does_not_exist_answer_the_same_404(client, produce):
    ana = await anas_ticket(client, produce)
    bob_on_anas = await client.get(
        f"/tickets/{ana.ticket_id}?token=bob-token"
    )  # follows the redirect with Bob's cookie
    assert bob_on_anas.status == 404
    nobody = await client.get("/tickets/T-NOSUCHONE1?token=bob-token")
    assert nobody.status == 404
    assert (await bob_on_anas.text()).replace(ana.ticket_id, "") == (await nobody.text()).replace("T-NOSUCHONE1", "")
    assert NOTE not in await bob_on_anas.text()
    # Without any token the page asks for email and order number, and shows nothing of the ticket.
    client.session.cookie_jar.clear()
    fresh = await client.get(f"/tickets/{ana.ticket_id}")
    html = await fresh.text()
    assert fresh.status == 401 and 'name="order_number"' in html and "onerror" not in html


async def test_the_pages_speak_spanish_by_default_and_english_when_asked(client):
    spanish = await client.get("/agent")
    assert "Consola de agentes" in await spanish.text()
    english = await client.get("/agent", headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert "Agent console" in await english.text()
    chosen = await client.get("/agent?lang=en")
    assert "Agent console" in await chosen.text() and chosen.cookies["soporte_lang"].value == "en"


async def test_when_intake_does_not_answer_the_pages_say_so_in_html(settings):
    app = create_app(
        settings.model_copy(update={"intake_url": "http://127.0.0.1:9"}),
        calendar=CAL,
        policies=POLICIES,
        run_reader=False,
    )
    async with TestClient(TestServer(app)) as client:
        response = await client.post("/agent/sign-in", data={"email": "luis@shop.test", "password": "x"})
        assert response.status == 503 and response.content_type == "text/html"
        assert 'id="message"' in await response.text()
