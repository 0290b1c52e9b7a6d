"""Reading a real topic: from its start until what a test waits for is there (bounded), or how much it holds."""

from __future__ import annotations

import asyncio

from aiokafka import TopicPartition

from soporte.events import decode
from soporte.platform.kafka import make_consumer


async def read_topic_until(bootstrap: str, topic: str, predicate, timeout: float = 45.0) -> list:
    """Every event on ``topic`` once ``predicate(events)`` holds; AssertionError after ``timeout``."""
    return [event for _, event in await read_keyed_until(bootstrap, topic, predicate, timeout)]


async def read_keyed_until(bootstrap: str, topic: str, predicate, timeout: float = 45.0) -> list[tuple]:
    """Every (Kafka key, event) on ``topic`` once ``predicate(events)`` holds; AssertionError after ``timeout``."""
    consumer = make_consumer(bootstrap, topic, group_id=None)
    await consumer.start()
    seen: list[tuple] = []
    try:
        loop = asyncio.get_running_loop()
        end = loop.time() + timeout
        while loop.time() < end:
            for records in (await consumer.getmany(timeout_ms=300)).values():
                seen.extend((r.key, decode(r.value)) for r in records)
            if predicate([event for _, event in seen]):
                return seen
        raise AssertionError(f"not seen on {topic}: {[(e.type, e.ticket_id, e.version) for _, e in seen]}")
    finally:
        await consumer.stop()


async def records_on(bootstrap: str, topic: str) -> int:
    """How many records a topic holds (its end offsets added up)."""
    consumer = make_consumer(bootstrap, topic, group_id=None)
    await consumer.start()
    try:
        partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
        return sum((await consumer.end_offsets(partitions)).values())
    finally:
        await consumer.stop()
