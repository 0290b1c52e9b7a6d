"""``soporte projections rebuild``: replay the topics from the start into fresh tables, then swap them in.

The live tables keep serving while a ``TrackedReader`` (the same projection as
the live reader, on the ``_rebuild`` twins and their own positions) replays
every partition up to the end offsets seen at the start. The swap renames both
sets in one transaction and bumps the generation, so a running live reader
continues from the new tables' positions (picking up whatever arrived during
the rebuild). Nothing is changed when the rebuild is refused.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Mapping

import asyncpg
from aiokafka import TopicPartition

from soporte.businesstime import BusinessCalendar
from soporte.platform.clock import Clock, utc_now
from soporte.platform.kafka import make_consumer, make_producer
from soporte.platform.positions import PostgresPositions, TopicPartitionKey
from soporte.platform.projection import transaction_on
from soporte.platform.reader import TrackedReader
from soporte.projections.adapters.tables import (
    REBUILD,
    create_pool,
    create_rebuild_tables,
    migrate,
    swap_in_rebuilt_tables,
)
from soporte.projections.adapters.writer import ReadModelProjection, TableStore
from soporte.projections.reading import reader_settings, source_topics
from soporte.projections.settings import ProjectionsSettings
from soporte.ticketrules import SlaPolicies, SlaRules

REBUILD_LOCK = "soporte.projections.rebuild"  # advisory lock: one rebuild at a time per database


class RebuildRefused(RuntimeError):
    """The rebuild would not replay what the live tables were built from; nothing was changed."""


class Progress:
    """Prints events/s and the position against the end offsets, at most once per ``every`` seconds."""

    def __init__(
        self,
        starts: Mapping[TopicPartition, int],
        ends: Mapping[TopicPartition, int],
        positions: Callable[[], Mapping[TopicPartitionKey, int]],
        out: Callable[[str], None],
        every: float = 1.0,
    ) -> None:
        self.starts, self.ends, self.positions, self.out, self.every = starts, ends, positions, out, every
        self.total = sum(max(end - starts[tp], 0) for tp, end in ends.items())
        self.begun = self.last = time.monotonic()

    def reached(self) -> dict[TopicPartition, int]:
        """Where each partition stands (records applied or dead-lettered), at most its end."""
        positions = self.positions()
        return {tp: min(positions.get((tp.topic, tp.partition), self.starts[tp]), end) for tp, end in self.ends.items()}

    @property
    def done(self) -> int:
        return sum(position - self.starts[tp] for tp, position in self.reached().items())

    def line(self) -> str:
        by_topic: dict[str, list[int]] = {}
        for tp, position in self.reached().items():
            totals = by_topic.setdefault(tp.topic, [0, 0])
            totals[0] += position
            totals[1] += self.ends[tp]
        topics = ", ".join(f"{name} {position}/{end}" for name, (position, end) in sorted(by_topic.items()))
        done, elapsed = self.done, max(time.monotonic() - self.begun, 1e-6)
        percent = 100.0 if not self.total else 100.0 * done / self.total
        return f"rebuild: {done}/{self.total} events ({percent:.0f}%), {done / elapsed:.0f} events/s; {topics}"

    def advance(self, _applied: int = 0, *, force: bool = False) -> None:
        """Called by the replay after each fetch; prints a line when one is due."""
        now = time.monotonic()
        if force or now - self.last >= self.every:
            self.last = now
            self.out(self.line())


async def source_partitions(
    settings: ProjectionsSettings,
) -> tuple[list[TopicPartition], dict[TopicPartition, int], dict[TopicPartition, int]]:
    """Every partition of the source topics, with its first and end offsets now."""
    consumer = make_consumer(settings.kafka_bootstrap, group_id=None)
    await consumer.start()
    try:
        partitions = []
        for topic in source_topics(settings.topic_prefix):
            await consumer._client.force_metadata_update()  # noqa: SLF001 - know every partition before reading
            found = consumer.partitions_for_topic(topic)
            if not found:
                # A wrong prefix or broker would replay nothing and swap empty tables in.
                raise RebuildRefused(
                    f"topic {topic} does not exist on {settings.kafka_bootstrap}; the read models are unchanged"
                )
            partitions += [TopicPartition(topic, p) for p in sorted(found)]
        return partitions, await consumer.beginning_offsets(partitions), await consumer.end_offsets(partitions)
    finally:
        await consumer.stop()


async def rebuild(
    settings: ProjectionsSettings,
    calendar: BusinessCalendar,
    policies: SlaPolicies,
    now: Clock = utc_now,
    out: Callable[[str], None] = print,
) -> int:
    """Rebuild every read model; returns how many records were replayed."""
    await migrate(settings.database_url)
    async with contextlib.AsyncExitStack() as resources:
        lock = await asyncpg.connect(settings.database_url)  # holds the rebuild lock while it lives
        resources.push_async_callback(lock.close)
        if not await lock.fetchval("SELECT pg_try_advisory_lock(hashtext($1))", REBUILD_LOCK):
            # A second rebuild would drop the first one's half-filled twins, and the first would swap those in.
            raise RebuildRefused("another rebuild is running; the read models are unchanged")
        partitions, starts, ends = await source_partitions(settings)
        pool = await create_pool(settings.database_url, max_size=3)
        resources.push_async_callback(pool.close)
        producer = make_producer(settings.kafka_bootstrap, client_id="soporte-projections-rebuild")
        await producer.start()
        resources.push_async_callback(producer.stop)
        async with pool.acquire() as conn:
            await create_rebuild_tables(conn)
        reader = TrackedReader(
            ReadModelProjection(TableStore(REBUILD), SlaRules(calendar, policies)),
            PostgresPositions(REBUILD.positions),
            transaction_on(pool),
            producer,
            reader_settings(settings, group_id=None),
            now=now,
        )
        progress = Progress(starts, ends, lambda: reader.next_offsets, out)
        out(progress.line())
        await reader.replay(partitions, ends, progress.advance)
        progress.advance(force=True)
        async with pool.acquire() as conn:
            await swap_in_rebuilt_tables(conn)
        out(f"rebuild: swapped in the rebuilt tables ({progress.done} events replayed)")
        return progress.done


def print_flushed(line: str) -> None:
    """Progress line by line: piped into a log, a plain print would hold it back until the end."""
    print(line, flush=True)


def run_rebuild(settings: ProjectionsSettings) -> int:
    from soporte.businesstime import load_calendar
    from soporte.ticketrules import load_policies

    try:
        return asyncio.run(rebuild(settings, load_calendar(), load_policies(), out=print_flushed))
    except RebuildRefused as exc:
        raise SystemExit(f"rebuild refused: {exc}") from None  # exit status 1, the reason on stderr
