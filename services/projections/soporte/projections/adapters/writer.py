"""The projection the tracked reader runs: a fetch's records folded into one set of tables in one transaction.

``TrackedReader`` (``soporte.platform.reader``) owns the loop, the positions,
retries and dead letters, and commits the position after the last record in
the same transaction as what ``handle_batch`` writes here. The live reader and
the rebuild run this same projection on different tables; only the live
one has a ``GenerationGuard``, checked first in each transaction, on seeking
and when idle, so a rebuild's swap makes it read on from the new tables.

Tickets are read once per batch (locked, in id order) and folded in memory by
``ReadModelFold``: a handful of statements per fetch, whatever its size.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any, Protocol

import asyncpg

from soporte.events import Event
from soporte.projections.adapters.rows import (
    TICKET_COLUMNS,
    columns_of,
    from_record,
    row_of,
    stored_ticket_from_record,
    ticket_row,
)
from soporte.projections.adapters.tables import GenerationGuard, Tables
from soporte.projections.domain.projection import Changes, StoredTicket, fold, tickets_touched
from soporte.projections.domain.sla_facts import SlaFact
from soporte.projections.domain.tickets import Escalation
from soporte.ticketrules import SlaRules

# The stored rows of a batch's tickets, and each ticket's escalations: what the fold starts from.
Loaded = tuple[dict[str, StoredTicket], dict[str, list[Escalation]]]
NAME = "projections"  # names the reader's metrics (soporte_projections_*), logs and dead letters


def _insert(table: str, columns: Sequence[str], conflict: str) -> str:
    placeholders = ", ".join(f"${i}" for i in range(1, len(columns) + 1))
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({placeholders}) ON CONFLICT {conflict}"


class ReadModelStore(Protocol):
    """Where the fold's rows live: the PostgreSQL tables here, a dict in unit tests."""

    async def load(self, conn: Any, ticket_ids: set[str]) -> Loaded:
        """The stored rows of ``ticket_ids`` (locked until the transaction ends) and their escalations."""
        ...

    async def write(self, conn: Any, changes: Changes) -> None:
        """``changes``, in ``conn``'s transaction; rows already there (same key) are left alone, tickets replaced."""
        ...


class ReadModelProjection:
    """Applies decoded events to the read models inside the reader's transaction."""

    name = NAME

    def __init__(self, store: ReadModelStore, rules: SlaRules, *, generation: GenerationGuard | None = None) -> None:
        self.store, self.rules, self.generation = store, rules, generation

    async def on_seek(self, conn: Any) -> None:
        if self.generation is not None:
            await self.generation.remember(conn)

    async def on_idle(self) -> None:
        # Checked when nothing comes too: what this reader applied to the old tables past the rebuild's end
        # offsets is missing from the new ones until it reads again from their positions.
        if self.generation is not None:
            await self.generation.check()

    async def handle(self, conn: Any, event: Event, record: Any) -> None:
        await self.handle_batch(conn, [(event, record)])

    async def handle_batch(self, conn: Any, items: Sequence[tuple[Event, Any]]) -> None:
        """Fold the records' events (in order) into the read models: the same fold for one record or a whole fetch."""
        if self.generation is not None:
            await self.generation.check(conn)
        events = [event for event, _ in items]
        tickets, escalations = await self.store.load(conn, tickets_touched(events))
        await self.store.write(conn, fold(self.rules, tickets, escalations, events))


class TableStore:
    """The read models in one set of PostgreSQL tables (the live ones, or a rebuild's twins)."""

    def __init__(self, tables: Tables) -> None:
        self.tables = tables

    async def load(self, conn: asyncpg.Connection, ticket_ids: set[str]) -> Loaded:
        # Locked in id order: two writers never wait on each other in a cycle.
        ids = sorted(ticket_ids)
        if not ids:
            return {}, {}
        rows = await conn.fetch(
            f"SELECT * FROM {self.tables.tickets} WHERE ticket_id = ANY($1::text[]) ORDER BY ticket_id FOR UPDATE", ids
        )
        facts = {
            row["ticket_id"]: from_record(SlaFact, row)
            for row in await conn.fetch(f"SELECT * FROM {self.tables.sla_facts} WHERE ticket_id = ANY($1::text[])", ids)
        }
        tickets = {
            row["ticket_id"]: replace(stored_ticket_from_record(row), facts=facts.get(row["ticket_id"])) for row in rows
        }
        escalations: dict[str, list[Escalation]] = {}
        for row in await conn.fetch(f"SELECT * FROM {self.tables.escalations} WHERE ticket_id = ANY($1::text[])", ids):
            escalations.setdefault(row["ticket_id"], []).append(from_record(Escalation, row))
        return tickets, escalations

    async def write(self, conn: asyncpg.Connection, changes: Changes) -> None:
        tb = self.tables
        inserts = [
            (tb.timeline, "(ticket_id, version)", changes.timeline),
            (tb.messages, "(ticket_id, version)", changes.messages),
            (tb.escalations, "(event_id)", changes.escalations),
            (tb.first_responses, "(ticket_id)", changes.first_responses),
            (tb.notifications, "(event_id)", changes.notifications),
        ]
        for table, key, items in inserts:
            if items:
                sql = _insert(table, columns_of(type(items[0])), f"{key} DO NOTHING")
                await conn.executemany(sql, [row_of(item) for item in items])
        if changes.tickets:
            updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in TICKET_COLUMNS if c != "ticket_id")
            sql = _insert(tb.tickets, TICKET_COLUMNS, f"(ticket_id) DO UPDATE SET {updates}")
            await conn.executemany(sql, [ticket_row(stored) for stored in changes.tickets])
            facts = [stored.facts for stored in changes.tickets if stored.facts is not None]
            if facts:
                columns = columns_of(SlaFact)
                updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in columns if c != "ticket_id")
                sql = _insert(tb.sla_facts, columns, f"(ticket_id) DO UPDATE SET {updates}")
                await conn.executemany(sql, [row_of(fact) for fact in facts])
        if changes.backlog:
            # Added to what is there: the fold applies each ticket version once, in this transaction. The rows
            # come in key order, so two writers lock them in the same order.
            sql = _insert(f"{tb.backlog_moves} AS b", ("day", "category", "status", "moved"), "(day, category, status)")
            await conn.executemany(
                f"{sql} DO UPDATE SET moved = b.moved + EXCLUDED.moved", [row_of(move) for move in changes.backlog]
            )
            # A key back at zero is no row, as when the same moves come in one batch (a rebuild's tables are equal).
            days = sorted({move.day for move in changes.backlog})
            await conn.execute(f"DELETE FROM {tb.backlog_moves} WHERE moved = 0 AND day = ANY($1::date[])", days)
