"""Agent queues from events on the real Kafka, read through the query API on the real PostgreSQL."""

from __future__ import annotations

from soporte import events as ev
from soporte.events import TICKET_EVENTS

from .conftest import at, bearer, guest_stream, wait_projected

AGENT = bearer("agent-token")


async def queue(client, view: str = "all", **params) -> dict:
    response = await client.get(f"/api/v1/queues/{view}", params=params, headers=AGENT)
    assert response.status == 200, await response.text()
    return await response.json()


def ids(body: dict) -> list[str]:
    return [item["ticket_id"] for item in body["items"]]


async def problem(response, status: int) -> dict:
    assert response.status == status, await response.text()
    assert response.content_type == "application/problem+json"
    return await response.json()


async def test_queues_sort_actionable_first_then_by_due_time_page_filter_and_authorize(client, produce, db):
    # Always-open calendar, default policy: first response due 15 minutes after the submission.
    due_16 = guest_stream()  # actionable, submitted at +1: due at +16
    due_20 = guest_stream()  # actionable, submitted at +5: due at +20
    answered = guest_stream()  # actionable, answered and mine: no clock runs
    presales = guest_stream(category=ev.Category.PRE_SALES)  # actionable, resolved: no clock runs
    theirs = guest_stream()  # actionable, assigned to another agent: due at +18
    incomplete_soonest = guest_stream()  # not actionable, due at +15.5: still after every actionable ticket
    waiting = guest_stream()  # not actionable, clarification asked: it answered the customer, no clock runs
    marta = ev.Actor(kind=ev.ActorKind.AGENT, id="agent-2", name="Marta")
    events = [
        due_16.submitted(at(1)),
        due_20.submitted(at(5)),
        answered.submitted(at(2)),
        answered.agent_replied(at(4), "Le enviamos otra"),
        answered.assigned(at(4)),
        presales.submitted(at(2.5)),
        presales.resolved(at(6), "Sí, es compatible"),
        theirs.submitted(at(3)),
        theirs.assigned(at(3.5), agent=marta),
        incomplete_soonest.submitted(at(0.5), missing=("photo_of_item",)),
        waiting.submitted(at(3), missing=("photo_of_item",)),
        waiting.clarification(at(7), "¿Puede enviar una foto?"),
    ]
    await produce(TICKET_EVENTS, *events)
    await wait_projected(db, len(events))

    everything = await queue(client, limit="200")
    assert everything["view"] == "all" and everything["next_cursor"] is None
    # Actionable by due time (no due time last, then oldest first), then the incomplete ones the same way.
    expected = [due_16, theirs, due_20, answered, presales, incomplete_soonest, waiting]
    assert ids(everything) == [s.ticket_id for s in expected]
    by_id = {item["ticket_id"]: item for item in everything["items"]}
    first = by_id[due_16.ticket_id]
    assert (
        first["actionable"] is True
        and first["missing"] == []
        and first["status"] == "new"
        and first["sla_state"] == "ok"
    )
    assert first["sla_due_at"] == "2026-03-02T09:16:00+00:00" and first["version"] == 1
    assert set(first["due_times"]) == {"first_response", "attention"}
    assert by_id[incomplete_soonest.ticket_id]["missing"] == ["photo_of_item"]
    assert by_id[answered.ticket_id]["sla_due_at"] is None and by_id[answered.ticket_id]["assignee_name"] == "Luis"
    assert (
        by_id[waiting.ticket_id]["status"] == "waiting_on_customer" and by_id[waiting.ticket_id]["sla_due_at"] is None
    )
    assert by_id[presales.ticket_id]["status"] == "resolved"

    # Keyset pagination: every ticket exactly once, in the same order.
    for limit in (1, 2, 3):
        walked, cursor, pages = [], None, 0
        while True:
            params = {"limit": str(limit)} | ({"cursor": cursor} if cursor else {})
            page = await queue(client, **params)
            assert len(page["items"]) <= limit
            walked += ids(page)
            pages += 1
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert walked == ids(everything)
        assert pages == -(-len(expected) // limit)

    # Filters (combined with a view and with paging).
    assert ids(await queue(client, category="pre_sales")) == [presales.ticket_id]
    assert ids(await queue(client, status="waiting_on_customer")) == [waiting.ticket_id]
    assert ids(await queue(client, status="new")) == [
        due_16.ticket_id,
        theirs.ticket_id,
        due_20.ticket_id,
        incomplete_soonest.ticket_id,
    ]
    assert ids(await queue(client, assignee="agent-2")) == [theirs.ticket_id]
    assert ids(await queue(client, sla_state="ok")) == ids(everything)
    assert ids(await queue(client, sla_state="breached")) == []
    assert ids(await queue(client, category="damaged_item", status="open")) == [answered.ticket_id]
    assert ids(await queue(client, "unassigned", category="damaged_item", limit="2")) == [
        due_16.ticket_id,
        due_20.ticket_id,
    ]

    # Views.
    assert ids(await queue(client, "unassigned")) == [
        due_16.ticket_id,
        due_20.ticket_id,
        incomplete_soonest.ticket_id,
        waiting.ticket_id,
    ]
    assert ids(await queue(client, "mine")) == [answered.ticket_id]
    assert ids(await queue(client, "waiting")) == [waiting.ticket_id]
    assert ids(await queue(client, "at-risk")) == []

    # Bad parameters: 422 problems naming every field.
    body = await problem(await client.get("/api/v1/queues/everything", headers=AGENT), 422)
    assert [e["field"] for e in body["errors"]] == ["view"]
    body = await problem(await client.get("/api/v1/queues/all", params={"limit": "0"}, headers=AGENT), 422)
    assert body["type"].endswith("/validation-error") and body["status"] == 422
    assert [e["field"] for e in body["errors"]] == ["limit"]
    bad = {"limit": "x", "cursor": "not-a-cursor", "category": "toasters", "status": "sleeping", "sla_state": "meh"}
    body = await problem(await client.get("/api/v1/queues/all", params=bad, headers=AGENT), 422)
    assert sorted(e["field"] for e in body["errors"]) == ["category", "cursor", "limit", "sla_state", "status"]
    body = await problem(await client.get("/api/v1/queues/all", params={"limit": "201"}, headers=AGENT), 422)
    assert [e["field"] for e in body["errors"]] == ["limit"]

    # Who may read queues: agents only.
    body = await problem(await client.get("/api/v1/queues/all"), 401)
    assert body["status"] == 401
    await problem(await client.get("/api/v1/queues/all", headers=bearer("forged-token")), 401)
    await problem(await client.get("/api/v1/queues/all", headers={"Authorization": "Basic YW5hOnB3"}), 401)
    body = await problem(await client.get("/api/v1/queues/all", headers=bearer("ana-token")), 403)
    assert "items" not in body
    await problem(await client.get("/api/v1/queues/unassigned", headers=bearer("ana-guest")), 403)
    await problem(await client.get("/api/v1/figures", headers=bearer("ana-token")), 403)
