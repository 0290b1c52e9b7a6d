"""Intake's commands against the real PostgreSQL and Kafka."""

from __future__ import annotations

import asyncio

from soporte.intake.entrypoints.api import ROUTES
from tests.support.intake import bearer, count_events, customer_token, guest_session, ticket_events


async def test_guest_and_customer_submit_and_the_events_reach_kafka_in_version_order(
    client, shop_orders, intake_settings
):
    await shop_orders("100234", "ana@example.com")
    await shop_orders("100777", "bea@example.com", customer_id="cust-7")
    session = await guest_session(client, "Ana@Example.com", "100234")
    assert session.status == 201
    guest = (await session.json())["guest_token"]
    submitted = await client.post(
        "/api/v1/tickets",
        headers=bearer(guest),
        json={"category": "damaged_item", "description": "La pantalla llegó rota", "customer_name": "Ana Pérez"},
    )
    assert submitted.status == 201, await submitted.text()
    guest_ticket = await submitted.json()
    assert guest_ticket["status_url"].startswith(f"http://portal.test/tickets/{guest_ticket['ticket_id']}?token=")
    assert guest_ticket["actionability"]["missing"] == ["photo_of_item"]  # photos come with attachments

    bea = customer_token("cust-7", "bea@example.com", "Bea")
    orders = await (await client.get("/api/v1/me/orders", headers=bearer(bea))).json()
    assert [o["order_number"] for o in orders["items"]] == ["100777"]
    mine = await client.post(
        "/api/v1/tickets",
        headers=bearer(bea),
        json={
            "category": "pre_sales",
            "description": "¿Tienen la pantalla de 15.6 en mate?",
            "customer_name": "Bea",
            "order_number": "100777",
        },
    )
    assert mine.status == 201
    customer_ticket = (await mine.json())["ticket_id"]
    not_hers = await client.post(
        "/api/v1/tickets",
        headers=bearer(bea),
        json={"category": "damaged_item", "description": "x", "customer_name": "Bea", "order_number": "100234"},
    )
    assert not_hers.status == 422 and (await not_hers.json())["errors"][0]["field"] == "order_number"

    reply = await client.post(
        f"/api/v1/tickets/{guest_ticket['ticket_id']}/messages",
        headers=bearer(guest_ticket["access_token"]),
        json={"body": "Adjunto más detalles"},
    )
    assert reply.status == 201 and (await reply.json())["version"] == 2

    seen = await ticket_events(
        intake_settings.kafka_bootstrap,
        intake_settings.topic_prefix,
        lambda s: len({(e.ticket_id, e.version) for e in s}) >= 3,
    )
    guest_stream = [e for e in seen if e.ticket_id == guest_ticket["ticket_id"]]
    assert [(e.type, e.version) for e in guest_stream] == [("TicketSubmitted", 1), ("CustomerReplied", 2)]
    assert guest_stream[0].data.customer.email == "ana@example.com" and guest_stream[0].data.order_number == "100234"
    assert guest_stream[0].actor.kind == "guest"
    customer_stream = [e for e in seen if e.ticket_id == customer_ticket]
    assert customer_stream[0].data.customer.customer_id == "cust-7" and customer_stream[0].actor.kind == "customer"


async def test_an_agent_opens_a_ticket_for_a_phone_caller(client, agent_token, intake_settings, shop_orders):
    who = await (await client.get("/api/v1/whoami", headers=bearer(agent_token))).json()
    assert who["kind"] == "agent" and who["name"] == "Luis Pardo"
    response = await client.post(
        "/api/v1/tickets",
        headers=bearer(agent_token),
        json={
            "category": "lcd_diagnosis",
            "description": "La pantalla parpadea al mover la bisagra, probada con monitor externo",
            "customer_name": "Carlos",
            "customer_email": "carlos@example.com",
            "channel": "phone",
        },
    )
    assert response.status == 201
    ticket_id = (await response.json())["ticket_id"]
    seen = await ticket_events(
        intake_settings.kafka_bootstrap,
        intake_settings.topic_prefix,
        lambda s: any(e.ticket_id == ticket_id for e in s),
    )
    event = next(e for e in seen if e.ticket_id == ticket_id)
    assert event.data.channel == "phone" and event.data.opened_by_agent_id == who["id"]
    assert event.data.customer.email == "carlos@example.com" and event.actor.kind == "agent"
    await shop_orders("100555", "dora@example.com", customer_id="cust-55")
    dora = bearer(customer_token("cust-55", "dora@example.com", "Dora"))
    for _ in range(100):  # until the shop's order has arrived
        if (await (await client.get("/api/v1/me/orders", headers=dora)).json())["items"]:
            break
        await asyncio.sleep(0.3)
    chat = await client.post(
        "/api/v1/tickets",
        headers=bearer(agent_token),
        json={
            "category": "order_status",
            "description": "¿Dónde está mi pedido?",
            "customer_name": "Dora",
            "customer_email": "Dora@example.com",
            "order_number": "100555",
            "channel": "chat",
        },
    )
    chat_id = (await chat.json())["ticket_id"]
    seen = await ticket_events(
        intake_settings.kafka_bootstrap, intake_settings.topic_prefix, lambda s: any(e.ticket_id == chat_id for e in s)
    )
    linked = next(e for e in seen if e.ticket_id == chat_id)
    assert (
        linked.data.channel == "chat" and linked.data.customer.customer_id == "cust-55"
    )  # the caller's account, from the order
    customer_phone = await client.post(
        "/api/v1/tickets",
        headers=bearer(customer_token()),
        json={"category": "pre_sales", "description": "hola", "customer_name": "Ana", "channel": "phone"},
    )
    assert customer_phone.status == 403


async def test_two_commands_at_the_same_version_give_one_success_and_one_conflict(client, agent_token, shop_orders):
    created = await client.post(
        "/api/v1/tickets",
        headers=bearer(agent_token),
        json={
            "category": "pre_sales",
            "description": "Consulta",
            "customer_name": "Ana",
            "customer_email": "ana@example.com",
        },
    )
    ticket_id = (await created.json())["ticket_id"]
    results = await asyncio.gather(
        *(
            client.post(
                f"/api/v1/tickets/{ticket_id}/responses",
                headers=bearer(agent_token),
                json={"body": f"Respuesta {i}", "expected_version": 1},
            )
            for i in range(2)
        )
    )
    assert sorted(r.status for r in results) == [201, 409]
    conflict = next(r for r in results if r.status == 409)
    assert (await conflict.json())["type"].endswith("/version-conflict")
    stale = await client.post(
        f"/api/v1/tickets/{ticket_id}/notes", headers=bearer(agent_token), json={"body": "x", "expected_version": 1}
    )
    assert stale.status == 409 and (await stale.json())["current_version"] == 2


async def test_the_same_idempotency_key_twice_makes_one_ticket(client, intake_settings):
    token = customer_token()
    body = {"category": "pre_sales", "description": "¿Envían a Canarias?", "customer_name": "Ana"}
    headers = {**bearer(token), "Idempotency-Key": "form-submit-7f3a"}
    first, second = await asyncio.gather(
        client.post("/api/v1/tickets", headers=headers, json=body),
        client.post("/api/v1/tickets", headers=headers, json=body),
    )
    assert first.status == second.status == 201
    assert (await first.json())["ticket_id"] == (await second.json())["ticket_id"]
    again = await client.post("/api/v1/tickets", headers=headers, json=body)
    assert (await again.json())["ticket_id"] == (await first.json())["ticket_id"]
    assert await count_events(intake_settings.database_url) == 1


async def test_rules_of_the_ticket_lifecycle(client, agent_token, intake_settings):
    ana = customer_token()
    ticket = await (
        await client.post(
            "/api/v1/tickets",
            headers=bearer(ana),
            json={"category": "pre_sales", "description": "Consulta", "customer_name": "Ana"},
        )
    ).json()
    ticket_id = ticket["ticket_id"]
    path = f"/api/v1/tickets/{ticket_id}"
    assert (
        await client.post(f"{path}/clarification-requests", headers=bearer(ana), json={"question": "?"})
    ).status == 403
    other = customer_token("cust-9", "eve@example.com")
    assert (await client.post(f"{path}/messages", headers=bearer(other), json={"body": "hola"})).status == 404
    assert (
        await client.post("/api/v1/tickets/T-DOESNOTEXI/messages", headers=bearer(ana), json={"body": "hola"})
    ).status == 404
    assert (
        await client.post(f"{path}/resolve", headers=bearer(agent_token), json={"resolution": "Listo"})
    ).status == 201
    assert (await client.post(f"{path}/responses", headers=bearer(agent_token), json={"body": "más"})).status == 409
    reopened = await client.post(f"{path}/messages", headers=bearer(ana), json={"body": "Sigue fallando"})
    assert reopened.status == 201 and (await reopened.json())["version"] == 4
    label = await client.post(f"{path}/return-labels", headers=bearer(agent_token), json={"carrier": "Correos Express"})
    claim = await client.post(
        f"{path}/courier-claims", headers=bearer(agent_token), json={"carrier": "SEUR", "reason": "Caja aplastada"}
    )
    assert label.status == claim.status == 201
    seen = await ticket_events(
        intake_settings.kafka_bootstrap,
        intake_settings.topic_prefix,
        lambda s: len([e for e in s if e.ticket_id == ticket_id]) >= 6,
    )
    assert [e.type for e in seen if e.ticket_id == ticket_id] == [
        "TicketSubmitted",
        "TicketResolved",
        "TicketReopened",
        "CustomerReplied",
        "ReturnLabelIssued",
        "CourierClaimOpened",
    ]


async def test_bad_input_gets_a_4xx_naming_the_fields_and_stores_nothing(client, intake_settings):
    token = bearer(customer_token())
    missing = await client.post("/api/v1/tickets", headers=token, json={"category": "pre_sales"})
    assert missing.status == 422
    assert {e["field"] for e in (await missing.json())["errors"]} == {"description", "customer_name"}
    wrong = await client.post(
        "/api/v1/tickets",
        headers=token,
        json={"category": "teleport", "description": 7, "customer_name": "A", "colour": 1},
    )
    assert wrong.status == 422
    assert {e["field"] for e in (await wrong.json())["errors"]} == {"category", "description", "colour"}
    assert (await client.post("/api/v1/tickets", headers=token, data="category=pre_sales")).status == 415
    assert (
        await client.post("/api/v1/tickets", headers={**token, "Content-Type": "application/json"}, data="{nope")
    ).status == 400
    huge = await client.post(
        "/api/v1/tickets", headers={**token, "Content-Type": "application/json"}, data=b"x" * 2_000_000
    )
    assert huge.status == 413 and huge.content_type == "application/problem+json"
    assert (await client.post("/api/v1/tickets", json={"category": "pre_sales"})).status == 401
    assert await count_events(intake_settings.database_url) == 0


async def test_openapi_lists_every_route_and_health_answers(client):
    document = await (await client.get("/api/openapi.json")).json()
    assert document["openapi"].startswith("3.1")
    for route in client.server.app.router.routes():  # every route the running app serves
        if route.method != "HEAD":
            assert route.method.lower() in document["paths"][route.resource.canonical], route
    for method, path, _ in ROUTES:
        assert method.lower() in document["paths"][path], path
    assert (await client.get("/healthz")).status == 200
    ready = await client.get("/readyz")
    assert ready.status == 200, await ready.text()
    assert "soporte_outbox_published_total" in await (await client.get("/metrics")).text()
