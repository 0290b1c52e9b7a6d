"""The read models after a round against a fresh rebuild of them: projections' own projection, replayed into an
empty database up to the very positions the live tables were at.

The live tables and their positions are read in one snapshot (the reader commits a record's effect with its
position), so whatever arrives meanwhile changes nothing; the rebuild reads the same records up to those
positions. Equal dumps, row for row, mean the live models lost nothing and doubled nothing through the faults.
"""

from __future__ import annotations

import uuid
from collections import Counter

import asyncpg
from aiokafka import TopicPartition

from soporte.platform.clock import utc_now
from soporte.platform.kafka import make_producer
from soporte.platform.positions import PostgresPositions
from soporte.platform.projection import ReaderSettings, transaction_on
from soporte.platform.reader import TrackedReader
from soporte.projections.adapters.tables import LIVE, REBUILT_TABLES, create_pool, migrate
from soporte.projections.adapters.writer import ReadModelProjection, TableStore
from soporte.projections.reading import source_topics
from tests.support.isolation import create_database, drop_database

from .desk import ChaosDesk


async def dump(conn: asyncpg.Connection) -> dict[str, list[str]]:
    """Every read-model row in PostgreSQL's text form, sorted."""
    return {
        table: [r[0] for r in await conn.fetch(f"SELECT x::text FROM projections.{table} x ORDER BY 1")]
        for table in REBUILT_TABLES
    }


async def read_models_rebuilt(desk: ChaosDesk, db: asyncpg.Connection, counts: Counter) -> list[str]:
    async with db.transaction(isolation="repeatable_read", readonly=True):
        live = await dump(db)
        ends = {
            TopicPartition(r["topic"], r["partition"]): r["next_offset"]
            for r in await db.fetch("SELECT topic, partition, next_offset FROM projections.positions")
        }
    fresh_dsn = await create_database(desk.stack.database_url)
    try:
        rebuilt = await _replayed(desk, fresh_dsn, ends)
    finally:
        await drop_database(desk.stack.database_url, fresh_dsn)
    problems, counts["read-model rows compared"] = [], sum(len(rows) for rows in live.values())
    for table in REBUILT_TABLES:
        missing, extra = sorted(set(rebuilt[table]) - set(live[table])), sorted(set(live[table]) - set(rebuilt[table]))
        problems += [f"projections.{table} lacks {row[:300]}" for row in missing[:5]]
        problems += [f"projections.{table} has more than a rebuild: {row[:300]}" for row in extra[:5]]
        if not missing and not extra and rebuilt[table] != live[table]:
            problems.append(f"projections.{table} holds a row twice")
    return problems


async def _replayed(desk: ChaosDesk, dsn: str, ends: dict[TopicPartition, int]) -> dict[str, list[str]]:
    await migrate(dsn)
    pool = await create_pool(dsn, max_size=2)
    producer = make_producer(desk.stack.kafka_bootstrap, client_id=f"chaos-rebuild-{uuid.uuid4().hex[:6]}")
    await producer.start()
    try:
        settings = ReaderSettings(
            bootstrap=desk.stack.kafka_bootstrap,
            topics=source_topics(""),
            dead_letter_topic=f"chaos-rebuild-dead-letters-{uuid.uuid4().hex[:6]}",  # nothing of the desk's
        )
        reader = TrackedReader(
            ReadModelProjection(TableStore(LIVE), desk.rules()),
            PostgresPositions(LIVE.positions),
            transaction_on(pool),
            producer,
            settings,
            now=utc_now,
        )
        await reader.replay([tp for tp, end in ends.items() if end > 0], ends, lambda _: None)
        async with pool.acquire() as conn:
            return await dump(conn)
    finally:
        await producer.stop()
        await pool.close()
