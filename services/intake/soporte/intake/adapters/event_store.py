"""The event store and the idempotency records in PostgreSQL, on the connection of one transaction.

``append`` writes a ticket's new events and their outbox rows together, or
nothing: a stale expected version, or a concurrent writer that won the same
version, is a ``ConcurrencyConflict`` (the primary key (ticket_id, version) is
the guard, so two writers can never both get in). The outbox rows are what the
relay publishes (``publish`` queues an event that belongs to no ticket's stream,
an access-link request, with its own key); the NOTIFY wakes it once the transaction commits (a rolled
back transaction notifies nobody). An outcome stored under an idempotency key
lives or dies with the same transaction as its events.
"""

from __future__ import annotations

import json
from datetime import datetime

import asyncpg

from soporte.events import Event, encode, from_dict, to_dict
from soporte.intake.domain.commands import (
    IdempotencyKey,
    IdempotencyKeyReused,
    IdempotencyKeyTaken,
    Outcome,
    outcome_from_data,
    outcome_to_data,
)
from soporte.intake.domain.tickets import ConcurrencyConflict

NOTIFY_CHANNEL = "intake_outbox"  # the relay LISTENs here


class PostgresEventStore:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn

    async def load(self, ticket_id: str) -> list[Event]:
        rows = await self.conn.fetch(
            "SELECT payload FROM intake.events WHERE ticket_id = $1 ORDER BY version", ticket_id
        )
        return [from_dict(json.loads(r["payload"])) for r in rows]

    async def append(self, ticket_id: str, expected_version: int, events: list[Event]) -> None:
        """Append ``events`` (versions expected_version+1…) with their outbox rows, atomically."""
        try:
            # A savepoint inside a unit of work, a transaction of its own on a bare connection.
            async with self.conn.transaction():
                current = await self.conn.fetchval(
                    "SELECT coalesce(max(version), 0) FROM intake.events WHERE ticket_id = $1", ticket_id
                )
                if current != expected_version:
                    raise ConcurrencyConflict(ticket_id, expected_version, current)
                await self.conn.executemany(
                    "INSERT INTO intake.events (ticket_id, version, event_id, type, payload, occurred_at)"
                    " VALUES ($1, $2, $3, $4, $5, $6)",
                    [(ticket_id, e.version, e.event_id, e.type, json.dumps(to_dict(e)), e.occurred_at) for e in events],
                )
                await self.conn.executemany(
                    "INSERT INTO intake.outbox (key, version, payload) VALUES ($1, $2, $3)",
                    [(ticket_id, e.version, encode(e)) for e in events],
                )
                await self.conn.execute(f"NOTIFY {NOTIFY_CHANNEL}")
        except asyncpg.UniqueViolationError as exc:
            # A concurrent writer won the same version between our read and insert.
            raise ConcurrencyConflict(ticket_id, expected_version) from exc

    async def publish(self, key: str, event: Event) -> None:
        """Queue ``event`` (in no ticket's stream) for the relay, keyed by ``key``, with this transaction."""
        await self.conn.execute("INSERT INTO intake.outbox (key, payload) VALUES ($1, $2)", key, encode(event))
        await self.conn.execute(f"NOTIFY {NOTIFY_CHANNEL}")

    async def unpublished_since(self) -> datetime | None:
        """When the oldest ticket event still waiting in the outbox occurred (the partial index finds the rows)."""
        return await self.conn.fetchval(
            """SELECT min(e.occurred_at) FROM intake.outbox o
               JOIN intake.events e ON e.ticket_id = o.key AND e.version = o.version
               WHERE o.published_at IS NULL"""
        )

    async def references_file(self, sha256: str) -> bool:
        """Whether any committed event refers to the file, as an attachment or a return label (then it must stay)."""
        return bool(
            await self.conn.fetchval(
                """SELECT EXISTS (SELECT 1 FROM intake.events
                                  WHERE payload->'data'->'attachments' @> $1::jsonb
                                     OR payload->'data'->'label' @> $2::jsonb)""",
                json.dumps([{"sha256": sha256}]),
                json.dumps({"sha256": sha256}),
            )
        )


class PostgresOutcomes:
    """The outcome of each command sent with an idempotency key, per caller, with what the key was sent with."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn

    async def get(self, key: IdempotencyKey) -> Outcome | None:
        row = await self.conn.fetchrow(
            "SELECT outcome, request FROM intake.idempotency WHERE principal = $1 AND key = $2", key.caller, key.key
        )
        if row is None:
            return None
        if None not in (row["request"], key.request) and row["request"] != key.request:
            raise IdempotencyKeyReused(key.key)
        return outcome_from_data(json.loads(row["outcome"]))

    async def add(self, key: IdempotencyKey, outcome: Outcome) -> None:
        try:
            await self.conn.execute(
                "INSERT INTO intake.idempotency (principal, key, outcome, request) VALUES ($1, $2, $3, $4)",
                key.caller,
                key.key,
                json.dumps(outcome_to_data(outcome)),
                key.request,
            )
        except asyncpg.UniqueViolationError as exc:
            raise IdempotencyKeyTaken(key.key) from exc
