"""The outbox relay: publishes committed events to Kafka with their key (the ticket's id), then flags them published.

A crash between commit and publish loses nothing (the rows stay unpublished); a
crash between publish and flag publishes again (readers dedupe by ticket+version).
Rows are drained by "not yet published" under ``FOR UPDATE SKIP LOCKED``, never by
"id > last seen": a bigserial is not commit order. One relay drains at a time (a
transaction-scoped advisory lock), so with several relays running a ticket's
events still reach Kafka in version order. A batch is marked attempted (committed)
before it is sent; marked rows found unpublished are looked for at the end of their
partitions first (``relay_recovery``), so a relay killed between publishing and
flagging makes no duplicate either: every event is on Kafka once. Woken by NOTIFY, with a poll behind it
because a LISTEN connection does not survive a PostgreSQL restart (asyncpg #421, #447).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import asyncpg
import structlog
from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError, OutOfOrderSequenceNumber
from prometheus_client import CollectorRegistry, Counter, Gauge

from soporte.events import TICKET_EVENTS
from soporte.platform.kafka import ensure_topics, make_producer
from soporte.platform.lifecycle import sleep_unless

from .event_store import NOTIFY_CHANNEL
from .relay_recovery import already_published

log = structlog.get_logger(__name__)

# The pg_advisory_xact_lock key that stands for "draining the intake outbox" (any fixed bigint would do).
DRAIN_LOCK = 48_073_101


class OutboxRelay:
    def __init__(
        self,
        pool: asyncpg.Pool,
        bootstrap: str,
        prefix: str,
        registry: CollectorRegistry,
        *,
        batch: int = 200,
        poll_seconds: float = 1.0,
        producer_factory: Callable[..., AIOKafkaProducer] = make_producer,
    ):
        self.pool, self.bootstrap, self.prefix, self.topic = pool, bootstrap, prefix, TICKET_EVENTS.name(prefix)
        self.producer_factory = producer_factory
        self.batch, self.poll_seconds = batch, poll_seconds
        self.wake = asyncio.Event()
        self.published = Counter("soporte_outbox_published_total", "Events published to Kafka", registry=registry)
        self.lag = Gauge(
            "soporte_outbox_lag_seconds", "Age of the oldest unpublished event (publication lag)", registry=registry
        )
        self.pending = Gauge("soporte_outbox_pending", "Events in the outbox not yet on Kafka", registry=registry)
        self.recovered = Counter(
            "soporte_outbox_recovered_total",
            "Events found on Kafka already after a relay died between sending and flagging them",
            registry=registry,
        )
        self.recreated = Counter(
            "soporte_outbox_producer_recreated_total", "Producers replaced after a stuck sequence", registry=registry
        )
        self.producer = None

    async def _new_producer(self) -> None:
        await self._drop_producer()
        producer = self.producer_factory(self.bootstrap, client_id="soporte-intake-relay")
        try:
            await producer.start()
        except BaseException:
            await producer.stop()
            raise
        self.producer = producer

    async def publish_once(self) -> int:
        """Publish one batch of unpublished rows in id order (per ticket that is version order).

        Returns how many rows were published; 0 also when another relay holds the drain lock.
        """
        async with self.pool.acquire() as conn, conn.transaction():
            if not await conn.fetchval("SELECT pg_try_advisory_xact_lock($1)", DRAIN_LOCK):
                await self.measure_lag(conn)  # standing by: the figure still tells how far behind publication is
                return 0
            rows = await conn.fetch(
                """SELECT id, key, payload FROM intake.outbox
                   WHERE published_at IS NULL ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED""",
                self.batch,
            )
            if not rows:
                self.lag.set(0.0)
                self.pending.set(0)
                return 0
            ids = [r["id"] for r in rows]
            there = await self._published_before(conn, rows)
            unsent = [r for r in rows if r["id"] not in there]
            # Marked before sending, on another connection so the mark stays if this process dies meanwhile.
            await self.pool.execute(
                "INSERT INTO intake.outbox_attempts (id) SELECT unnest($1::bigint[]) ON CONFLICT DO NOTHING",
                [r["id"] for r in unsent],
            )
            # Sent in order on one idempotent producer: per key (ticket) the partition keeps this order.
            futures = [await self.producer.send(self.topic, bytes(r["payload"]), key=r["key"].encode()) for r in unsent]
            await asyncio.gather(*futures)  # every send acknowledged by all in-sync replicas
            await conn.execute("UPDATE intake.outbox SET published_at = now() WHERE id = ANY($1)", ids)
            await conn.execute("DELETE FROM intake.outbox_attempts WHERE id = ANY($1)", ids)
            await self.measure_lag(conn)  # what is left after this batch
        self.published.inc(len(unsent))
        return len(rows)

    async def _published_before(self, conn, rows) -> set[int]:
        """Rows of ``rows`` a relay sent before dying (marked attempted, still unpublished) that are on Kafka."""
        marked = {
            r["id"]
            for r in await conn.fetch(
                "SELECT id FROM intake.outbox_attempts WHERE id = ANY($1)", [r["id"] for r in rows]
            )
        }
        if not marked:
            return set()
        maybe = [r for r in rows if r["id"] in marked]
        partitions = await self.producer.partitions_for(self.topic)
        found = await already_published(self.bootstrap, self.topic, partitions, maybe, tail=2 * self.batch)
        log.info("relay recovery: a batch sent before a crash", marked=len(marked), already_on_kafka=len(found))
        self.recovered.inc(len(found))
        return found

    async def run(self, stop: asyncio.Event) -> None:
        """Drain the outbox until ``stop``; Kafka or PostgreSQL being away is waited out, not fatal."""
        listener = None
        try:
            while not stop.is_set():
                try:
                    if self.producer is None:
                        await ensure_topics(self.bootstrap, [TICKET_EVENTS], self.prefix)
                        await self._new_producer()
                        log.info("outbox relay started", topic=self.topic)
                    if listener is None:
                        listener = await self._listen()
                    while await self.publish_once() == self.batch:
                        pass
                except OutOfOrderSequenceNumber:
                    # aiokafka #1017: the idempotent producer can stick; a new one starts a clean sequence.
                    log.warning("producer out of sequence, recreating it")
                    self.recreated.inc()
                    await self._drop_producer()
                    continue
                except (KafkaError, OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError) as exc:
                    log.warning("relay round failed, retrying", error=str(exc))
                    await self._measure_lag_quietly()  # Kafka away: the lag keeps growing, and says so
                    if listener is not None and isinstance(exc, OSError | asyncpg.InterfaceError):
                        listener = await _closed(listener)  # the LISTEN connection may be gone with the server
                    await sleep_unless(stop, 1.0)
                    continue
                try:
                    await asyncio.wait_for(self.wake.wait(), timeout=self.poll_seconds)
                except TimeoutError:
                    pass
                self.wake.clear()
        finally:
            if listener is not None:
                await _closed(listener)
            await self._drop_producer()

    async def measure_lag(self, conn) -> None:
        """Set the publication-lag gauges: the oldest unpublished row's age, and how many rows wait."""
        row = await conn.fetchrow(
            "SELECT extract(epoch FROM now() - min(created_at)) AS age, count(*) AS pending"
            " FROM intake.outbox WHERE published_at IS NULL"
        )
        self.lag.set(float(row["age"] or 0.0))
        self.pending.set(row["pending"])

    async def _measure_lag_quietly(self) -> None:
        try:
            async with self.pool.acquire() as conn:
                await self.measure_lag(conn)
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError):
            pass  # PostgreSQL away too: the gauge keeps its last value

    async def _drop_producer(self) -> None:
        if self.producer is not None:
            try:
                await self.producer.stop()
            except KafkaError as exc:
                log.warning("stopping the producer failed", error=str(exc))
            self.producer = None

    async def _listen(self) -> _Listener | None:
        try:
            conn = await self.pool.acquire()
        except (OSError, asyncpg.PostgresError):
            return None  # the poll still drains the outbox
        listener = _Listener(self.pool, conn, lambda *_: self.wake.set())
        try:
            await conn.add_listener(NOTIFY_CHANNEL, listener.callback)
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
            await _closed(listener)
            return None
        return listener


class _Listener:
    def __init__(self, pool, conn, callback) -> None:
        self.pool, self.conn, self.callback = pool, conn, callback

    async def close(self) -> None:
        try:
            await self.conn.remove_listener(NOTIFY_CHANNEL, self.callback)
        finally:
            await self.pool.release(self.conn)


async def _closed(listener: _Listener) -> None:
    try:
        await listener.close()
    except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
        log.debug("closing the LISTEN connection failed", error=str(exc))
    return None
