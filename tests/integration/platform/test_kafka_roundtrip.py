"""Every event type through the real broker and the shared codec; per-key order kept."""

from __future__ import annotations

import asyncio
from collections import defaultdict

from soporte.events import TICKET_EVENTS, decode, encode, event_key
from soporte.events import types as t
from soporte.platform.kafka import make_consumer, make_producer
from tests.support.samples import sample_events


async def consume(bootstrap: str, topic: str, count: int, timeout: float = 30.0):
    consumer = make_consumer(bootstrap, topic, group_id=None)
    await consumer.start()
    received = []
    try:
        async with asyncio.timeout(timeout):
            while len(received) < count:
                batch = await consumer.getmany(timeout_ms=500)
                for records in batch.values():
                    received.extend(records)
    finally:
        await consumer.stop()
    return received


async def test_every_event_type_round_trips_through_kafka(kafka_bootstrap, topic_prefix):
    topic = TICKET_EVENTS.name(topic_prefix)
    sent = sample_events()
    producer = make_producer(kafka_bootstrap)
    await producer.start()
    try:
        for event in sent:
            await producer.send_and_wait(topic, encode(event), key=event_key(event))
    finally:
        await producer.stop()

    records = await consume(kafka_bootstrap, topic, len(sent))
    received = [decode(r.value) for r in records]
    assert sorted(received, key=lambda e: str(e.event_id)) == sorted(sent, key=lambda e: str(e.event_id))
    assert {type(e) for e in received} == {type(e) for e in sent}


async def test_order_per_ticket_is_kept_across_partitions(kafka_bootstrap, topic_prefix):
    topic = TICKET_EVENTS.name(topic_prefix)
    template = sample_events()[1]  # a TicketAssigned
    tickets = [f"T-{i:010d}" for i in range(12)]
    producer = make_producer(kafka_bootstrap)
    await producer.start()
    try:
        pending = []
        for version in range(1, 21):  # interleave tickets, versions ascending per ticket
            for ticket_id in tickets:
                event = t.TicketAssigned.create(
                    data=t.TicketAssignedData(assignee_id=f"agent-{version}"),
                    actor=template.actor,
                    occurred_at=template.occurred_at,
                    ticket_id=ticket_id,
                    version=version,
                )
                pending.append(await producer.send(topic, encode(event), key=event_key(event)))
        await asyncio.gather(*pending)
    finally:
        await producer.stop()

    records = await consume(kafka_bootstrap, topic, 20 * len(tickets))
    versions, partitions = defaultdict(list), defaultdict(set)
    for record in records:
        event = decode(record.value)
        versions[event.ticket_id].append(event.version)
        partitions[event.ticket_id].add(record.partition)
    assert set(versions) == set(tickets)
    for ticket_id in tickets:
        assert versions[ticket_id] == list(range(1, 21))
        assert len(partitions[ticket_id]) == 1  # one ticket, one partition
    assert len(set().union(*partitions.values())) > 1  # and the tickets really spread out
