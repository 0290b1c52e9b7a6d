"""Intake on the real PostgreSQL and Kafka: return labels printed and stored, requests for links published,
revoked links refused, and bodies of the wrong kind answered without a 500."""

from __future__ import annotations

import io
import json
from datetime import timedelta

import pypdf

from soporte.events import TICKET_EVENTS
from soporte.events import types as t
from soporte.labels import ReturnLabel, return_label_pdf
from soporte.platform.clock import utc_now
from soporte.platform.tokens import TicketLinks
from tests.support.intake import bearer, guest_session, ticket_events
from tests.support.kafka import read_keyed_until

SEVILLA = ["Ana Pérez", "Avenida del Sol 3, 2º B", "41001 Sevilla"]


async def guest_ticket(client, shop_orders) -> tuple[str, dict]:
    """Ana's ticket about her order 100234 (shipped to Sevilla): her guest token and the answer."""
    await shop_orders("100234", "ana@example.com", shipping_address=SEVILLA)
    guest = (await (await guest_session(client, "ana@example.com", "100234")).json())["guest_token"]
    body = {"category": "damaged_item", "description": "Llegó rota", "customer_name": "Ana Pérez"}
    created = await client.post("/api/v1/tickets", headers=bearer(guest), json=body)
    assert created.status == 201, await created.text()
    return guest, await created.json()


async def test_a_return_label_is_printed_stored_and_served_as_the_pdf_its_event_describes(
    client, shop_orders, agent_token, intake_settings
):
    guest, ticket = await guest_ticket(client, shop_orders)
    path = f"/api/v1/tickets/{ticket['ticket_id']}"
    offered = await (await client.get("/api/v1/carriers", headers=bearer(agent_token))).json()
    assert offered == {"items": ["Correos Express", "SEUR", "MRW", "GLS"]}
    elsewhere = await client.post(f"{path}/return-labels", headers=bearer(agent_token), json={"carrier": "Paloma"})
    assert elsewhere.status == 422 and (await elsewhere.json())["errors"][0]["field"] == "carrier"
    issued = await client.post(
        f"{path}/return-labels", headers=bearer(agent_token), json={"carrier": "SEUR", "tracking_number": "SE123456"}
    )
    assert issued.status == 201
    seen = await ticket_events(
        intake_settings.kafka_bootstrap,
        intake_settings.topic_prefix,
        lambda s: any(e.type == "ReturnLabelIssued" for e in s),
    )
    label = next(e for e in seen if isinstance(e, t.ReturnLabelIssued)).data
    assert label.customer_address == SEVILLA and label.return_address[0] == "Pantallas LCD S.L."
    served = await client.get(f"{path}/attachments/{label.label.sha256}", headers=bearer(guest))
    assert served.status == 200 and served.content_type == "application/pdf"
    pdf = await served.read()
    assert pdf == return_label_pdf(ReturnLabel.issued(ticket["ticket_id"], label))  # what the notifier attaches
    text = pypdf.PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert "SE123456" in text and ticket["ticket_id"] in text and "41001 Sevilla" in text


async def test_requests_for_links_are_published_keyed_by_the_address_and_answered_alike(
    client, shop_orders, intake_settings
):
    _, ticket = await guest_ticket(client, shop_orders)
    answers = [
        await client.post("/api/v1/access-links", json={"email": "Ana@Example.com", "language": "en"}),
        await client.post("/api/v1/access-links", json={"email": "nobody@example.com"}),
        await client.post("/api/v1/access-links", json={"ticket_id": ticket["ticket_id"]}),
        await client.post("/api/v1/access-links", json={"ticket_id": "T-NOSUCHONE1"}),
    ]
    assert {a.status for a in answers} == {202} and len({json.dumps(await a.json()) for a in answers}) == 1
    neither = await client.post("/api/v1/access-links", json={"language": "es"})
    assert neither.status == 422
    keyed = await read_keyed_until(
        intake_settings.kafka_bootstrap,
        TICKET_EVENTS.name(intake_settings.topic_prefix),
        lambda s: len([e for e in s if isinstance(e, t.AccessLinkRequested)]) >= 3,
    )
    requests = [(key, e.data) for key, e in keyed if isinstance(e, t.AccessLinkRequested)]
    assert sorted((key, d.email, d.ticket_id or "") for key, d in requests) == [
        (b"ana@example.com", "ana@example.com", ""),
        (b"ana@example.com", "ana@example.com", ticket["ticket_id"]),  # the ticket's own address, never shown
        (b"nobody@example.com", "nobody@example.com", ""),
    ]
    for _ in range(2):  # three an hour per address
        await client.post("/api/v1/access-links", json={"email": "ana@example.com"})
    throttled = await client.post("/api/v1/access-links", json={"email": "ana@example.com"})
    assert throttled.status == 429 and int(throttled.headers["Retry-After"]) > 3000


async def test_an_agent_revokes_a_tickets_links_and_only_links_issued_after_open_it(
    client, shop_orders, agent_token, intake_settings
):
    _, ticket = await guest_ticket(client, shop_orders)
    old = ticket["access_token"]
    assert (await client.get("/api/v1/whoami", headers=bearer(old))).status == 200
    revoked = await client.post(
        f"/api/v1/tickets/{ticket['ticket_id']}/link-revocations",
        headers=bearer(agent_token),
        json={"reason": "el correo llegó a otra persona"},
    )
    assert revoked.status == 201
    assert (await client.get("/api/v1/whoami", headers=bearer(old))).status == 401
    links = TicketLinks(intake_settings.desk_secret, timedelta(days=30))  # as the notifier signs them
    fresh = links.for_ticket(ticket["ticket_id"], "ana@example.com", utc_now())
    who = await (await client.get("/api/v1/whoami", headers=bearer(fresh))).json()
    assert who["kind"] == "ticket" and who["ticket_id"] == ticket["ticket_id"]
    account = links.for_account("cust-1", "ana@example.com", utc_now())
    who = await (await client.get("/api/v1/whoami", headers=bearer(account))).json()
    assert (who["kind"], who["customer_id"], who["email"]) == ("customer", "cust-1", "ana@example.com")


async def test_bodies_of_the_wrong_kind_get_a_4xx_and_the_form_shows_itself_again(client, shop_orders, agent_token):
    guest, ticket = await guest_ticket(client, shop_orders)
    wrong_kinds = [
        {"data": {"description": "x"}},  # url-encoded
        {"json": {"description": "x"}},
        {"data": b"--x\r\nnot multipart", "headers": {"Content-Type": "multipart/form-data"}},  # no boundary
        {
            "data": b"--x\r\nContent-Disposition: form-data\r\n",
            "headers": {"Content-Type": "multipart/form-data; boundary=x"},
        },
        {"data": b"\xff\xfe{", "headers": {"Content-Type": "application/json"}},
    ]
    routes = ["/api/v1/tickets", f"/api/v1/tickets/{ticket['ticket_id']}/messages", "/api/v1/guest-sessions"]
    routes += [f"/api/v1/tickets/{ticket['ticket_id']}/notes", "/api/v1/access-links"]
    for route in routes:
        for wrong in wrong_kinds:
            headers = {**bearer(agent_token if route.endswith("notes") else guest), **wrong.get("headers", {})}
            options = {k: v for k, v in wrong.items() if k != "headers"}
            answer = await client.post(route, headers=headers, **options)
            assert 400 <= answer.status < 500, (route, wrong, answer.status, await answer.text())
            assert answer.content_type == "application/problem+json"
    client.session.cookie_jar.update_cookies({"soporte_guest": guest})
    for wrong in wrong_kinds:
        answer = await client.post(
            "/form/tickets", headers=wrong.get("headers"), **{k: v for k, v in wrong.items() if k != "headers"}
        )
        assert 400 <= answer.status < 500 and answer.content_type == "text/html", (wrong, answer.status)
    kept = await client.post(
        "/form/tickets", data={"description": "La pantalla llegó rota", "category": "damaged_item"}
    )
    html = await kept.text()
    assert (
        kept.status == 415 and "La pantalla llegó rota</textarea>" in html and 'value="damaged_item" selected' in html
    )
