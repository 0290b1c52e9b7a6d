"""The attempts the limits count, in PostgreSQL: one budget for every intake process.

``since`` takes a transaction-scoped advisory lock per key (in key order, so two
requests never wait on each other in a cycle) before it counts: two processes
checking the same email, order or client one after the other, each counts the
other's attempt. The keys are hashes (``Budget.key``): no address is stored.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

import asyncpg

from soporte.intake.domain.access import AttemptKey

KEEP = timedelta(days=1)  # longer than any budget's window: older attempts count for nothing


class PostgresAttempts:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn  # a unit of work's, in its transaction

    async def since(self, keys: Iterable[AttemptKey], since: datetime) -> dict[AttemptKey, list[datetime]]:
        """The attempts of each key after ``since``; the keys stay locked until the transaction ends."""
        counted: dict[AttemptKey, list[datetime]] = {}
        for key in sorted(set(keys)):
            lock = f"{key.scope}:{key.digest}"
            await self.conn.execute("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", lock)
            rows = await self.conn.fetch(
                "SELECT at FROM intake.attempts WHERE scope = $1 AND key = $2 AND at > $3 ORDER BY at",
                key.scope,
                key.digest,
                since,
            )
            counted[key] = [r["at"] for r in rows]
        return counted

    async def add(self, keys: Iterable[AttemptKey], at: datetime) -> None:
        await self.conn.executemany(
            "INSERT INTO intake.attempts (scope, key, at) VALUES ($1, $2, $3)", [(k.scope, k.digest, at) for k in keys]
        )
        await self.conn.execute("DELETE FROM intake.attempts WHERE at < $1", at - KEEP)
