"""Keeps the orders the desk knows in step with ``shop.orders.v1``.

Each record's effect (the order row) and the position after it are written in one
transaction, so a redelivery changes nothing. A record that cannot be decoded, or
whose storing keeps failing, goes to the dead-letter topic before the position
moves past it: nothing is logged and dropped.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime

import asyncpg
import structlog
from aiokafka import ConsumerRebalanceListener, TopicPartition

from soporte.events import (
    DEAD_LETTERS,
    SHOP_ORDERS,
    Actor,
    ActorKind,
    UndecodableEvent,
    decode,
    deterministic_id,
    encode,
)
from soporte.events import types as t
from soporte.intake.adapters.store import Orders
from soporte.platform.kafka import ensure_topics, make_consumer, make_producer

log = structlog.get_logger(__name__)

CONSUMER_NAME = "intake-orders"
# The database being away is no fault of the record: these are waited out (the consumer restarts from
# its stored position), never dead-lettered. Anything else is retried a few times, then dead-lettered.
UNAVAILABLE = (
    OSError,
    TimeoutError,
    asyncpg.InterfaceError,
    asyncpg.PostgresConnectionError,
    asyncpg.OperatorInterventionError,
    asyncpg.InsufficientResourcesError,
    asyncpg.TooManyConnectionsError,
)
RECORD_ATTEMPTS = 4
SYSTEM = Actor(kind=ActorKind.SYSTEM, id=CONSUMER_NAME)


class _FromStoredPositions(ConsumerRebalanceListener):
    """Start each assigned partition where our own table says, not where Kafka's group offsets say."""

    def __init__(self, consumer, pool, next_offsets: dict[tuple[str, int], int]) -> None:
        self.consumer, self.pool, self.next_offsets = consumer, pool, next_offsets

    async def on_partitions_revoked(self, revoked) -> None:
        return None

    async def on_partitions_assigned(self, assigned) -> None:
        rows = await self.pool.fetch("SELECT topic, partition, next_offset FROM intake.positions")
        stored = {(r["topic"], r["partition"]): r["next_offset"] for r in rows}
        self.next_offsets.update(stored)
        for tp in assigned:
            if (tp.topic, tp.partition) in stored:
                self.consumer.seek(tp, stored[(tp.topic, tp.partition)])
            else:
                await self.consumer.seek_to_beginning(tp)


class OrdersConsumer:
    """Reads ``OrderPlaced`` into ``intake.orders``; retries, then dead-letters what it cannot store."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        bootstrap: str,
        prefix: str,
        group_id: str,
        *,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        retry_base_seconds: float = 0.2,
    ) -> None:
        self.pool, self.bootstrap, self.prefix, self.group_id = pool, bootstrap, prefix, group_id
        self.topic, self.dead_letter_topic = SHOP_ORDERS.name(prefix), DEAD_LETTERS.name(prefix)
        self.orders, self.now, self.retry_base_seconds = Orders(pool), now, retry_base_seconds
        self.producer = None
        # What the table says comes next per (topic, partition): a fetch that raced the seek is skipped, not redone.
        self.next_offsets: dict[tuple[str, int], int] = {}

    async def run(self, stop: asyncio.Event) -> None:
        """Consume until ``stop``; a broker that is not there yet is waited for, not fatal."""
        while not stop.is_set():
            try:
                await self._consume(stop)
            except Exception as exc:  # noqa: BLE001 - the stored position keeps the work; start over
                log.warning("orders consumer failed, restarting", error=str(exc))
                try:
                    await asyncio.wait_for(stop.wait(), timeout=2)
                except TimeoutError:
                    pass

    async def _consume(self, stop: asyncio.Event) -> None:
        await ensure_topics(self.bootstrap, [SHOP_ORDERS, DEAD_LETTERS], self.prefix)
        consumer = make_consumer(self.bootstrap, group_id=self.group_id)
        consumer.subscribe([self.topic], listener=_FromStoredPositions(consumer, self.pool, self.next_offsets))
        self.producer = make_producer(self.bootstrap, client_id=CONSUMER_NAME)
        try:
            await self.producer.start()
            await consumer.start()
            log.info("orders consumer started", topic=self.topic)
            while not stop.is_set():
                for tp, records in (await consumer.getmany(timeout_ms=300)).items():
                    for record in records:
                        await self.handle(tp, record)
        finally:
            await consumer.stop()
            await self.producer.stop()

    async def handle(self, tp: TopicPartition, record) -> None:
        """One record: stored with its position, or dead-lettered and then passed."""
        if record.offset < self.next_offsets.get((tp.topic, tp.partition), 0):
            return  # already stored or dead-lettered before this start
        try:
            event = decode(record.value)
        except UndecodableEvent as exc:
            await self._dead_letter(tp, record, f"undecodable: {exc}", attempts=1)
            return
        for attempt in range(1, RECORD_ATTEMPTS + 1):
            try:
                async with self.pool.acquire() as conn, conn.transaction():
                    if isinstance(event, t.OrderPlaced):
                        await self.orders.upsert(conn, event.data)
                    await self._advance(conn, tp, record.offset)
                self._passed(tp, record.offset)
                return
            except UNAVAILABLE:
                raise
            except (asyncpg.PostgresError, ValueError) as exc:
                log.warning("storing an order failed", offset=record.offset, attempt=attempt, error=str(exc))
                if attempt == RECORD_ATTEMPTS:
                    await self._dead_letter(tp, record, f"{exc.__class__.__name__}: {exc}", attempts=attempt)
                    return
                await asyncio.sleep(self.retry_base_seconds * 2**attempt)

    async def _dead_letter(self, tp: TopicPartition, record, reason: str, attempts: int) -> None:
        letter = t.DeadLettered.for_record(
            record,
            consumer=CONSUMER_NAME,
            reason=reason,
            attempts=attempts,
            actor=SYSTEM,
            occurred_at=self.now(),
            event_id=deterministic_id(CONSUMER_NAME, "dead-letter", tp.topic, tp.partition, record.offset),
        )
        await self.producer.send_and_wait(self.dead_letter_topic, encode(letter), key=record.key)
        log.warning("order record dead-lettered", topic=tp.topic, offset=record.offset, reason=reason)
        # The position moves on only once the letter is safely on the dead-letter topic.
        async with self.pool.acquire() as conn, conn.transaction():
            await self._advance(conn, tp, record.offset)
        self._passed(tp, record.offset)

    def _passed(self, tp: TopicPartition, offset: int) -> None:
        """Called once the new position is committed."""
        key = (tp.topic, tp.partition)
        self.next_offsets[key] = max(self.next_offsets.get(key, 0), offset + 1)

    @staticmethod
    async def _advance(conn, tp: TopicPartition, offset: int) -> None:
        await conn.execute(
            """INSERT INTO intake.positions VALUES ($1, $2, $3) ON CONFLICT (topic, partition)
               DO UPDATE SET next_offset = GREATEST(intake.positions.next_offset, EXCLUDED.next_offset)""",
            tp.topic,
            tp.partition,
            offset + 1,
        )
