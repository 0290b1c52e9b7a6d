"""``soporte projections rebuild``: replay the topics from the start into fresh tables, then swap them in.

The live tables keep serving while the ``_rebuild`` twins fill up to the end
offsets seen at the start; the swap renames both sets in one transaction and
bumps ``projections.generation``, so a running reader continues from the new
tables' positions (picking up whatever arrived during the rebuild).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import datetime

import asyncpg
from aiokafka import TopicPartition

from soporte.businesstime import BusinessCalendar
from soporte.events import DEAD_LETTERS, UndecodableEvent, decode
from soporte.platform.kafka import make_consumer, make_producer
from soporte.projections.adapters.store import REBUILD, REBUILT_TABLES, SCHEMA, ReadModelWriter, Record
from soporte.projections.entrypoints.consumer import RecordApplier, source_topics
from soporte.projections.settings import ProjectionsSettings
from soporte.ticketrules import SlaPolicies

BATCH = 500
REBUILD_LOCK = "soporte.projections.rebuild"  # advisory lock: one rebuild at a time per database


class RebuildRefused(RuntimeError):
    """The rebuild would not replay what the live tables were built from; nothing was changed."""


async def create_rebuild_tables(conn: asyncpg.Connection) -> None:
    """Empty twins of the live tables (same columns, defaults, constraints and indexes)."""
    async with conn.transaction():
        for table in REBUILT_TABLES:
            await conn.execute(f"DROP TABLE IF EXISTS {SCHEMA}.{table}_rebuild")
            await conn.execute(f"CREATE TABLE {SCHEMA}.{table}_rebuild (LIKE {SCHEMA}.{table} INCLUDING ALL)")


async def index_names(conn: asyncpg.Connection, table: str) -> dict[tuple[bool, str], str]:
    """The names of ``table``'s indexes by what they index (uniqueness and ``USING ...``, which leaves names out)."""
    rows = await conn.fetch(
        """SELECT i.relname AS name, x.indisunique AS is_unique,
                  substring(pg_get_indexdef(x.indexrelid) FROM ' USING .*$') AS shape
             FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class c ON c.oid = x.indrelid
             JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = $1 AND c.relname = $2""",
        SCHEMA,
        table,
    )
    return {(r["is_unique"], r["shape"]): r["name"] for r in rows}


async def swap_in_rebuilt_tables(conn: asyncpg.Connection) -> None:
    """One transaction: the twins become the live tables, the old ones are dropped, readers are told."""
    async with conn.transaction():
        # First: waits for readers mid-transaction, and makes later ones re-read their positions.
        await conn.execute("UPDATE projections.generation SET generation = generation + 1")
        live_names = {table: await index_names(conn, table) for table in REBUILT_TABLES}
        twin_names = {table: await index_names(conn, f"{table}_rebuild") for table in REBUILT_TABLES}
        for table in REBUILT_TABLES:
            await conn.execute(f"ALTER TABLE {SCHEMA}.{table} RENAME TO {table}_old")
            await conn.execute(f"ALTER TABLE {SCHEMA}.{table}_rebuild RENAME TO {table}")
        for table in REBUILT_TABLES:
            await conn.execute(f"DROP TABLE {SCHEMA}.{table}_old")
        # LIKE names the twins' indexes (and primary keys) after the twin: give them back the live names, so
        # migrations can name them and the next rebuild's twins do not collide with them.
        for table in REBUILT_TABLES:
            for shape, twin_name in twin_names[table].items():
                live_name = live_names[table].get(shape)
                if live_name and live_name != twin_name:
                    await conn.execute(f'ALTER INDEX {SCHEMA}."{twin_name}" RENAME TO "{live_name}"')


class Progress:
    """Prints events/s and the position against the end offsets, at most once per ``every`` seconds."""

    def __init__(
        self,
        ends: dict[TopicPartition, int],
        starts: dict[TopicPartition, int],
        out: Callable[[str], None],
        every: float = 1.0,
    ) -> None:
        self.ends, self.starts, self.out, self.every = ends, starts, out, every
        self.total = sum(max(ends[tp] - starts[tp], 0) for tp in ends)
        self.begun = self.last = time.monotonic()
        self.done = 0

    def line(self, positions: dict[TopicPartition, int]) -> str:
        elapsed = max(time.monotonic() - self.begun, 1e-6)
        by_topic: dict[str, list[int]] = {}
        for tp, end in self.ends.items():
            pos = min(positions.get(tp, self.starts[tp]), end)
            acc = by_topic.setdefault(tp.topic, [0, 0])
            acc[0] += pos
            acc[1] += end
        topics = ", ".join(f"{name} {pos}/{end}" for name, (pos, end) in sorted(by_topic.items()))
        percent = 100.0 if not self.total else 100.0 * self.done / self.total
        return (
            f"rebuild: {self.done}/{self.total} events ({percent:.0f}%), {self.done / elapsed:.0f} events/s; {topics}"
        )

    def advance(self, count: int, positions: dict[TopicPartition, int], force: bool = False) -> None:
        self.done += count
        now = time.monotonic()
        if force or now - self.last >= self.every:
            self.last = now
            self.out(self.line(positions))


async def rebuild(
    settings: ProjectionsSettings,
    calendar: BusinessCalendar,
    policies: SlaPolicies,
    now: Callable[[], datetime],
    out: Callable[[str], None] = print,
) -> int:
    """Rebuild every read model; returns how many records were replayed."""
    from soporte.projections.bootstrap import create_pool, migrate

    await migrate(settings.database_url)
    pool = await create_pool(settings.database_url, max_size=3)
    producer = make_producer(settings.kafka_bootstrap, client_id="soporte-projections-rebuild")
    consumer = make_consumer(settings.kafka_bootstrap, group_id=None)
    await producer.start()
    await consumer.start()
    lock = await asyncpg.connect(settings.database_url)  # holds the rebuild lock while it lives
    try:
        if not await lock.fetchval("SELECT pg_try_advisory_lock(hashtext($1))", REBUILD_LOCK):
            # A second rebuild would drop the first one's half-filled twins, and the first would swap those in.
            raise RebuildRefused("another rebuild is running; the read models are unchanged")
        partitions = []
        for topic in source_topics(settings.topic_prefix):
            await consumer._client.force_metadata_update()  # noqa: SLF001 - know every partition before assigning
            found = consumer.partitions_for_topic(topic)
            if not found:
                # A wrong prefix or broker would replay nothing and swap empty tables in.
                raise RebuildRefused(
                    f"topic {topic} does not exist on {settings.kafka_bootstrap}; the read models are unchanged"
                )
            partitions += [TopicPartition(topic, p) for p in sorted(found)]
        async with pool.acquire() as conn:
            await create_rebuild_tables(conn)
        writer = ReadModelWriter(REBUILD, calendar, policies)
        applier = RecordApplier(pool, writer, producer, DEAD_LETTERS.name(settings.topic_prefix), now)
        consumer.assign(partitions)
        ends = await consumer.end_offsets(partitions)
        starts = await consumer.beginning_offsets(partitions)
        for tp in partitions:
            consumer.seek(tp, starts[tp])
        progress = Progress(ends, starts, out)
        out(progress.line({}))
        positions = dict(starts)
        pending = {tp for tp in partitions if starts[tp] < ends[tp]}
        while pending:
            batch = await consumer.getmany(*pending, timeout_ms=500, max_records=BATCH)
            records = [(tp, r) for tp, rs in batch.items() for r in rs if r.offset < ends[tp]]
            await _apply_batch(pool, writer, applier, records)
            for tp in list(pending):
                positions[tp] = await consumer.position(tp)
                if positions[tp] >= ends[tp]:
                    pending.discard(tp)
            progress.advance(len(records), positions)
        progress.advance(0, positions, force=True)
        async with pool.acquire() as conn:
            await swap_in_rebuilt_tables(conn)
        out(f"rebuild: swapped in the rebuilt tables ({progress.done} events replayed)")
        return progress.done
    finally:
        await lock.close()
        await consumer.stop()
        await producer.stop()
        await pool.close()


async def _apply_batch(pool: asyncpg.Pool, writer: ReadModelWriter, applier: RecordApplier, records) -> None:
    """The whole batch in one transaction; if anything in it fails, record by record (retried, dead-lettered)."""
    if not records:
        return
    try:
        decoded = [Record(tp.topic, tp.partition, record.offset, decode(record.value)) for tp, record in records]
        async with pool.acquire() as conn, conn.transaction():
            await writer.apply_batch(conn, decoded)
    except (UndecodableEvent, Exception):  # noqa: BLE001 - the slow path below retries and dead-letters
        for tp, record in records:
            await applier.apply(tp, record)


def run_rebuild(settings: ProjectionsSettings) -> int:
    from soporte.businesstime import load_calendar
    from soporte.projections.bootstrap import utc_now
    from soporte.ticketrules import load_policies

    # Flushed line by line: piped into a log, print would hold the progress back until the end.
    try:
        return asyncio.run(
            rebuild(settings, load_calendar(), load_policies(), utc_now, out=lambda line: print(line, flush=True))
        )
    except RebuildRefused as exc:
        raise SystemExit(f"rebuild refused: {exc}") from None  # exit status 1, the reason on stderr
