"""Where a reader stands in each Kafka partition, stored with the reader's own effects.

A position is the next offset to read. It is only ever written inside the same
transaction as the effect of the records before it, and only moves forward
(``GREATEST``), so a redelivered or replayed record finds its position passed
and changes nothing. Each service keeps its own table (``<schema>.positions``);
this module is the one place that creates, reads and advances them.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any, Protocol

TopicPartitionKey = tuple[str, int]  # (topic, partition)


class Positions(Protocol):
    """The positions port: a PostgreSQL table in production, a dict in unit tests."""

    async def load(self, conn: Any, topics: Collection[str]) -> dict[TopicPartitionKey, int]:
        """The stored next offset of every partition of ``topics`` that has one."""
        ...

    async def advance(self, conn: Any, ends: Mapping[TopicPartitionKey, int]) -> None:
        """Move each partition's position forward to its end (never backwards), in ``conn``'s transaction."""
        ...


class PostgresPositions:
    """A ``(topic, partition, next_offset)`` table, e.g. ``intake.positions``."""

    def __init__(self, table: str) -> None:
        self.table = table

    async def ensure(self, conn: Any) -> None:
        """Create the table if it is not there (idempotent; services' migrations may have made it already)."""
        await conn.execute(
            f"""CREATE TABLE IF NOT EXISTS {self.table} (
                    topic       text    NOT NULL,
                    partition   integer NOT NULL,
                    next_offset bigint  NOT NULL,
                    PRIMARY KEY (topic, partition))"""
        )

    async def load(self, conn: Any, topics: Collection[str]) -> dict[TopicPartitionKey, int]:
        rows = await conn.fetch(
            f"SELECT topic, partition, next_offset FROM {self.table} WHERE topic = ANY($1::text[])", list(topics)
        )
        return {(r["topic"], r["partition"]): r["next_offset"] for r in rows}

    async def advance(self, conn: Any, ends: Mapping[TopicPartitionKey, int]) -> None:
        if not ends:
            return
        await conn.executemany(
            f"""INSERT INTO {self.table} AS p (topic, partition, next_offset) VALUES ($1, $2, $3)
                ON CONFLICT (topic, partition) DO UPDATE
                SET next_offset = GREATEST(p.next_offset, EXCLUDED.next_offset)""",
            [(topic, partition, end) for (topic, partition), end in sorted(ends.items())],
        )


class MemoryPositions:
    """Positions in a dict, for unit tests of the service layer (no transaction: writes apply at once)."""

    def __init__(self) -> None:
        self.next_offsets: dict[TopicPartitionKey, int] = {}

    async def load(self, conn: Any, topics: Collection[str]) -> dict[TopicPartitionKey, int]:
        return {key: offset for key, offset in self.next_offsets.items() if key[0] in topics}

    async def advance(self, conn: Any, ends: Mapping[TopicPartitionKey, int]) -> None:
        for key, end in ends.items():
            self.next_offsets[key] = max(self.next_offsets.get(key, 0), end)
