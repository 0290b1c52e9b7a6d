"""The event store in PostgreSQL: append with an expected version, outbox and idempotency in the same transaction."""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass
from typing import Any

import asyncpg

from soporte.events import Event, encode, from_dict, to_dict


class ConcurrencyConflict(Exception):
    """Someone appended to the ticket since its state was read: the caller gets 409, nothing is merged."""

    def __init__(self, ticket_id: str, expected: int, actual: int | None = None) -> None:
        super().__init__(
            f"ticket {ticket_id} is at version {actual if actual is not None else 'newer'}, not {expected}"
        )
        self.ticket_id, self.expected, self.actual = ticket_id, expected, actual


@dataclass(frozen=True)
class StoredResponse:
    status: int
    body: dict[str, Any]


class EventStore:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def load(self, ticket_id: str) -> list[Event]:
        rows = await self.pool.fetch(
            "SELECT payload FROM intake.events WHERE ticket_id = $1 ORDER BY version", ticket_id
        )
        return [from_dict(json.loads(r["payload"])) for r in rows]

    async def append(
        self,
        ticket_id: str,
        expected_version: int,
        events: list[Event],
        *,
        idempotency: tuple[str, str] | None = None,
        response: StoredResponse | None = None,
    ) -> None:
        """Append ``events`` (versions expected_version+1…) with their outbox rows, atomically."""
        try:
            async with self.pool.acquire() as conn, conn.transaction():
                current = await conn.fetchval(
                    "SELECT coalesce(max(version), 0) FROM intake.events WHERE ticket_id = $1", ticket_id
                )
                if current != expected_version:
                    raise ConcurrencyConflict(ticket_id, expected_version, current)
                for event in events:
                    await conn.execute(
                        "INSERT INTO intake.events (ticket_id, version, event_id, type, payload, occurred_at)"
                        " VALUES ($1, $2, $3, $4, $5, $6)",
                        ticket_id,
                        event.version,
                        event.event_id,
                        event.type,
                        json.dumps(to_dict(event)),
                        event.occurred_at,
                    )
                    await conn.execute(
                        "INSERT INTO intake.outbox (ticket_id, version, payload) VALUES ($1, $2, $3)",
                        ticket_id,
                        event.version,
                        encode(event),
                    )
                if idempotency and response:
                    await conn.execute(
                        "INSERT INTO intake.idempotency (principal, key, status, response) VALUES ($1, $2, $3, $4)",
                        idempotency[0],
                        idempotency[1],
                        response.status,
                        json.dumps(response.body),
                    )
                await conn.execute("NOTIFY intake_outbox")
        except asyncpg.UniqueViolationError as exc:
            # A concurrent writer won the same version (or the same idempotency key) between our read and insert.
            raise ConcurrencyConflict(ticket_id, expected_version) from exc

    async def references_file(self, sha256: str) -> bool:
        """Whether any committed event refers to the file (then it must stay)."""
        return bool(
            await self.pool.fetchval(
                "SELECT EXISTS (SELECT 1 FROM intake.events WHERE payload->'data'->'attachments' @> $1::jsonb)",
                json.dumps([{"sha256": sha256}]),
            )
        )

    async def stored_response(self, principal: str, key: str) -> StoredResponse | None:
        row = await self.pool.fetchrow(
            "SELECT status, response FROM intake.idempotency WHERE principal = $1 AND key = $2", principal, key
        )
        return StoredResponse(row["status"], json.loads(row["response"])) if row else None


class Orders:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def upsert(self, conn, order) -> None:
        await conn.execute(
            """INSERT INTO intake.orders (order_number, customer_id, email, customer_name, items, placed_at)
               VALUES ($1, $2, $3, $4, $5, $6)
               ON CONFLICT (order_number) DO UPDATE SET customer_id = EXCLUDED.customer_id, email = EXCLUDED.email,
                   customer_name = EXCLUDED.customer_name, items = EXCLUDED.items, placed_at = EXCLUDED.placed_at""",
            order.order_number,
            order.customer_id,
            str(order.email).lower(),
            order.customer_name,
            json.dumps([i.model_dump() for i in order.items]),
            order.placed_at,
        )

    async def matches(self, email: str, order_number: str) -> bool:
        return bool(
            await self.pool.fetchval(
                "SELECT 1 FROM intake.orders WHERE order_number = $1 AND email = $2",
                order_number.strip(),
                email.strip().lower(),
            )
        )

    async def of_customer(self, customer_id: str) -> list[dict[str, Any]]:
        rows = await self.pool.fetch(
            "SELECT order_number, placed_at, items FROM intake.orders WHERE customer_id = $1 ORDER BY placed_at DESC",
            customer_id,
        )
        return [
            {
                "order_number": r["order_number"],
                "placed_at": r["placed_at"].isoformat(),
                "items": json.loads(r["items"]),
            }
            for r in rows
        ]

    async def customer_of(self, order_number: str, email: str) -> str | None:
        """The shop customer id of a known order placed with ``email`` (None for guests and unknown orders)."""
        return await self.pool.fetchval(
            "SELECT customer_id FROM intake.orders WHERE order_number = $1 AND email = $2",
            order_number.strip(),
            email.strip().lower(),
        )

    async def belongs_to(self, order_number: str, customer_id: str) -> bool:
        return bool(
            await self.pool.fetchval(
                "SELECT 1 FROM intake.orders WHERE order_number = $1 AND customer_id = $2", order_number, customer_id
            )
        )


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class Agent:
    agent_id: str
    name: str
    email: str


class Agents:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def create(self, name: str, email: str) -> tuple[Agent, str]:
        """A new agent and its API token (shown once; only its hash is stored)."""
        token = "sp_agent_" + secrets.token_urlsafe(32)
        agent = Agent("agent-" + secrets.token_hex(6), name, email.lower())
        await self.pool.execute(
            "INSERT INTO intake.agents (agent_id, name, email, token_sha256) VALUES ($1, $2, $3, $4)",
            agent.agent_id,
            agent.name,
            agent.email,
            hash_token(token),
        )
        return agent, token

    async def by_token(self, token: str) -> Agent | None:
        row = await self.pool.fetchrow(
            "SELECT agent_id, name, email FROM intake.agents WHERE token_sha256 = $1", hash_token(token)
        )
        return Agent(row["agent_id"], row["name"], row["email"]) if row else None

    async def get(self, agent_id: str) -> Agent | None:
        row = await self.pool.fetchrow("SELECT agent_id, name, email FROM intake.agents WHERE agent_id = $1", agent_id)
        return Agent(row["agent_id"], row["name"], row["email"]) if row else None
