"""Which outbox rows a relay that died mid-batch had already put on Kafka, so none is published twice.

A relay marks a batch as attempted (``intake.outbox_attempts``, committed) before
it sends it, and removes the marks with the published flags. Rows found still
unpublished with a mark are the only ones that may be on Kafka already: they were
in the batch of a relay that died (or whose producer failed) between sending and
flagging. They are the oldest unpublished rows and one relay drains at a time, so
whatever of them reached Kafka is at the end of their partitions, after nothing
else: reading the last records of those partitions (as many as a batch can hold,
twice over) finds them by event id.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from aiokafka import TopicPartition
from aiokafka.partitioner import DefaultPartitioner

from soporte.platform.kafka import make_consumer


def event_id_of(payload: bytes) -> str:
    return str(json.loads(payload)["event_id"])


async def already_published(
    bootstrap: str, topic: str, partitions: Sequence[int], rows: Sequence[Any], tail: int
) -> set[int]:
    """The ids of ``rows`` (outbox rows: id, key, payload) whose event is among the last ``tail`` records of its
    partition (``partitions``: the topic's, as the producer sees them, to find each key's)."""
    if not rows:
        return set()
    consumer = make_consumer(bootstrap, group_id=None, isolation_level="read_uncommitted")
    await consumer.start()
    try:
        partitions, partitioner = sorted(partitions), DefaultPartitioner()
        wanted = {TopicPartition(topic, partitioner(r["key"].encode(), partitions, partitions)) for r in rows}
        consumer.assign(list(wanted))
        ends = await consumer.end_offsets(list(wanted))
        for tp in wanted:
            consumer.seek(tp, max(0, ends[tp] - tail))
        seen: set[str] = set()
        pending = {tp for tp in wanted if ends[tp] > 0}
        while pending:
            for tp, records in (await consumer.getmany(*pending, timeout_ms=1000)).items():
                seen.update(event_id_of(r.value) for r in records if r.offset < ends[tp])
            pending = {tp for tp in pending if await consumer.position(tp) < ends[tp]}
        return {r["id"] for r in rows if event_id_of(bytes(r["payload"])) in seen}
    finally:
        await consumer.stop()
