"""Ticket detail and a customer's tickets: agents read everything, customers only their own public thread."""

from __future__ import annotations

import asyncio
import json

from soporte.events import TICKET_EVENTS
from soporte.events import types as t
from soporte.projections.entrypoints.api import CUSTOMER_FIELDS
from tests.support.scenario import AGENT, CUSTOMER, GUEST

from .conftest import at, bearer, bob_stream, guest_stream, wait_projected

NOTE = "NOTA-INTERNA: el cliente ya pidió tres devoluciones este mes"


async def detail(client, ticket_id: str, token: str, **params):
    return await client.get(f"/api/v1/tickets/{ticket_id}", params=params, headers=bearer(token))


async def test_agents_read_thread_and_timeline_customers_only_their_public_thread(client, produce, db):
    ana = guest_stream()  # Ana's account ticket, submitted as a guest, answered from her account
    guest = guest_stream(customer=t.CustomerRef(name="Ana Pérez", email="ana@example.com"))  # no account
    bob = bob_stream()
    events = [
        ana.submitted(at(1)),
        ana.note(at(2), NOTE),
        ana.agent_replied(at(3), "Le enviamos una pantalla nueva"),
        ana.place(t.CustomerReplied, t.CustomerMessageData(body="¡Gracias!"), CUSTOMER, at(4)),
        ana.assigned(at(5)),
        guest.submitted(at(6), description="¿Tienen la pantalla de 15 pulgadas?"),
        bob.submitted(at(7)),
        bob.note(at(8), NOTE),
    ]
    await produce(TICKET_EVENTS, *events)
    await wait_projected(db, len(events))

    # The agent: full ticket, public thread, and the timeline with the internal note, in version order.
    response = await detail(client, ana.ticket_id, "agent-token")
    assert response.status == 200 and response.headers["Projection-Version"] == "5"
    body = await response.json()
    assert (
        body["ticket"]["assignee_id"] == "agent-1"
        and body["ticket"]["status"] == "open"
        and body["ticket"]["version"] == 5
    )
    assert [(m["version"], m["kind"], m["body"]) for m in body["thread"]] == [
        (1, "submitted", "La pantalla llegó rota"),
        (3, "agent_reply", "Le enviamos una pantalla nueva"),
        (4, "customer_reply", "¡Gracias!"),
    ]
    assert body["thread"][0]["author_name"] == "Ana Pérez" and body["thread"][1]["author_kind"] == "agent"
    timeline = body["timeline"]
    assert [(e["version"], e["type"], e["actor_kind"], e["actor_id"]) for e in timeline] == [
        (1, "TicketSubmitted", "guest", GUEST.id),
        (2, "InternalNoteAdded", "agent", AGENT.id),
        (3, "AgentReplied", "agent", AGENT.id),
        (4, "CustomerReplied", "customer", CUSTOMER.id),
        (5, "TicketAssigned", "agent", AGENT.id),
    ]
    assert timeline[1]["summary"] == NOTE and timeline[1]["data"] == {"body": NOTE, "attachments": []}
    assert (
        timeline[1]["event_id"] == str(events[1].event_id) and timeline[1]["occurred_at"] == "2026-03-02T09:02:00+00:00"
    )
    assert body["escalations"] == [] and body["notifications"] == []

    # Ana (by account, then as a guest by email): the public thread only; the note is nowhere in the answer.
    for token in ("ana-token", "ana-guest"):
        response = await detail(client, ana.ticket_id, token)
        assert response.status == 200
        text = await response.text()
        assert "NOTA-INTERNA" not in text and "InternalNoteAdded" not in text and "agent-1" not in text
        body = json.loads(text)
        assert set(body) == {"ticket", "thread"} and set(body["ticket"]) == set(CUSTOMER_FIELDS)
        assert [m["version"] for m in body["thread"]] == [1, 3, 4]
        assert response.headers["Projection-Version"] == "5"

    # Another customer's ticket is "not found", exactly like a ticket that does not exist.
    unknown = await detail(client, "T-0000000000", "bob-token")
    hidden = await detail(client, ana.ticket_id, "bob-token")
    assert unknown.status == hidden.status == 404
    assert unknown.content_type == hidden.content_type == "application/problem+json"
    unknown_body, hidden_body = await unknown.json(), await hidden.json()
    assert unknown_body.pop("instance").endswith("/T-0000000000") and hidden_body.pop("instance").endswith(
        ana.ticket_id
    )
    assert unknown_body == hidden_body == {"type": unknown_body["type"], "title": "No such ticket", "status": 404}
    assert "Projection-Version" not in hidden.headers
    for token, ticket in (("ana-token", bob), ("ana-guest", bob), ("bob-token", guest)):
        assert (await detail(client, ticket.ticket_id, token)).status == 404
    assert (await detail(client, "T-0000000000", "agent-token")).status == 404
    assert (await client.get(f"/api/v1/tickets/{ana.ticket_id}")).status == 401
    bob_own = await detail(client, bob.ticket_id, "bob-token")
    assert bob_own.status == 200 and "NOTA-INTERNA" not in await bob_own.text()

    # "My tickets": the caller's own, newest first, in the customer's shape.
    async def mine(token: str) -> list[str]:
        response = await client.get("/api/v1/me/tickets", headers=bearer(token))
        assert response.status == 200
        text = await response.text()
        assert "NOTA-INTERNA" not in text
        items = json.loads(text)["items"]
        assert all(set(item) == set(CUSTOMER_FIELDS) for item in items)
        return [item["ticket_id"] for item in items]

    assert await mine("ana-token") == [guest.ticket_id, ana.ticket_id]  # her account's, and her email's
    assert await mine("ana-guest") == [guest.ticket_id, ana.ticket_id]
    assert await mine("bob-token") == [bob.ticket_id]
    assert (await client.get("/api/v1/me/tickets", headers=bearer("agent-token"))).status == 403
    assert (await client.get("/api/v1/me/tickets")).status == 401


async def test_min_version_waits_until_the_write_is_projected(client, produce, db):
    stream = guest_stream()
    await produce(TICKET_EVENTS, stream.submitted(at(1)))
    await wait_projected(db, 1)

    # The request comes first (version 2 is not there yet); the event after it.
    request = asyncio.create_task(detail(client, stream.ticket_id, "ana-token", min_version="2"))
    await asyncio.sleep(0.3)
    assert not request.done()
    await produce(TICKET_EVENTS, stream.agent_replied(at(2), "Ya está en camino"))
    response = await request
    assert response.status == 200
    assert int(response.headers["Projection-Version"]) >= 2
    body = await response.json()
    assert body["ticket"]["version"] >= 2 and body["thread"][-1]["body"] == "Ya está en camino"

    # A ticket that is not projected yet: the wait covers its very first version too.
    later = guest_stream()
    request = asyncio.create_task(detail(client, later.ticket_id, "agent-token", min_version="1"))
    await asyncio.sleep(0.3)
    await produce(TICKET_EVENTS, later.submitted(at(3)))
    response = await request
    assert response.status == 200 and response.headers["Projection-Version"] == "1"

    # Already there: answers at once with the current version.
    response = await detail(client, stream.ticket_id, "agent-token", min_version="1")
    assert response.status == 200 and response.headers["Projection-Version"] == "2"

    for bad in ("0", "-1", "two"):
        response = await detail(client, stream.ticket_id, "agent-token", min_version=bad)
        assert response.status == 422 and response.content_type == "application/problem+json"
        assert [e["field"] for e in (await response.json())["errors"]] == ["min_version"]


async def test_waiting_for_someone_elses_ticket_takes_as_long_as_for_a_missing_one(start_app, produce, db):
    client = await start_app(read_your_writes_seconds=1.5)
    ana = guest_stream()
    await produce(TICKET_EVENTS, ana.submitted(at(1)))
    await wait_projected(db, 1)
    assert (await detail(client, ana.ticket_id, "ana-token", min_version="1")).status == 200

    # Bob asks for Ana's ticket and for one that does not exist: neither answers before the bound, both the same 404.
    others = asyncio.create_task(detail(client, ana.ticket_id, "bob-token", min_version="1"))
    missing = asyncio.create_task(detail(client, "T-0000000000", "bob-token", min_version="1"))
    await asyncio.sleep(0.5)
    assert not others.done() and not missing.done()
    others, missing = await others, await missing
    assert others.status == missing.status == 404
    others_body, missing_body = await others.json(), await missing.json()
    assert others_body.pop("instance") != missing_body.pop("instance") and others_body == missing_body
