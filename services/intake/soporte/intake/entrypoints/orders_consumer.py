"""Keeps the orders the desk knows in step with ``shop.orders.v1`` (position stored with the rows)."""

from __future__ import annotations

import asyncio

import asyncpg
import structlog
from aiokafka import ConsumerRebalanceListener

from soporte.events import SHOP_ORDERS, UndecodableEvent, decode
from soporte.events import types as t
from soporte.intake.adapters.store import Orders
from soporte.platform.kafka import make_consumer

log = structlog.get_logger(__name__)


class _FromStoredPositions(ConsumerRebalanceListener):
    def __init__(self, consumer, pool) -> None:
        self.consumer, self.pool = consumer, pool

    async def on_partitions_revoked(self, revoked) -> None:
        return None

    async def on_partitions_assigned(self, assigned) -> None:
        rows = await self.pool.fetch("SELECT topic, partition, next_offset FROM intake.positions")
        stored = {(r["topic"], r["partition"]): r["next_offset"] for r in rows}
        for tp in assigned:
            if (tp.topic, tp.partition) in stored:
                self.consumer.seek(tp, stored[(tp.topic, tp.partition)])
            else:
                await self.consumer.seek_to_beginning(tp)


async def consume_orders(pool: asyncpg.Pool, bootstrap: str, prefix: str, group_id: str, stop: asyncio.Event) -> None:
    topic = SHOP_ORDERS.name(prefix)
    orders = Orders(pool)
    consumer = make_consumer(bootstrap, group_id=group_id)
    consumer.subscribe([topic], listener=_FromStoredPositions(consumer, pool))
    await consumer.start()
    try:
        while not stop.is_set():
            for tp, records in (await consumer.getmany(timeout_ms=300)).items():
                for record in records:
                    try:
                        event = decode(record.value)
                    except UndecodableEvent as exc:
                        event = None
                        log.warning("undecodable order skipped to the position after it", offset=record.offset, error=str(exc))
                    async with pool.acquire() as conn, conn.transaction():
                        if isinstance(event, t.OrderPlaced):
                            await orders.upsert(conn, event.data)
                        await conn.execute(
                            """INSERT INTO intake.positions VALUES ($1, $2, $3) ON CONFLICT (topic, partition)
                               DO UPDATE SET next_offset = GREATEST(intake.positions.next_offset, EXCLUDED.next_offset)""",
                            tp.topic, tp.partition, record.offset + 1,
                        )
    finally:
        await consumer.stop()
