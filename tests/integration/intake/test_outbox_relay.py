"""The outbox relay on the real PostgreSQL and Kafka: nothing lost, order kept, duplicates only as repeats."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections import defaultdict

from aiokafka import AIOKafkaProducer
from aiokafka.errors import OutOfOrderSequenceNumber
from prometheus_client import CollectorRegistry

from soporte.intake.adapters.relay import OutboxRelay
from soporte.platform.kafka import make_producer
from tests.support.intake import intake_env, note, phone_ticket, postgres_bus, ticket_events


async def write_tickets(intake_pool, tickets: int, notes: int) -> list[str]:
    """``tickets`` tickets of 1 + ``notes`` events each, committed as intake commits them."""
    bus, ids = postgres_bus(intake_pool), []
    for _ in range(tickets):
        ticket_id = (await bus.handle(phone_ticket())).ticket_id
        for n in range(notes):
            await bus.handle(note(ticket_id, f"nota {n}"))
        ids.append(ticket_id)
    return ids


def versions_by_ticket(events) -> dict[str, list[int]]:
    seen = defaultdict(list)
    for event in events:
        seen[event.ticket_id].append(event.version)
    return seen


async def wait_for_line(process: subprocess.Popen, text: str, timeout: float = 60.0) -> None:
    """Read the process's log lines until one contains ``text`` (in a thread: the pipe blocks)."""

    def read() -> None:
        for line in process.stderr:
            if text in line:
                return
        raise AssertionError(f"the process ended without logging {text!r}")

    await asyncio.wait_for(asyncio.to_thread(read), timeout)


def start_relay(settings) -> subprocess.Popen:
    env = {**intake_env(settings), "SOPORTE_LOG_LEVEL": "INFO"}
    return subprocess.Popen(
        [sys.executable, "-m", "soporte.intake", "relay"], env=env, stderr=subprocess.PIPE, text=True
    )


async def test_a_relay_killed_between_commit_and_publish_loses_nothing(intake_settings, intake_pool):
    """Commits land while the relay is frozen, it is SIGKILLed, a new one starts: every event once after dedupe."""
    first = start_relay(intake_settings)
    try:
        await wait_for_line(first, "outbox relay started")
        os.kill(first.pid, signal.SIGSTOP)  # frozen: it cannot publish what is committed now
        tickets = await write_tickets(intake_pool, tickets=5, notes=2)
        assert await intake_pool.fetchval("SELECT count(*) FROM intake.outbox WHERE published_at IS NULL") == 15
    finally:
        first.kill()  # SIGKILL: no clean-up of any kind
        first.wait(timeout=30)
    assert await intake_pool.fetchval("SELECT count(*) FROM intake.outbox WHERE published_at IS NULL") == 15

    second = start_relay(intake_settings)
    try:
        await wait_for_line(second, "outbox relay started")
        seen = await ticket_events(
            intake_settings.kafka_bootstrap,
            intake_settings.topic_prefix,
            lambda s: len({(e.ticket_id, e.version) for e in s}) >= 15,
            timeout=60,
        )
    finally:
        second.send_signal(signal.SIGTERM)
        assert second.wait(timeout=30) == 0  # SIGTERM is a clean stop
    assert {(e.ticket_id, e.version) for e in seen} == {(ticket, v) for ticket in tickets for v in (1, 2, 3)}
    assert all(versions == [1, 2, 3] for versions in versions_by_ticket(seen).values())
    assert await intake_pool.fetchval("SELECT count(*) FROM intake.outbox WHERE published_at IS NULL") == 0


async def test_what_a_relay_sent_before_dying_unflagged_is_not_sent_again(intake_settings, intake_pool):
    """The crash after publishing and before flagging, as the dead relay leaves it (its batch marked attempted,
    unflagged, all or part of it on Kafka): the next relay sends only what is missing. Every event once."""
    registry = CollectorRegistry()
    relay = OutboxRelay(intake_pool, intake_settings.kafka_bootstrap, intake_settings.topic_prefix, registry)
    tickets = await write_tickets(intake_pool, tickets=2, notes=1)
    await relay._new_producer()
    try:
        assert await relay.publish_once() == 4
        # A relay published the notes and died before flagging them: its marks stay, its flags never came.
        await intake_pool.execute("UPDATE intake.outbox SET published_at = NULL WHERE version = 2")
        await intake_pool.execute("INSERT INTO intake.outbox_attempts SELECT id FROM intake.outbox WHERE version = 2")
        assert await relay.publish_once() == 2  # flagged, not sent
        # Another one died half-way through its batch: the first event of it reached Kafka, the second did not.
        for ticket in tickets:
            await postgres_bus(intake_pool).handle(note(ticket, "otra nota"))
        half = await intake_pool.fetch(
            "SELECT id, key, payload FROM intake.outbox WHERE published_at IS NULL ORDER BY id"
        )
        await intake_pool.execute(
            "INSERT INTO intake.outbox_attempts SELECT unnest($1::bigint[])", [r["id"] for r in half]
        )
        await relay.producer.send_and_wait(relay.topic, bytes(half[0]["payload"]), key=half[0]["key"].encode())
        assert await relay.publish_once() == 2
        assert await relay.publish_once() == 0
    finally:
        await relay._drop_producer()
    assert await intake_pool.fetchval("SELECT count(*) FROM intake.outbox_attempts") == 0
    seen = await ticket_events(intake_settings.kafka_bootstrap, intake_settings.topic_prefix, lambda s: len(s) >= 6)
    assert len(seen) == 6 and len({(e.ticket_id, e.version) for e in seen}) == 6
    assert {ticket: versions for ticket, versions in versions_by_ticket(seen).items()} == {
        t: [1, 2, 3] for t in tickets
    }
    assert registry.get_sample_value("soporte_outbox_published_total") == 5  # 4, then the one the dead relay missed
    assert registry.get_sample_value("soporte_outbox_recovered_total") == 3
    assert registry.get_sample_value("soporte_outbox_lag_seconds") == 0.0


async def test_two_relays_side_by_side_keep_each_tickets_version_order(intake_settings, intake_pool):
    stop = asyncio.Event()
    relays = [
        OutboxRelay(
            intake_pool,
            intake_settings.kafka_bootstrap,
            intake_settings.topic_prefix,
            CollectorRegistry(),
            batch=3,
            poll_seconds=0.05,
        )
        for _ in range(2)
    ]
    running = [asyncio.create_task(relay.run(stop)) for relay in relays]
    try:
        writers = [write_tickets(intake_pool, tickets=3, notes=4) for _ in range(3)]
        tickets = [ticket for batch in await asyncio.gather(*writers) for ticket in batch]
        seen = await ticket_events(
            intake_settings.kafka_bootstrap,
            intake_settings.topic_prefix,
            lambda s: len({(e.ticket_id, e.version) for e in s}) >= 45,
            timeout=60,
        )
    finally:
        stop.set()
        await asyncio.gather(*running)
    by_ticket = versions_by_ticket(seen)
    assert sorted(by_ticket) == sorted(tickets)
    assert all(versions == [1, 2, 3, 4, 5] for versions in by_ticket.values()), dict(by_ticket)


async def test_a_producer_stuck_out_of_sequence_is_replaced_and_nothing_is_lost(intake_settings, intake_pool):
    """aiokafka #1017: the relay drops a producer reporting OutOfOrderSequenceNumber and carries on with a new one."""
    made: list[AIOKafkaProducer] = []

    def producer_failing_once(bootstrap: str, **options) -> AIOKafkaProducer:
        producer = make_producer(bootstrap, **options)  # a real idempotent producer on the real broker
        if not made:
            real_send = producer.send

            async def send(*args, **kwargs):
                if producer.failed_once:
                    return await real_send(*args, **kwargs)
                producer.failed_once = True
                raise OutOfOrderSequenceNumber("broker refused the sequence")

            producer.failed_once = False
            producer.send = send
        made.append(producer)
        return producer

    registry, stop = CollectorRegistry(), asyncio.Event()
    relay = OutboxRelay(
        intake_pool,
        intake_settings.kafka_bootstrap,
        intake_settings.topic_prefix,
        registry,
        poll_seconds=0.05,
        producer_factory=producer_failing_once,
    )
    tickets = await write_tickets(intake_pool, tickets=2, notes=2)
    running = asyncio.create_task(relay.run(stop))
    try:
        seen = await ticket_events(intake_settings.kafka_bootstrap, intake_settings.topic_prefix, lambda s: len(s) >= 6)
    finally:
        stop.set()
        await running
    assert len(made) == 2 and registry.get_sample_value("soporte_outbox_producer_recreated_total") == 1
    assert {ticket: versions for ticket, versions in versions_by_ticket(seen).items()} == {
        ticket: [1, 2, 3] for ticket in tickets
    }


async def test_the_publication_lag_shows_while_kafka_cannot_be_reached(intake_settings, intake_pool):
    """With no broker to publish to, the lag gauge grows from the oldest unpublished event instead of freezing."""
    registry, stop = CollectorRegistry(), asyncio.Event()
    relay = OutboxRelay(
        intake_pool, "127.0.0.1:9", intake_settings.topic_prefix, registry, poll_seconds=0.05
    )  # nothing listens on port 9
    await write_tickets(intake_pool, tickets=1, notes=0)
    await intake_pool.execute("UPDATE intake.outbox SET created_at = now() - interval '90 seconds'")
    running = asyncio.create_task(relay.run(stop))
    try:
        for _ in range(200):
            lag = registry.get_sample_value("soporte_outbox_lag_seconds")
            if lag and lag >= 90:
                break
            await asyncio.sleep(0.1)
        assert lag >= 90
    finally:
        stop.set()
        await running
    assert registry.get_sample_value("soporte_outbox_published_total") == 0
