"""An ``Idempotency-Key`` stands for one request of one caller: sent again with it, the same answer; sent with
something else (another body, another route), a refusal, never the earlier answer for a request never made."""

from __future__ import annotations

from tests.support.intake import bearer, count_events, customer_token

BODY = {"category": "pre_sales", "description": "¿Envían a Canarias?", "customer_name": "Ana"}


async def test_a_key_reused_for_another_request_is_refused_and_nothing_is_stored(client, intake_settings):
    ana = {**bearer(customer_token()), "Idempotency-Key": "form-submit-7f3a"}
    first = await client.post("/api/v1/tickets", headers=ana, json=BODY)
    assert first.status == 201
    ticket = await first.json()
    again = await client.post("/api/v1/tickets", headers=ana, json=dict(reversed(BODY.items())))
    assert again.status == 201 and (await again.json())["ticket_id"] == ticket["ticket_id"]

    other = await client.post("/api/v1/tickets", headers=ana, json={**BODY, "description": "Otra pregunta"})
    assert other.status == 422, await other.text()
    problem = await other.json()
    assert problem["type"].endswith("/idempotency-key-reused") and problem["errors"][0]["field"] == "Idempotency-Key"
    on_another_route = await client.post(
        f"/api/v1/tickets/{ticket['ticket_id']}/messages", headers=ana, json={"body": "¿Y a Baleares?"}
    )
    assert on_another_route.status == 422
    assert await count_events(intake_settings.database_url) == 1

    bea = {**bearer(customer_token("cust-2", "bea@example.com", "Bea")), "Idempotency-Key": "form-submit-7f3a"}
    hers = await client.post("/api/v1/tickets", headers=bea, json={**BODY, "description": "Otra pregunta"})
    assert hers.status == 201 and (await hers.json())["ticket_id"] != ticket["ticket_id"]
    assert await count_events(intake_settings.database_url) == 2
