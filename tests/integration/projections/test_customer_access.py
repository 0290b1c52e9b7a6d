"""The customer's ways in over HTTP: a link that no longer works, "send me a link", "my tickets", the wait when
intake's limits are reached (with the customer's address passed on), and a parcel's details on the status page."""

from __future__ import annotations

from soporte.events import TICKET_EVENTS

from .conftest import at, eventually, guest_stream

FORWARDED = {"X-Forwarded-For": "203.0.113.9"}  # what a reverse proxy in front of the pages says


async def projected(client, ticket_id: str, version: int) -> None:
    async def check():
        r = await client.get(f"/api/v1/tickets/{ticket_id}", headers={"Authorization": "Bearer agent-token"})
        return r.status == 200 and int(r.headers["Projection-Version"]) >= version

    await eventually(check)


async def test_send_me_a_link_answers_the_same_for_any_address_and_passes_the_clients_address_on(client, whoami_peer):
    page = await client.get("/access")
    assert page.status == 200 and 'id="access-form"' in await page.text()
    answers = [await client.post("/access", data={"email": e}, headers=FORWARDED) for e in ("ana@example.com", "x@y.z")]
    texts = [await a.text() for a in answers]
    assert [a.status for a in answers] == [200, 200] and texts[0] == texts[1]
    assert "Si tenemos tickets con esa dirección, le hemos enviado un enlace." in texts[0]
    assert whoami_peer.posted[0] == (
        "/api/v1/access-links",
        "203.0.113.9",
        {"email": "ana@example.com", "language": "es"},
    )
    invalid = await client.post("/access?lang=en", data={"email": "not-an-address"})
    assert invalid.status == 422 and 'id="email-error">Enter a valid email address.<' in await invalid.text()
    throttled = await client.post("/access?lang=es", data={"email": "slow@example.com"})
    assert (
        throttled.status == 429 and "Demasiados intentos; inténtelo de nuevo en 10 minutos." in await throttled.text()
    )


async def test_a_link_that_no_longer_works_offers_a_fresh_one_by_mail_without_showing_the_address(
    client, produce, whoami_peer
):
    ana = guest_stream()
    await produce(TICKET_EVENTS, ana.submitted(at(1)))
    await projected(client, ana.ticket_id, 1)
    followed = await client.get(f"/tickets/{ana.ticket_id}?token=expired-token&lang=en")
    html = await followed.text()
    assert followed.status == 401 and 'id="link-expired">This link no longer opens the ticket' in html
    assert "ana@example.com" not in html
    sent = await client.post(f"/tickets/{ana.ticket_id}/fresh-link", headers=FORWARDED)
    html = await sent.text()
    assert sent.status == 200 and 'id="fresh-link-sent"' in html and "ana@example.com" not in html
    assert whoami_peer.posted[-1] == (
        "/api/v1/access-links",
        "203.0.113.9",
        {"ticket_id": ana.ticket_id, "language": "en"},
    )
    nobody = await client.post("/tickets/T-NOSUCHONE1/fresh-link")  # the same answer for a ticket that is not
    assert nobody.status == 200 and 'id="fresh-link-sent"' in await nobody.text()
    throttled = await client.post(f"/tickets/{ana.ticket_id}/access", data={"email": "slow@x.es", "order_number": "1"})
    html = await throttled.text()
    assert throttled.status == 429 and "Too many attempts; please try again in 10 minutes." in html
    assert "could not find" not in html  # never that the data was wrong
    signed_in = await client.post(
        f"/tickets/{ana.ticket_id}/access", data={"email": "ana@example.com", "order_number": "100234"}
    )
    assert signed_in.status == 200 and ana.ticket_id in await signed_in.text()


async def test_my_tickets_lists_a_shop_customers_tickets_in_words_and_opens_each_one(client, produce):
    ana = guest_stream()
    await produce(TICKET_EVENTS, ana.submitted(at(1)), ana.agent_replied(at(5)))
    await projected(client, ana.ticket_id, 2)
    anonymous = await client.get("/my/tickets")
    assert anonymous.status == 401 and 'id="not-signed-in"' in await anonymous.text()
    arrived = await client.get("/my/tickets?customer_token=ana-token", allow_redirects=False)
    assert arrived.status == 303 and arrived.headers["Location"] == "/my/tickets"
    assert arrived.cookies["soporte_account"]["path"] == "/" and arrived.cookies["soporte_account"]["httponly"]
    mine = await (await client.get("/my/tickets")).text()
    assert f'data-ticket="{ana.ticket_id}"' in mine and "Abierto" in mine
    assert "lunes 2 de marzo de 2026, 09:05 (UTC)" in mine  # the last activity, in words, in the desk's time
    opened = await client.get(f"/tickets/{ana.ticket_id}")
    assert opened.status == 200 and 'id="reply-form"' in await opened.text()


async def test_a_return_labels_and_a_courier_claims_details_are_on_the_status_page_by_name(client, produce):
    ana = guest_stream()
    submitted = ana.submitted(at(1))
    label, _ = ana.printed_label(at(2), tracking_number="SE555111")
    await produce(TICKET_EVENTS, submitted, label, ana.courier_claim(at(3), reason="Caja aplastada"))
    await projected(client, ana.ticket_id, 3)
    await client.get(f"/tickets/{ana.ticket_id}?token=ana-token")
    html = await (await client.get(f"/tickets/{ana.ticket_id}")).text()
    assert '<dt>Número de seguimiento</dt><dd data-detail="tracking_number">SE555111</dd>' in html
    assert '<dd data-detail="label_id">RL-1A2B3C4D</dd>' in html and "Descargar la etiqueta (PDF)" in html
    assert '<dt>Número de reclamación</dt><dd data-detail="claim_id">CC-1</dd>' in html and "Caja aplastada" in html
