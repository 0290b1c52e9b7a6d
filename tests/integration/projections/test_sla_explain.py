"""A ticket's SLA explained at any instant over the query API (agents only), from its projected history."""

from __future__ import annotations

from soporte.events import TICKET_EVENTS
from soporte.events.types import SlaClock

from .conftest import at, bearer, guest_stream, wait_projected


async def test_agents_read_each_clock_at_any_instant_others_cannot(client, produce, db):
    s = guest_stream()
    submitted = s.submitted(at(0))
    history = [
        submitted,
        s.agent_replied(at(20)),
        s.customer_replied(at(30)),
        s.deadline_changed(at(31), episode=submitted),
    ]
    await produce(TICKET_EVENTS, *history)
    await wait_projected(db, len(history))

    async def sla(when, token="agent-token"):
        return await client.get(
            f"/api/v1/tickets/{s.ticket_id}/sla", params={"at": when.isoformat()}, headers=bearer(token)
        )

    early = await (await sla(at(10))).json()
    [first, attention] = early["clocks"]
    assert (first["kind"], first["state"], first["used"], first["remaining"]) == ("first_response", "running", 600, 300)
    assert first["deadline"] == at(15).isoformat() and first["moved_by"]["type"] == "TicketSubmitted"
    assert attention["kind"] == "attention" and attention["remaining"] == 24 * 3600 - 600

    later = {c["kind"]: c for c in (await (await sla(at(40))).json())["clocks"]}
    assert later["first_response"]["state"] == "missed" and later["first_response"]["ended_at"] == at(20).isoformat()
    assert later["attention"]["state"] == "met"
    assert later["next_response"]["state"] == "running" and later["next_response"]["used"] == 600
    assert set(later) == {c.value for c in SlaClock}

    assert (await sla(at(10), token="ana-guest")).status == 403
    assert (await client.get("/api/v1/tickets/T-0000000000/sla", headers=bearer("agent-token"))).status == 404
    bad = await client.get(f"/api/v1/tickets/{s.ticket_id}/sla", params={"at": "ayer"}, headers=bearer("agent-token"))
    assert bad.status == 422 and (await bad.json())["errors"][0]["field"] == "at"
