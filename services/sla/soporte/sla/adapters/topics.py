"""The SLA processor's own topics, and reading whole topics with aiokafka (no consumer group: no position kept)."""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiokafka import AIOKafkaConsumer, TopicPartition

from soporte.events import TICKET_EVENTS, TopicSpec
from soporte.platform.kafka import make_consumer

from ..settings import SlaSettings


async def assigned_consumer(
    bootstrap: str, topic: str, *, client_id: str, from_beginning: bool = True
) -> AIOKafkaConsumer:
    """A started consumer holding every partition of ``topic``, at its start (or its end)."""
    consumer = make_consumer(bootstrap, group_id=None, client_id=client_id)
    await consumer.start()
    # A fresh metadata fetch: the client's cached cluster view may not list a new topic yet.
    cluster = await consumer._client.fetch_all_metadata()  # noqa: SLF001 - aiokafka has no public call for this
    partitions = cluster.partitions_for_topic(topic) or set()
    if not partitions:
        await consumer.stop()
        raise RuntimeError(f"topic {topic} does not exist")
    tps = [TopicPartition(topic, p) for p in sorted(partitions)]
    consumer.assign(tps)
    if from_beginning:
        await consumer.seek_to_beginning(*tps)
    else:
        await consumer.seek_to_end(*tps)
    return consumer


async def read_until_caught_up(consumer: AIOKafkaConsumer) -> AsyncIterator:
    """Yield the records of the assigned partitions up to the end offsets seen now, then stop."""
    tps = list(consumer.assignment())
    ends = await consumer.end_offsets(tps)
    while [tp for tp in tps if await consumer.position(tp) < ends[tp]]:
        batches = await consumer.getmany(*tps, timeout_ms=500)
        for records in batches.values():
            for record in records:
                yield record


async def read_topic(
    bootstrap: str, topic: str, *, client_id: str, positions: dict[TopicPartition, int] | None = None
) -> AsyncIterator:
    """Every record currently on ``topic`` (from the beginning to the end seen at call time).

    With ``positions``, partitions found there are read from that offset instead of the beginning,
    and the next offset of each partition read is stored back into it (so the next call reads only what is new).
    """
    consumer = await assigned_consumer(bootstrap, topic, client_id=client_id)
    try:
        if positions:
            for tp in consumer.assignment():
                if tp in positions:
                    consumer.seek(tp, positions[tp])
        async for record in read_until_caught_up(consumer):
            if positions is not None:
                positions[TopicPartition(record.topic, record.partition)] = record.offset + 1
            yield record
    finally:
        await consumer.stop()


def internal_topics(settings: SlaSettings) -> list[TopicSpec]:
    """The app's own topics, named after the app id (another id starts from empty state).

    Both have the ticket topic's partition count: faust writes a table change to
    the changelog partition of the event being processed, and its assignor gives
    the same partition number of equally sized topics to the same worker.
    """
    parts = TICKET_EVENTS.partitions
    return [
        TopicSpec(f"{settings.sla_app_id}-clocks-changelog", parts, {"cleanup.policy": "compact"}),
        TopicSpec(f"{settings.sla_app_id}-due", parts, {"retention.ms": str(7 * 24 * 3600 * 1000)}),
    ]
