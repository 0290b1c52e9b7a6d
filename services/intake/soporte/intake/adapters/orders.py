"""The shop's orders the desk knows (from ``shop.orders.v1`` or a CSV import), in PostgreSQL.

Written by upsert on the order number, so an order delivered twice, or imported
again, is stored once with its latest data. Works on a pool (reads) or on the
connection of a transaction (writes with a reader's position, a unit of work).
"""

from __future__ import annotations

import json
from typing import Any

import asyncpg

from soporte.events import types as t

Connection = asyncpg.Pool | asyncpg.Connection


class PostgresOrders:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    async def upsert(self, order: t.OrderPlacedData) -> None:
        await self.conn.execute(
            """INSERT INTO intake.orders
                   (order_number, customer_id, email, customer_name, items, placed_at, shipping_address)
               VALUES ($1, $2, $3, $4, $5, $6, $7)
               ON CONFLICT (order_number) DO UPDATE SET customer_id = EXCLUDED.customer_id, email = EXCLUDED.email,
                   customer_name = EXCLUDED.customer_name, items = EXCLUDED.items, placed_at = EXCLUDED.placed_at,
                   shipping_address = EXCLUDED.shipping_address""",
            order.order_number,
            order.customer_id,
            str(order.email).lower(),
            order.customer_name,
            json.dumps([i.model_dump() for i in order.items]),
            order.placed_at,
            json.dumps(order.shipping_address) if order.shipping_address else None,
        )

    async def matches(self, email: str, order_number: str) -> bool:
        """Whether a known order was placed with ``email`` (a guest's proof of who they are)."""
        return bool(
            await self.conn.fetchval(
                "SELECT 1 FROM intake.orders WHERE order_number = $1 AND email = $2",
                order_number.strip(),
                email.strip().lower(),
            )
        )

    async def of_customer(self, customer_id: str) -> list[dict[str, Any]]:
        rows = await self.conn.fetch(
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
        return await self.conn.fetchval(
            "SELECT customer_id FROM intake.orders WHERE order_number = $1 AND email = $2",
            order_number.strip(),
            email.strip().lower(),
        )

    async def belongs_to(self, order_number: str, customer_id: str) -> bool:
        return bool(
            await self.conn.fetchval(
                "SELECT 1 FROM intake.orders WHERE order_number = $1 AND customer_id = $2", order_number, customer_id
            )
        )

    async def shipping_address(self, order_number: str) -> tuple[str, ...]:
        """Where the order was shipped, a line each (empty when the shop did not say)."""
        raw = await self.conn.fetchval(
            "SELECT shipping_address FROM intake.orders WHERE order_number = $1", order_number
        )
        return tuple(json.loads(raw)) if raw else ()
