"""The read-model tables: their names, the rebuild's twins, the swap, the positions, and the generation.

Every table but ``projections.generation`` has a ``_rebuild`` twin that a
rebuild fills while the live ones serve; ``swap_in_rebuilt_tables`` renames
both sets in one transaction and bumps the generation first. A live reader
remembers the generation when it reads its positions and checks it first
thing in each of its transactions (``GenerationGuard``): after a swap it
raises ``ReseekRequired`` and reads on from the new tables' positions, so what
it applied to the old tables past the rebuild's end reaches the new ones too.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg

from soporte.platform.migrations import migrate as apply_service_migrations
from soporte.platform.positions import PostgresPositions, TopicPartitionKey
from soporte.platform.projection import ReseekRequired

SCHEMA = "projections"
MIGRATIONS = Path(__file__).resolve().parents[1] / "migrations"
# Every table a rebuild replaces (``generation`` stays: it tells live readers a swap happened).
REBUILT_TABLES = (
    "tickets",
    "messages",
    "timeline",
    "escalations",
    "first_responses",
    "notifications",
    "sla_facts",
    "backlog_moves",
    "positions",
)


@dataclass(frozen=True)
class Tables:
    """A set of read-model tables: the live ones (no suffix) or a rebuild's twins."""

    suffix: str = ""

    def __getattr__(self, base: str) -> str:
        if base not in REBUILT_TABLES:
            raise AttributeError(base)
        return f"{SCHEMA}.{base}{self.suffix}"


LIVE = Tables("")
REBUILD = Tables("_rebuild")


async def migrate(database_url: str) -> None:
    """Apply the projections' pending migrations."""
    await apply_service_migrations(database_url, "projections", MIGRATIONS)


async def create_pool(database_url: str, max_size: int = 10) -> asyncpg.Pool:
    """A pool on the read models: jsonb columns as Python values, and no prepared-statement cache (a swap
    renames tables, and a cached plan would still point at the old ones)."""
    return await asyncpg.create_pool(
        database_url, min_size=1, max_size=max_size, statement_cache_size=0, init=_decode_jsonb
    )


async def _decode_jsonb(conn: asyncpg.Connection) -> None:
    await conn.set_type_codec("jsonb", encoder=json.dumps, decoder=json.loads, schema="pg_catalog")


async def read_generation(conn: asyncpg.Connection, *, lock: bool = False) -> int:
    return await conn.fetchval(f"SELECT generation FROM {SCHEMA}.generation" + (" FOR SHARE" if lock else ""))


class GenerationGuard:
    """Tells a live reader that a rebuild swapped its tables since it read its positions."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool
        self.known: int | None = None  # the generation the positions were read under

    async def remember(self, conn: asyncpg.Connection) -> None:
        self.known = await read_generation(conn)

    async def check(self, conn: asyncpg.Connection | None = None) -> None:
        """Raise ``ReseekRequired`` if the generation moved. In a transaction it must come first: the row lock
        makes a swap wait for this transaction (and this one for a swap under way) before any table is locked."""
        if self.known is None:
            return
        if conn is None:
            async with self.pool.acquire() as idle:
                current = await read_generation(idle)
        else:
            current = await read_generation(conn, lock=True)
        if current != self.known:
            raise ReseekRequired(f"read models swapped in (generation {self.known} -> {current})")


class LivePositions(PostgresPositions):
    """``projections.positions``, moved only under the generation the reader knows.

    The reader also moves a position on its own when it dead-letters a record;
    checked here, that move cannot land in freshly swapped tables either.
    """

    def __init__(self, guard: GenerationGuard) -> None:
        super().__init__(LIVE.positions)
        self.guard = guard

    async def advance(self, conn: Any, ends: Mapping[TopicPartitionKey, int]) -> None:
        await self.guard.check(conn)
        await super().advance(conn, ends)


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
        await conn.execute(f"UPDATE {SCHEMA}.generation SET generation = generation + 1")
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
