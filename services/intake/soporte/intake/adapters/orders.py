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
_ORDER_COLUMNS = "order_number, customer_id, email, customer_name, items, placed_at"


def _plain(sql: str) -> str:
    """``sql`` as names are compared: lower case, accents and ñ plain ("Pérez" is found as "perez")."""
    return f"translate(lower({sql}), 'áàâäéèêëíìîïóòôöúùûüñç', 'aaaaeeeeiiiioooouuuunc')"


def _like(text: str) -> str:
    """``text`` for a LIKE pattern: its own % and _ match themselves."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _order(row: asyncpg.Record) -> dict[str, Any]:
    return {
        "order_number": row["order_number"],
        "placed_at": row["placed_at"].isoformat(),
        "customer_name": row["customer_name"],
        "email": row["email"],
        "items": json.loads(row["items"]),
    }


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

    async def get(self, order_number: str) -> dict[str, Any] | None:
        """One order as an agent reads it (number, date, customer, items), or None."""
        row = await self.conn.fetchrow(
            f"SELECT {_ORDER_COLUMNS} FROM intake.orders WHERE order_number = $1", order_number.strip()
        )
        return _order(row) if row else None

    async def customers(self, query: str, limit: int = 20) -> list[dict[str, Any]]:
        """The customers an agent looks for by order number, address or (part of a) name, accents aside, each with
        every order they placed (newest first, items listed); customers with the newest orders first."""
        rows = await self.conn.fetch(
            f"""WITH hits AS (
                    SELECT email, max(placed_at) AS newest FROM intake.orders
                     WHERE order_number = $1 OR email = lower($1)
                        OR {_plain("customer_name")} LIKE '%' || {_plain("$2")} || '%'
                     GROUP BY email ORDER BY newest DESC LIMIT $3)
                SELECT {_ORDER_COLUMNS} FROM intake.orders o JOIN hits USING (email)
                 ORDER BY hits.newest DESC, o.email, o.placed_at DESC""",
            query.strip(),
            _like(query.strip()),
            limit,
        )
        found: dict[str, dict[str, Any]] = {}
        for row in rows:
            customer = found.setdefault(
                row["email"],
                {"email": row["email"], "name": row["customer_name"], "customer_id": row["customer_id"], "orders": []},
            )
            customer["orders"].append(_order(row))
        return list(found.values())

    async def of_customer(self, customer_id: str) -> list[dict[str, Any]]:
        rows = await self.conn.fetch(
            f"SELECT {_ORDER_COLUMNS} FROM intake.orders WHERE customer_id = $1 ORDER BY placed_at DESC", customer_id
        )
        return [_order(r) for r in rows]

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
