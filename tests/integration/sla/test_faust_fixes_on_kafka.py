"""What the two consumer fixes rely on, against the real broker with aiokafka as faust drives it.

See ``soporte.sla.adapters.faust_fixes``: aiokafka drains every partition when handed an empty set, and
``seek_to_committed`` leaves a partition with no committed offset where it is.
"""

from __future__ import annotations

import asyncio
import uuid

from aiokafka import TopicPartition

from soporte.events import TopicSpec
from soporte.platform.kafka import ensure_topics, make_consumer, make_producer
from soporte.sla.adapters.faust_fixes import LivePartitions, seek_to_committed_or_beginning


async def two_partitions_with_records(bootstrap: str, prefix: str, per_partition: int) -> list[TopicPartition]:
    spec = TopicSpec(f"fixes-{uuid.uuid4().hex[:8]}", 2, {})
    await ensure_topics(bootstrap, [spec], prefix)
    topic = spec.name(prefix)
    producer = make_producer(bootstrap)
    await producer.start()
    try:
        for partition in (0, 1):
            for n in range(per_partition):
                await producer.send_and_wait(topic, f"record {n}".encode(), partition=partition)
    finally:
        await producer.stop()
    return [TopicPartition(topic, 0), TopicPartition(topic, 1)]


async def test_a_partition_paused_while_a_fetch_waits_is_not_drained(kafka_bootstrap, topic_prefix):
    tp0, tp1 = await two_partitions_with_records(kafka_bootstrap, topic_prefix, per_partition=1)
    consumer = make_consumer(kafka_bootstrap, group_id=None)
    await consumer.start()
    try:
        consumer.assign([tp0, tp1])
        await consumer.seek_to_beginning(tp0, tp1)
        fetcher = consumer._fetcher  # faust calls the fetcher itself, and that call is what the fix changes
        active = {tp0, tp1}
        assert [r.offset for r in (await fetcher.fetched_records(LivePartitions({tp0}), timeout=10))[tp0]] == [0]
        for _ in range(100):  # tp1's record fetched in the background, waiting to be drained
            if tp1 in fetcher._records:
                break
            await asyncio.sleep(0.1)
        assert tp1 in fetcher._records

        active.clear()  # faust pauses every partition (recovery pausing the changelogs it has read)
        assert await fetcher.fetched_records(LivePartitions(active), timeout=1) == {}
        assert await consumer.position(tp1) == 0  # nothing drained, nothing skipped
        # What faust 0.15.3 hands over (its own set, empty now): aiokafka drains the paused partition.
        drained = await fetcher.fetched_records(active, timeout=10)
        assert [r.offset for r in drained[tp1]] == [0] and await consumer.position(tp1) == 1
    finally:
        await consumer.stop()


async def test_seek_back_rewinds_a_partition_without_a_committed_offset_to_its_start(kafka_bootstrap, topic_prefix):
    tp0, tp1 = await two_partitions_with_records(kafka_bootstrap, topic_prefix, per_partition=3)
    consumer = make_consumer(kafka_bootstrap, group_id=f"fixes-{uuid.uuid4().hex[:8]}")
    await consumer.start()
    try:
        consumer.assign([tp0, tp1])
        await consumer.seek_to_beginning(tp0, tp1)
        read = 0
        while read < 6:
            read += sum(len(records) for records in (await consumer.getmany(timeout_ms=1000)).values())
        await consumer.commit({tp0: 2})  # tp1 was read (and dropped, say) but never committed

        assert await consumer.seek_to_committed() == {tp0: 2, tp1: None}
        assert (await consumer.position(tp0), await consumer.position(tp1)) == (2, 3)  # tp1 skipped for good

        committed = await seek_to_committed_or_beginning(consumer, rewind=lambda tp: True)
        assert committed == {tp0: 2, tp1: None}  # what faust's perform_seek expects, unchanged
        assert (await consumer.position(tp0), await consumer.position(tp1)) == (2, 0)

        consumer.seek(tp1, 3)
        await seek_to_committed_or_beginning(consumer, rewind=lambda tp: tp != tp1)  # a changelog, say
        assert await consumer.position(tp1) == 3
    finally:
        await consumer.stop()
