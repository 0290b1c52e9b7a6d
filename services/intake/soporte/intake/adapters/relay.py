"""The outbox relay: publishes committed events to Kafka, keyed by ticket, then flags them published.

A crash between commit and publish loses nothing (the rows stay unpublished); a
crash between publish and flag publishes again (readers dedupe by ticket+version).
Woken by NOTIFY, with a poll behind it because a LISTEN connection does not
survive a PostgreSQL restart (asyncpg #421, #447).
"""

from __future__ import annotations

import asyncio

import asyncpg
import structlog
from aiokafka.errors import KafkaError, OutOfOrderSequenceNumber
from prometheus_client import CollectorRegistry, Counter, Gauge

from soporte.events import TICKET_EVENTS
from soporte.platform.kafka import make_producer

log = structlog.get_logger(__name__)


class OutboxRelay:
    def __init__(self, pool: asyncpg.Pool, bootstrap: str, prefix: str, registry: CollectorRegistry, *, batch: int = 200, poll_seconds: float = 1.0):
        self.pool, self.bootstrap, self.topic = pool, bootstrap, TICKET_EVENTS.name(prefix)
        self.batch, self.poll_seconds = batch, poll_seconds
        self.wake = asyncio.Event()
        self.published = Counter("soporte_outbox_published_total", "Events published to Kafka", registry=registry)
        self.lag = Gauge("soporte_outbox_lag_seconds", "Age of the oldest unpublished event", registry=registry)
        self.producer = None

    async def _new_producer(self):
        if self.producer is not None:
            await self.producer.stop()
        self.producer = make_producer(self.bootstrap, client_id="soporte-intake-relay")
        await self.producer.start()

    async def publish_once(self) -> int:
        """Publish one batch of unpublished rows in id order (per ticket that is version order)."""
        async with self.pool.acquire() as conn, conn.transaction():
            rows = await conn.fetch(
                """SELECT id, ticket_id, payload, extract(epoch FROM now() - created_at) AS age
                   FROM intake.outbox WHERE published_at IS NULL ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED""",
                self.batch,
            )
            self.lag.set(float(rows[0]["age"]) if rows else 0.0)
            if not rows:
                return 0
            futures = [await self.producer.send(self.topic, bytes(r["payload"]), key=r["ticket_id"].encode()) for r in rows]
            await asyncio.gather(*futures)  # every send acknowledged by all in-sync replicas
            await conn.execute("UPDATE intake.outbox SET published_at = now() WHERE id = ANY($1)", [r["id"] for r in rows])
        self.published.inc(len(rows))
        return len(rows)

    async def run(self, stop: asyncio.Event) -> None:
        await self._new_producer()
        listener = await self._listen()
        log.info("outbox relay started", topic=self.topic)
        try:
            while not stop.is_set():
                try:
                    while await self.publish_once() == self.batch:
                        pass
                except OutOfOrderSequenceNumber:
                    # aiokafka #1017: the idempotent producer can stick; a new one starts a clean sequence.
                    log.warning("producer out of sequence, recreating it")
                    await self._new_producer()
                    continue
                except (KafkaError, OSError, asyncpg.PostgresError) as exc:
                    log.warning("relay round failed, retrying", error=str(exc))
                    await asyncio.sleep(1)
                    continue
                try:
                    await asyncio.wait_for(self.wake.wait(), timeout=self.poll_seconds)
                except TimeoutError:
                    pass
                self.wake.clear()
        finally:
            if listener is not None:
                await listener.close()
            await self.producer.stop()

    async def _listen(self):
        try:
            conn = await self.pool.acquire()
            listener = _Listener(self.pool, conn, lambda *_: self.wake.set())
            await conn.add_listener("intake_outbox", listener.callback)
            return listener
        except (OSError, asyncpg.PostgresError):
            return None  # the poll still drains the outbox


class _Listener:
    def __init__(self, pool, conn, callback) -> None:
        self.pool, self.conn, self.callback = pool, conn, callback

    async def close(self) -> None:
        await self.conn.remove_listener("intake_outbox", self.callback)
        await self.pool.release(self.conn)
