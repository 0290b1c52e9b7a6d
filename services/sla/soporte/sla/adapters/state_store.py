"""PostgreSQL copy of the SLA state: ticket clocks and stream positions, saved together."""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg

from soporte.events.types import SlaClock
from soporte.platform.migrations import apply_migrations

from ..domain.clocks import Clock, TicketClocks

MIGRATIONS = Path(__file__).resolve().parents[1] / "migrations"


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def dump_ticket(ticket: TicketClocks) -> dict[str, Any]:
    """A ticket's clocks as JSON-ready data."""
    return {
        "last_version": ticket.last_version,
        "category": ticket.category,
        "priority": ticket.priority,
        "submitted_at": _iso(ticket.submitted_at),
        "first_response_measured": ticket.first_response_measured,
        "waiting_on_customer": ticket.waiting_on_customer,
        "resolved": ticket.resolved,
        "clocks": [
            {
                "kind": c.kind.value,
                "episode": str(c.episode),
                "target": c.target.total_seconds(),
                "business": c.business,
                "running_since": _iso(c.running_since),
                "elapsed_before": c.elapsed_before.total_seconds(),
                "fired": sorted(c.fired),
            }
            for c in ticket.clocks.values()
        ],
    }


def load_ticket(ticket_id: str, data: dict[str, Any]) -> TicketClocks:
    """The inverse of :func:`dump_ticket`."""
    clocks = {}
    for c in data["clocks"]:
        clock = Clock(
            kind=SlaClock(c["kind"]),
            episode=uuid.UUID(c["episode"]),
            target=timedelta(seconds=c["target"]),
            business=c["business"],
            running_since=_dt(c["running_since"]),
            elapsed_before=timedelta(seconds=c["elapsed_before"]),
            fired=set(c["fired"]),
        )
        clocks[clock.kind] = clock
    return TicketClocks(
        ticket_id=ticket_id,
        last_version=data["last_version"],
        category=data["category"],
        priority=data["priority"],
        submitted_at=_dt(data["submitted_at"]),
        first_response_measured=data["first_response_measured"],
        waiting_on_customer=data["waiting_on_customer"],
        resolved=data["resolved"],
        clocks=clocks,
    )


class SlaStateStore:
    """Loads the saved state at start; saves changed tickets with the positions in one transaction."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    @classmethod
    async def open(cls, dsn: str) -> "SlaStateStore":
        pool = await asyncpg.create_pool(dsn, min_size=1, max_size=2)
        async with pool.acquire() as conn:
            await apply_migrations(conn, "sla", MIGRATIONS)
        return cls(pool)

    async def close(self) -> None:
        await self.pool.close()

    async def load(self, topic: str) -> tuple[list[TicketClocks], dict[int, int]]:
        """Every saved ticket, and the next offset per partition of ``topic``."""
        async with self.pool.acquire() as conn:
            rows = await conn.fetch("SELECT ticket_id, state FROM sla.ticket_clocks")
            positions = await conn.fetch("SELECT partition, next_offset FROM sla.positions WHERE topic = $1", topic)
        tickets = [load_ticket(r["ticket_id"], json.loads(r["state"])) for r in rows]
        return tickets, {r["partition"]: r["next_offset"] for r in positions}

    async def save(self, tickets: list[TicketClocks], topic: str, positions: dict[int, int]) -> None:
        """Upsert ``tickets`` and the positions reached, atomically."""
        if not tickets and not positions:
            return
        async with self.pool.acquire() as conn, conn.transaction():
            await conn.executemany(
                """
                INSERT INTO sla.ticket_clocks (ticket_id, state) VALUES ($1, $2::jsonb)
                ON CONFLICT (ticket_id) DO UPDATE SET state = EXCLUDED.state, updated_at = now()
                """,
                [(t.ticket_id, json.dumps(dump_ticket(t))) for t in tickets],
            )
            await conn.executemany(
                """
                INSERT INTO sla.positions (topic, partition, next_offset) VALUES ($1, $2, $3)
                ON CONFLICT (topic, partition) DO UPDATE SET next_offset = EXCLUDED.next_offset
                """,
                [(topic, partition, offset) for partition, offset in positions.items()],
            )

    async def ping(self) -> None:
        async with self.pool.acquire() as conn:
            await conn.fetchval("SELECT 1")
