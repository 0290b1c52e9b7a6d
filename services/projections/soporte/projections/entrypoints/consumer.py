"""The live reader: every event of the four topics applied to the read models, once.

Each record is applied in one transaction with its position; on (re)assignment
the reader continues from the stored positions. A record that keeps failing is
dead-lettered, then its position moves on: never logged and dropped.
A rebuild swap bumps ``projections.generation``; the reader checks it in every
transaction and, when it changed, seeks back to the positions of the new tables.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime

import asyncpg
import structlog
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRebalanceListener, TopicPartition
from prometheus_client import CollectorRegistry, Counter

from soporte.events import (
    DEAD_LETTERS,
    NOTIFICATION_OUTCOMES,
    SLA_ESCALATIONS,
    SLA_KPIS,
    TICKET_EVENTS,
    Actor,
    ActorKind,
    UndecodableEvent,
    decode,
    deterministic_id,
    encode,
)
from soporte.events import types as t
from soporte.platform.kafka import make_consumer
from soporte.projections.adapters.store import GenerationChanged, ReadModelWriter

log = structlog.get_logger(__name__)
SYSTEM = Actor(kind=ActorKind.SYSTEM, id="projections")
RECORD_ATTEMPTS = 3


def source_topics(prefix: str) -> list[str]:
    """The topics the read models are built from."""
    return [
        TICKET_EVENTS.name(prefix),
        SLA_ESCALATIONS.name(prefix),
        SLA_KPIS.name(prefix),
        NOTIFICATION_OUTCOMES.name(prefix),
    ]


async def read_generation(conn: asyncpg.Connection, *, lock: bool = False) -> int:
    return await conn.fetchval("SELECT generation FROM projections.generation" + (" FOR SHARE" if lock else ""))


async def stored_positions(pool: asyncpg.Pool, positions_table: str) -> dict[tuple[str, int], int]:
    rows = await pool.fetch(f"SELECT topic, partition, next_offset FROM {positions_table}")
    return {(r["topic"], r["partition"]): r["next_offset"] for r in rows}


class RecordApplier:
    """Applies one Kafka record with retries; dead-letters what cannot be applied."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        writer: ReadModelWriter,
        producer: AIOKafkaProducer,
        dead_letter_topic: str,
        now: Callable[[], datetime],
        *,
        generation: Callable[[], int | None] = lambda: None,
        registry: CollectorRegistry | None = None,
    ) -> None:
        self.pool, self.writer, self.producer, self.dead_letter_topic, self.now = (
            pool,
            writer,
            producer,
            dead_letter_topic,
            now,
        )
        self.generation = generation  # the generation the caller read its positions under (None: do not check)
        registry = registry or CollectorRegistry()
        self.applied = Counter(
            "soporte_projections_events_applied_total",
            "Records applied to the read models",
            ["topic"],
            registry=registry,
        )
        self.dead_lettered = Counter(
            "soporte_projections_dead_lettered_total", "Records the read models gave up on", registry=registry
        )

    async def _apply_in_transaction(self, tp: TopicPartition, offset: int, event: t.Event | None) -> bool:
        async with self.pool.acquire() as conn, conn.transaction():
            expected = self.generation()
            if expected is not None and await read_generation(conn, lock=True) != expected:
                raise GenerationChanged()
            return await self.writer.apply(conn, tp.topic, tp.partition, offset, event)

    async def apply(self, tp: TopicPartition, record) -> None:
        """Apply ``record`` (retried), or dead-letter it; its position moves on either way."""
        try:
            event = decode(record.value)
        except UndecodableEvent as exc:
            await self._dead_letter(tp, record, str(exc), attempts=1)
            return
        except Exception as exc:  # noqa: BLE001 - an upcaster can trip on a malformed dict (KeyError...): still undecodable
            await self._dead_letter(tp, record, f"undecodable: {exc.__class__.__name__}: {exc}", attempts=1)
            return
        for attempt in range(1, RECORD_ATTEMPTS + 1):
            try:
                if await self._apply_in_transaction(tp, record.offset, event):
                    self.applied.labels(tp.topic).inc()  # not a record handed over again after a rebalance
                return
            except GenerationChanged:
                raise
            except Exception as exc:  # noqa: BLE001 - retried, then dead-lettered: never dropped
                log.warning(
                    "applying an event failed", topic=tp.topic, offset=record.offset, attempt=attempt, error=str(exc)
                )
                if attempt == RECORD_ATTEMPTS:
                    await self._dead_letter(tp, record, f"{exc.__class__.__name__}: {exc}", attempts=attempt)
                    return
                await asyncio.sleep(0.1 * 2**attempt)

    async def _past_already(self, tp: TopicPartition, offset: int) -> bool:
        """Is the stored position past ``offset``? (A rebalance's seek can race a fetch: a record twice.)"""
        async with self.pool.acquire() as conn:
            stored = await self.writer.next_offset(conn, tp.topic, tp.partition)
        return stored is not None and offset < stored

    async def _dead_letter(self, tp: TopicPartition, record, reason: str, attempts: int) -> None:
        if await self._past_already(tp, record.offset):
            return  # dead-lettered (or applied) already: not a second letter
        letter = t.DeadLettered.for_record(
            record,
            consumer="projections",
            reason=reason,
            attempts=attempts,
            actor=SYSTEM,
            occurred_at=self.now(),
            event_id=deterministic_id("projections-dead-letter", tp.topic, tp.partition, record.offset),
        )
        await self.producer.send_and_wait(self.dead_letter_topic, encode(letter), key=record.key)
        self.dead_lettered.inc()
        log.error(
            "event dead-lettered", topic=tp.topic, partition=tp.partition, offset=record.offset, reason=reason[:300]
        )
        # The position moves on only once the letter is safely on the dead-letter topic.
        await self._apply_in_transaction(tp, record.offset, None)


class _SeekToStoredPositions(ConsumerRebalanceListener):
    def __init__(self, reader: ProjectionConsumer) -> None:
        self.reader = reader

    async def on_partitions_revoked(self, revoked) -> None:
        return None

    async def on_partitions_assigned(self, assigned) -> None:
        await self.reader.seek_to_stored(assigned)


class ProjectionConsumer:
    """The live reader of the read models (one per process, in the service's consumer group)."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        writer: ReadModelWriter,
        producer: AIOKafkaProducer,
        *,
        bootstrap: str,
        prefix: str,
        group_id: str,
        now: Callable[[], datetime],
        registry: CollectorRegistry | None = None,
    ) -> None:
        self.pool, self.bootstrap, self.group_id = pool, bootstrap, group_id
        self.topics = source_topics(prefix)
        self.known_generation: int | None = None
        self.applier = RecordApplier(
            pool,
            writer,
            producer,
            DEAD_LETTERS.name(prefix),
            now,
            generation=lambda: self.known_generation,
            registry=registry,
        )
        self.failures = Counter(
            "soporte_projections_read_failures_total",
            "Rounds of reading that failed and are retried",
            registry=registry or CollectorRegistry(),
        )
        self.consumer: AIOKafkaConsumer | None = None
        self.ready = asyncio.Event()  # set once partitions are assigned and positioned
        self.failing = False  # the last round of reading failed (readiness says so until one succeeds)

    async def seek_to_stored(self, partitions) -> None:
        """Position every partition at its stored offset (the start when none is stored)."""
        assert self.consumer is not None
        async with self.pool.acquire() as conn:
            self.known_generation = await read_generation(conn)
        stored = await stored_positions(self.pool, "projections.positions")
        fresh = []
        for tp in partitions:
            offset = stored.get((tp.topic, tp.partition))
            if offset is None:
                fresh.append(tp)
            else:
                self.consumer.seek(tp, offset)
        if fresh:
            # All in one: one partition at a time, each waits out the fetch in flight (seconds for 15 partitions).
            await self.consumer.seek_to_beginning(*fresh)
        if partitions:
            self.ready.set()

    async def _check_generation(self) -> None:
        """Raise ``GenerationChanged`` if a swap happened. Checked when idle too: what this reader applied to the
        old tables past the rebuild's end offsets is missing from the new ones until it reads from their positions."""
        if self.known_generation is None:
            return
        async with self.pool.acquire() as conn:
            if await read_generation(conn) != self.known_generation:
                raise GenerationChanged()

    async def _back_to_stored_positions(self, stop: asyncio.Event) -> None:
        """After a failure, continue from the stored positions (records fetched past them were not applied)."""
        assert self.consumer is not None
        while not stop.is_set():
            try:
                await self.seek_to_stored(self.consumer.assignment())
                return
            except Exception:  # noqa: BLE001 - no database yet: reading on from the fetch position would skip records
                log.warning("cannot read the stored positions yet; retrying")
                await asyncio.sleep(1.0)

    def readiness_problem(self) -> str | None:
        """Why the reader is not keeping the read models current, or None."""
        if not self.ready.is_set():
            return "no partitions assigned yet"
        if self.failing:
            return "reading the topics is failing (see the logs); retrying"
        return None

    async def run(self, stop: asyncio.Event) -> None:
        self.consumer = make_consumer(self.bootstrap, group_id=self.group_id)
        self.consumer.subscribe(self.topics, listener=_SeekToStoredPositions(self))
        await self.consumer.start()
        try:
            while not stop.is_set():
                try:
                    batch = await self.consumer.getmany(timeout_ms=200, max_records=200)
                    if not batch:
                        await self._check_generation()
                    for tp, records in batch.items():
                        for record in records:
                            await self.applier.apply(tp, record)
                    self.failing = False
                except GenerationChanged:
                    log.info("read models were rebuilt; continuing from the new tables' positions")
                    await self._back_to_stored_positions(stop)
                except Exception:
                    log.exception("reading the topics failed; retrying from the stored positions")
                    self.failures.inc()
                    self.failing = True
                    await asyncio.sleep(1.0)
                    await self._back_to_stored_positions(stop)
        finally:
            await self.consumer.stop()
