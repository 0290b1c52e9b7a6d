"""Intake while PostgreSQL or Kafka is away: clients are told to come back (503 + Retry-After), never a 500 or a
hang; without Kafka the outbox keeps the tickets and intake stays ready; started without PostgreSQL, intake waits."""

from __future__ import annotations

import asyncio
import re
from datetime import datetime

import asyncpg
import pytest

from tests.support.intake import bearer, count_events, customer_token
from tests.support.outage import relay_to
from tests.support.smtp import free_port

BODY = {"category": "pre_sales", "description": "¿Hay stock?", "customer_name": "Ana"}


@pytest.fixture
async def database_relay(intake_settings):
    relay = await relay_to(intake_settings.database_url)
    yield relay
    await relay.close()


async def until(check, timeout: float = 30.0):
    """Poll ``check`` (async) until it returns something truthy; AssertionError after ``timeout``."""
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while loop.time() < end:
        if found := await check():
            return found
        await asyncio.sleep(0.2)
    raise AssertionError(f"not reached within {timeout}s")


async def submitted(client) -> bool:
    answer = await client.post("/api/v1/tickets", headers=bearer(customer_token()), json=BODY)
    assert answer.status in (201, 503), (answer.status, await answer.text())
    return answer.status == 201


async def assert_come_back_later(answer) -> None:
    assert answer.status == 503, (answer.status, await answer.text())
    assert int(answer.headers["Retry-After"]) > 0
    assert answer.content_type == "application/problem+json"


async def test_with_postgresql_away_commands_get_503_with_retry_after_and_work_again_after(
    intake_settings, database_relay, start_intake
):
    settings = intake_settings.model_copy(update={"database_url": database_relay.dsn(intake_settings.database_url)})
    client = await start_intake(settings)
    assert await submitted(client)
    await database_relay.cut()
    for _ in range(3):  # the pool's connections are gone, then new ones are refused
        await assert_come_back_later(await client.post("/api/v1/tickets", headers=bearer(customer_token()), json=BODY))
    await assert_come_back_later(
        await client.post("/api/v1/guest-sessions", json={"email": "a@b.es", "order_number": "1"})
    )
    assert (await client.get("/readyz")).status == 503
    await database_relay.restore()
    await until(lambda: submitted(client))
    assert await count_events(intake_settings.database_url) == 2


async def test_started_while_postgresql_is_away_intake_waits_and_then_serves(
    intake_settings, database_relay, start_intake
):
    await database_relay.cut()
    settings = intake_settings.model_copy(update={"database_url": database_relay.dsn(intake_settings.database_url)})
    client = await start_intake(settings)
    assert (await client.get("/healthz")).status == 200
    unready = await client.get("/readyz")
    assert unready.status == 503 and "waiting for PostgreSQL" in (await unready.json())["checks"]["started"]
    await assert_come_back_later(await client.post("/api/v1/tickets", headers=bearer(customer_token()), json=BODY))
    await database_relay.restore()
    await until(lambda: _ready(client))
    assert await submitted(client)


async def _ready(client) -> bool:
    return (await client.get("/readyz")).status == 200


async def test_with_kafka_away_intake_stays_ready_keeps_tickets_in_the_outbox_and_says_how_many(
    intake_settings, start_intake
):
    nowhere = f"127.0.0.1:{free_port()}"  # nothing listens there: a broker that is down
    client = await start_intake(intake_settings.model_copy(update={"kafka_bootstrap": nowhere}))
    assert await submitted(client) and await submitted(client)
    ready = await client.get("/readyz")
    assert ready.status == 200, await ready.text()

    async def two_pending() -> bool:
        metrics = await (await client.get("/metrics")).text()
        pending = re.search(r"^soporte_outbox_pending (\S+)$", metrics, re.MULTILINE)
        lag = re.search(r"^soporte_outbox_lag_seconds (\S+)$", metrics, re.MULTILINE)
        return bool(pending and lag) and float(pending[1]) == 2 and float(lag[1]) > 0

    await until(two_pending)


async def test_publication_says_when_the_oldest_event_still_waiting_for_kafka_occurred(intake_settings, start_intake):
    """What the SLA worker's timers wait for: an answer kept in the outbox while the broker is away holds them."""
    nowhere = f"127.0.0.1:{free_port()}"
    waiting = await start_intake(intake_settings.model_copy(update={"kafka_bootstrap": nowhere}))
    first = await waiting.post("/api/v1/tickets", headers=bearer(customer_token()), json=BODY)
    assert first.status == 201 and await submitted(waiting)
    answer = await waiting.get("/api/v1/publication")  # nobody's token needed: it says only an instant
    assert answer.status == 200
    since = (await answer.json())["unpublished_since"]
    stored = await first_occurred_at(intake_settings, (await first.json())["ticket_id"])
    assert datetime.fromisoformat(since) == stored

    publishing = await start_intake(intake_settings)  # the broker back: its relay drains the outbox

    async def all_published():
        return (await (await publishing.get("/api/v1/publication")).json())["unpublished_since"] is None

    await until(all_published)


async def first_occurred_at(settings, ticket_id: str) -> datetime:
    conn = await asyncpg.connect(settings.database_url)
    try:
        return await conn.fetchval(
            "SELECT occurred_at FROM intake.events WHERE ticket_id = $1 AND version = 1", ticket_id
        )
    finally:
        await conn.close()
