"""Commands on the PostgreSQL unit of work: events, outbox rows and idempotent outcomes in one transaction."""

from __future__ import annotations

import asyncio
import json
import shutil
from dataclasses import replace

import asyncpg
import pytest

from soporte.intake.bootstrap import MIGRATIONS
from soporte.intake.domain import tickets as domain
from soporte.intake.domain.commands import IdempotencyKey, TicketChanged, TicketCreated, TicketUnchanged
from soporte.intake.service_layer.unit_of_work import PostgresUnitOfWork
from soporte.platform.migrations import migrate
from tests.support.intake import note, phone_ticket, postgres_bus


async def outbox(pool) -> list[tuple[str, int]]:
    return [(r["key"], r["version"]) for r in await pool.fetch("SELECT key, version FROM intake.outbox ORDER BY id")]


async def stored_outcome(pool, caller: str, key: str):
    async with PostgresUnitOfWork(pool) as uow:
        return await uow.outcomes.get(IdempotencyKey(caller, key))


async def test_events_and_their_outbox_rows_are_written_together_and_fold_back(intake_pool):
    bus = postgres_bus(intake_pool)
    created = await bus.handle(phone_ticket())
    await bus.handle(note(created.ticket_id, "llamó otra vez"))
    async with PostgresUnitOfWork(intake_pool) as uow:
        state = domain.rebuild(created.ticket_id, await uow.events.load(created.ticket_id))
    assert state.version == 2 and state.status is domain.Status.NEW and state.customer_email == "ana@example.com"
    assert await outbox(intake_pool) == [(created.ticket_id, 1), (created.ticket_id, 2)]
    stored = await intake_pool.fetch(
        "SELECT type, payload->>'type' AS payload_type FROM intake.events ORDER BY version"
    )
    assert [(r["type"], r["payload_type"]) for r in stored] == [("TicketSubmitted",) * 2, ("InternalNoteAdded",) * 2]


async def test_a_stale_expected_version_is_refused_and_leaves_nothing(intake_pool):
    bus = postgres_bus(intake_pool)
    ticket_id = (await bus.handle(phone_ticket())).ticket_id
    with pytest.raises(domain.ConcurrencyConflict) as refused:
        await bus.handle(note(ticket_id, "tarde", expected_version=0))
    assert refused.value.actual == 1
    # Straight at the store too: a writer that read version 0 cannot append version 1 again.
    async with PostgresUnitOfWork(intake_pool) as uow:
        stale = await uow.events.load(ticket_id)
        with pytest.raises(domain.ConcurrencyConflict):
            await uow.events.append(ticket_id, 0, stale)
    assert await outbox(intake_pool) == [(ticket_id, 1)]


async def test_concurrent_appends_at_one_version_let_exactly_one_through(intake_pool):
    bus = postgres_bus(intake_pool)
    ticket_id = (await bus.handle(phone_ticket())).ticket_id
    outcomes = await asyncio.gather(
        *(bus.handle(note(ticket_id, f"nota {i}", expected_version=1)) for i in range(5)), return_exceptions=True
    )
    assert sum(not isinstance(o, Exception) for o in outcomes) == 1
    assert all(isinstance(o, domain.ConcurrencyConflict) for o in outcomes if isinstance(o, Exception))
    assert await intake_pool.fetchval("SELECT max(version) FROM intake.events WHERE ticket_id = $1", ticket_id) == 2
    assert len(await outbox(intake_pool)) == 2


async def test_an_idempotency_key_is_stored_with_the_events_and_answers_retries(intake_pool):
    bus = postgres_bus(intake_pool)
    first = await bus.handle(phone_ticket(key="phone-call-42"))
    retried = await bus.handle(phone_ticket(key="phone-call-42"))  # another ticket id, the same key
    assert retried == first and isinstance(first, TicketCreated)
    assert await stored_outcome(intake_pool, "agent:agent-1", "phone-call-42") == first
    assert await intake_pool.fetchval("SELECT count(*) FROM intake.events") == 1

    # A refused append stores no key: the retry may then act.
    with pytest.raises(domain.ConcurrencyConflict):
        await bus.handle(note(first.ticket_id, "x", expected_version=0, key="note-1"))
    assert await stored_outcome(intake_pool, "agent:agent-1", "note-1") is None
    assert await bus.handle(note(first.ticket_id, "x", key="note-1")) == TicketChanged(first.ticket_id, 2)
    # The same key from another caller is a different request.
    from_marta = replace(phone_ticket(), idempotency_key=IdempotencyKey("agent:agent-2", "phone-call-42"))
    assert (await bus.handle(from_marta)).ticket_id != first.ticket_id


async def test_racing_requests_with_one_key_make_one_ticket_and_get_one_answer(intake_pool):
    bus = postgres_bus(intake_pool)
    outcomes = await asyncio.gather(*(bus.handle(phone_ticket(key="double-click")) for _ in range(4)))
    assert all(outcome == outcomes[0] for outcome in outcomes)
    assert await intake_pool.fetchval("SELECT count(*) FROM intake.events") == 1


async def test_a_command_the_domain_refuses_appends_nothing(intake_pool):
    with pytest.raises(domain.TicketNotFound):
        await postgres_bus(intake_pool).handle(note("T-NOBODYHERE", "¿hay alguien?"))
    assert await outbox(intake_pool) == []


async def test_answers_stored_before_outcomes_were_data_still_answer_retries(intake_settings, tmp_path):
    """Migration 0002 turns the stored HTTP answers of 0001 into the outcomes they stood for."""
    first_only = tmp_path / "migrations"
    first_only.mkdir()
    shutil.copy(MIGRATIONS / "0001_event_store.sql", first_only)
    await migrate(intake_settings.database_url, "intake", first_only)
    conn = await asyncpg.connect(intake_settings.database_url)
    try:
        await conn.executemany(
            "INSERT INTO intake.idempotency (principal, key, status, response) VALUES ('agent:agent-1', $1, $2, $3)",
            [
                (
                    "created",
                    201,
                    json.dumps(
                        {
                            "ticket_id": "T-1",
                            "version": 1,
                            "access_token": "tok",
                            "status_url": "http://x",
                            "actionability": {"actionable": True},
                        }
                    ),
                ),
                ("changed", 201, json.dumps({"ticket_id": "T-1", "version": 2})),
                ("same", 200, json.dumps({"ticket_id": "T-1", "version": 2})),
            ],
        )
    finally:
        await conn.close()
    await migrate(intake_settings.database_url, "intake", MIGRATIONS)
    pool = await asyncpg.create_pool(intake_settings.database_url, min_size=1, max_size=2)
    try:
        created = await stored_outcome(pool, "agent:agent-1", "created")
        assert isinstance(created, TicketCreated) and created.access_token == "tok"
        assert created.expected_answer_by is None  # not said at the time
        assert await stored_outcome(pool, "agent:agent-1", "changed") == TicketChanged("T-1", 2)
        assert await stored_outcome(pool, "agent:agent-1", "same") == TicketUnchanged("T-1", 2)
    finally:
        await pool.close()
