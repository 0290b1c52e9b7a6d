"""The console on the real Kafka and PostgreSQL: one search box (words accents aside, addresses, ticket ids and
order numbers, ranked and paged), the live stream (changes and presence, through LISTEN/NOTIFY), and a disabled
agent refused on the next request although answers about others are kept for a while."""

from __future__ import annotations

import asyncio
import json

from soporte.events import TICKET_EVENTS
from soporte.events import types as t
from soporte.projections.entrypoints.pages import csrf_for
from tests.support.scenario import Stream

from .conftest import WHOAMI, at, wait_projected
from .test_pages_http import sign_in


def customer(n: int) -> t.CustomerRef:
    return t.CustomerRef(name=f"Cliente {n}", email=f"cliente{n}@example.com", customer_id=f"cust-{n}")


async def found(client, query: str, page: int = 1) -> list[str]:
    html = await (await client.get("/agent/search", params={"q": query, "page": str(page)})).text()
    return [part.split('"')[0] for part in html.split('class="result" data-ticket="')[1:]]


async def test_one_box_finds_words_without_accents_notes_addresses_ids_and_orders_ranked_and_paged(client, produce, db):
    battery = Stream(customer=customer(1))
    note = Stream(customer=customer(2))
    crowd = [Stream(customer=customer(10 + n)) for n in range(23)]
    events = [battery.submitted(at(1), description="La batería del portátil no carga", order_number="555001")]
    events += [battery.customer_replied(at(2), "Sigue sin cargar la batería, ¿qué hago?")]
    events += [
        note.submitted(at(3), description="Consulta", order_number=None),
        note.note(at(4), "Proveedor: lote defectuoso"),
    ]
    events += [s.submitted(at(5 + n), description=f"Pantalla número {n} con rayas") for n, s in enumerate(crowd)]
    await produce(TICKET_EVENTS, *events)
    await wait_projected(db, len(events))
    # The documents migration 0006 makes for the tickets already there are those the writer writes.
    written = await db.fetch("SELECT x::text FROM projections.search_docs x ORDER BY 1")
    await db.execute("DELETE FROM projections.search_docs")
    await db.execute("CALL projections.fill_search_docs()")
    assert await db.fetch("SELECT x::text FROM projections.search_docs x ORDER BY 1") == written and len(written) == 25
    await sign_in(client)

    assert await found(client, "bateria") == [battery.ticket_id]  # typed without its accent
    assert await found(client, "BATERÍAS") == [battery.ticket_id]  # plural, upper case: stemmed
    assert await found(client, "defectuoso") == [note.ticket_id]  # an internal note's words
    assert await found(client, "cliente2@example.com") == [note.ticket_id]
    assert await found(client, battery.ticket_id.lower()) == [battery.ticket_id]
    assert await found(client, "555001") == [battery.ticket_id]
    first, second = await found(client, "rayas"), await found(client, "rayas", 2)
    assert len(first) == 20 and len(second) == 3 and set(first) | set(second) == {s.ticket_id for s in crowd}
    excerpt = await (await client.get("/agent/search", params={"q": "bateria"})).text()
    assert "<mark>batería</mark>" in excerpt
    assert await found(client, "zanahoria") == []


async def read_events(response, wanted, timeout: float = 20.0) -> list[tuple[str, dict]]:
    """Server-sent events read from ``response`` until ``wanted(events)`` holds."""
    events, event = [], None
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while not wanted(events):
        line = (await asyncio.wait_for(response.content.readline(), max(0.1, end - loop.time()))).decode().strip()
        if line.startswith("event: "):
            event = line[7:]
        elif line.startswith("data: "):
            events.append((event, json.loads(line[6:])))
    return events


async def test_the_live_stream_tells_of_changed_tickets_and_of_who_else_is_replying(client, produce, start_app):
    await sign_in(client)
    marta = await start_app(run_reader=False)  # another process: it hears through PostgreSQL, not in memory
    WHOAMI["marta-token"] = {"kind": "agent", "id": "agent-2", "name": "Marta", "email": "marta@shop.test"}
    try:
        marta.session.cookie_jar.update_cookies({"soporte_agent": "marta-token"})
        stream = Stream()
        async with (
            client.get("/agent/live") as luis_live,
            marta.get(f"/agent/live?ticket={stream.ticket_id}") as on_ticket,
        ):
            assert luis_live.headers["Content-Type"] == "text/event-stream"
            await read_events(on_ticket, lambda e: e and e[0][0] == "ready")
            await produce(TICKET_EVENTS, stream.submitted(at(1)))
            told = await read_events(luis_live, lambda e: any(name == "tickets" for name, _ in e))
            assert [stream.ticket_id, 1] in next(data for name, data in told if name == "tickets")["tickets"]
            form = {"csrf": csrf_for("agent-token"), "state": "replying"}
            assert (await client.post(f"/agent/tickets/{stream.ticket_id}/presence", data=form)).status == 204
            heard = await read_events(on_ticket, lambda e: any(d.get("replying") for n, d in e if n == "presence"))
            assert [d for n, d in heard if n == "presence"][-1] == {"ticket_id": stream.ticket_id, "replying": ["Luis"]}
            await client.post(f"/agent/tickets/{stream.ticket_id}/presence", data={**form, "state": "idle"})
            stopped = await read_events(
                on_ticket, lambda e: e and e[-1] == ("presence", {"ticket_id": stream.ticket_id, "replying": []})
            )
            assert stopped
            forged = await client.post(f"/agent/tickets/{stream.ticket_id}/presence", data={"state": "replying"})
            assert forged.status == 403
    finally:
        WHOAMI.pop("marta-token")


async def test_a_disabled_agent_is_refused_at_once_while_whoami_answers_are_otherwise_kept(client):
    await sign_in(client)
    assert 'id="queue"' in await (await client.get("/agent")).text()
    luis = WHOAMI.pop("agent-token")  # intake disabled Luis: whoami says 401 from now on
    try:
        again = await client.get("/agent")
        assert 'name="password"' in await again.text()  # the next request: the sign-in page
        assert (await client.get("/agent/live")).status == 401
    finally:
        WHOAMI["agent-token"] = luis
