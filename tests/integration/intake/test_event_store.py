"""The PostgreSQL event store: expected versions, outbox and idempotency in one transaction."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import asyncpg
import pytest

from soporte.events import Actor, ActorKind, Category, Channel, new_ticket_id
from soporte.events import types as t
from soporte.intake.adapters.store import ConcurrencyConflict, EventStore, StoredResponse
from soporte.intake.bootstrap import migrate
from soporte.intake.domain import tickets as domain
from soporte.intake.service import TicketService

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
AGENT = Actor(kind=ActorKind.AGENT, id="agent-1", name="Luis")
CUSTOMER = t.CustomerRef(name="Ana", email="ana@example.com")


@pytest.fixture
async def pool(pg_dsn):
    await migrate(pg_dsn)
    pool = await asyncpg.create_pool(pg_dsn, min_size=1, max_size=5)
    yield pool
    await pool.close()


def submit(state):
    return domain.decide_submit(
        state,
        category=Category.PRE_SALES,
        description="¿Hay stock?",
        customer=CUSTOMER,
        order_number=None,
        attachments=[],
        channel=Channel.PHONE,
        actor=AGENT,
    )


def note(body: str):
    return lambda state: domain.decide_note(state, body, AGENT)


async def outbox(pool) -> list[tuple[str, int]]:
    return [
        (r["ticket_id"], r["version"])
        for r in await pool.fetch("SELECT ticket_id, version FROM intake.outbox ORDER BY id")
    ]


async def test_events_and_their_outbox_rows_are_written_together_and_fold_back(pool):
    service = TicketService(EventStore(pool), lambda: NOW)
    ticket_id = new_ticket_id()
    await service.execute(ticket_id, AGENT, submit)
    await service.execute(ticket_id, AGENT, note("llamó otra vez"))
    state = await service.state(ticket_id)
    assert state.version == 2 and state.status is domain.Status.NEW and state.customer_email == "ana@example.com"
    assert await outbox(pool) == [(ticket_id, 1), (ticket_id, 2)]
    stored = await pool.fetch("SELECT type, payload->>'type' AS payload_type FROM intake.events ORDER BY version")
    assert [(r["type"], r["payload_type"]) for r in stored] == [("TicketSubmitted",) * 2, ("InternalNoteAdded",) * 2]


async def test_a_stale_expected_version_is_refused_and_leaves_nothing(pool):
    store = EventStore(pool)
    service = TicketService(store, lambda: NOW)
    ticket_id = new_ticket_id()
    await service.execute(ticket_id, AGENT, submit)
    with pytest.raises(ConcurrencyConflict) as refused:
        await service.execute(ticket_id, AGENT, note("tarde"), expected_version=0)
    assert refused.value.actual == 1
    # Straight at the store too: a writer that read version 0 cannot append version 1 again.
    stale = [event for event in await store.load(ticket_id)]
    with pytest.raises(ConcurrencyConflict):
        await store.append(ticket_id, 0, stale)
    assert await outbox(pool) == [(ticket_id, 1)]


async def test_concurrent_appends_at_one_version_let_exactly_one_through(pool):
    service = TicketService(EventStore(pool), lambda: NOW)
    ticket_id = new_ticket_id()
    await service.execute(ticket_id, AGENT, submit)
    outcomes = await asyncio.gather(
        *(service.execute(ticket_id, AGENT, note(f"nota {i}"), expected_version=1) for i in range(5)),
        return_exceptions=True,
    )
    assert sum(not isinstance(o, Exception) for o in outcomes) == 1
    assert all(isinstance(o, ConcurrencyConflict) for o in outcomes if isinstance(o, Exception))
    assert await pool.fetchval("SELECT max(version) FROM intake.events WHERE ticket_id = $1", ticket_id) == 2
    assert len(await outbox(pool)) == 2


async def test_an_idempotency_key_is_stored_with_the_events_and_answers_retries(pool):
    store = EventStore(pool)
    service = TicketService(store, lambda: NOW)
    first_id, second_id = new_ticket_id(), new_ticket_id()
    key = ("agent:agent-1", "phone-call-42")
    first = await service.execute(first_id, AGENT, submit, idempotency=key)
    retried = await service.execute(second_id, AGENT, submit, idempotency=key)
    assert retried == first and first.body["ticket_id"] == first_id
    assert await store.stored_response(*key) == StoredResponse(201, {"ticket_id": first_id, "version": 1})
    assert await pool.fetchval("SELECT count(*) FROM intake.events") == 1

    # A refused append stores no key: the retry may then act.
    with pytest.raises(ConcurrencyConflict):
        await service.execute(first_id, AGENT, note("x"), expected_version=0, idempotency=("agent:agent-1", "note-1"))
    assert await store.stored_response("agent:agent-1", "note-1") is None
    # The same key from another caller is a different request.
    other = await service.execute(second_id, AGENT, submit, idempotency=("agent:agent-2", "phone-call-42"))
    assert other.body["ticket_id"] == second_id


async def test_a_command_the_domain_refuses_appends_nothing(pool):
    service = TicketService(EventStore(pool), lambda: NOW)
    with pytest.raises(domain.TicketNotFound):
        await service.execute(new_ticket_id(), AGENT, note("¿hay alguien?"))
    assert await outbox(pool) == []
