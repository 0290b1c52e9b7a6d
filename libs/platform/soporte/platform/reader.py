"""One reader loop for every service that keeps state from Kafka records in PostgreSQL.

What can crash where, and why nothing is lost or doubled:

- A record's effect and the position after it are committed in one transaction
  (``Projection.handle`` runs inside it, then ``Positions.advance``). A crash
  before the commit re-reads the record; after it, the position says it is done.
- On every assignment the reader seeks each partition to the position stored
  with the effects (Kafka's group offsets are not used), and remembers it with
  what it committed itself: records fetched before that seek, or below that
  position, are not applied, so none is applied or dead-lettered a second time.
- A record that cannot be decoded, or whose effect keeps failing, is sent to
  the dead-letter topic (its id derived from its position, so a resend is the
  same letter) and only then does the position move past it: never dropped.
- The database or the broker being away is no fault of the record: nothing is
  dead-lettered, the round is retried from the stored positions until it works
  (or until the reader is stopped: no wait outlives ``stop``).

A projection only says what a record does (``projection.Projection``); the loop,
the positions, retries, dead letters and stop handling are written here once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRebalanceListener, TopicPartition
from aiokafka.errors import KafkaError
from prometheus_client import CollectorRegistry, Counter

from soporte.events import Event, UndecodableEvent, decode

from .deadletters import DeadLetters
from .kafka import make_consumer
from .lifecycle import sleep_unless
from .logging import get_logger
from .positions import Positions, TopicPartitionKey
from .projection import UNAVAILABLE, Projection, ReaderSettings, ReseekRequired, Transaction

log = get_logger(__name__)


@dataclass(frozen=True)
class _Item:
    record: Any
    event: Event | None  # None: undecodable
    reason: str = ""


class TrackedReader(ConsumerRebalanceListener):
    """Reads ``settings.topics`` into ``projection``, each record once, with its position in ``positions``."""

    def __init__(
        self,
        projection: Projection,
        positions: Positions,
        transaction: Transaction,
        producer: AIOKafkaProducer,
        settings: ReaderSettings,
        *,
        now: Callable[[], datetime],
        registry: CollectorRegistry | None = None,
    ) -> None:
        self.projection, self.positions, self.transaction = projection, positions, transaction
        self.settings = settings
        self.consumer: AIOKafkaConsumer | None = None
        self.next_offsets: dict[TopicPartitionKey, int] = {}  # what the positions table said, then what we committed
        self.positioned: set[TopicPartitionKey] = set()  # sought to the stored positions since assigned
        self.ready = asyncio.Event()  # partitions assigned and positioned
        self.failing = False  # the last round failed (readiness says so until one succeeds)
        self.stop = asyncio.Event()  # set by run()'s caller: no wait of the reader outlives it
        registry = registry or CollectorRegistry()
        prefix = f"soporte_{projection.name.replace('-', '_')}"
        self.applied = Counter(f"{prefix}_events_applied_total", "Records applied", ["topic"], registry=registry)
        self.dead_letters = DeadLetters(
            producer, settings.dead_letter_topic, projection.name, now=now, registry=registry
        )
        self.failures = Counter(f"{prefix}_read_failures_total", "Rounds failed and retried", registry=registry)

    # --- running --------------------------------------------------------------------------------

    async def run(self, stop: asyncio.Event) -> None:
        """Follow the topics in the consumer group until ``stop``; outages are waited out, never fatal."""
        self.stop = stop
        self.consumer = make_consumer(
            self.settings.bootstrap, group_id=self.settings.group_id, **self.settings.consumer_options
        )
        self.consumer.subscribe(list(self.settings.topics), listener=self)
        await self._start_consumer(stop)
        try:
            while not stop.is_set():
                await self._round(lambda: self.consumer.getmany(timeout_ms=200, max_records=self.settings.max_records))
        finally:
            await self.consumer.stop()

    async def replay(
        self, partitions: Sequence[TopicPartition], ends: Mapping[TopicPartition, int], progress: Callable[[int], None]
    ) -> None:
        """Read ``partitions`` (assigned, no group) from their stored positions up to ``ends``, then return."""
        self.consumer = make_consumer(self.settings.bootstrap, group_id=None, **self.settings.consumer_options)
        await self.consumer.start()
        try:
            self.consumer.assign(list(partitions))
            await self.seek_to_stored(partitions)
            pending = {tp for tp in partitions if await self.consumer.position(tp) < ends[tp]}
            while pending:

                async def fetch(pending=pending):
                    limit = self.settings.max_records
                    fetched = await self.consumer.getmany(*pending, timeout_ms=500, max_records=limit)
                    return {tp: [r for r in rs if r.offset < ends[tp]] for tp, rs in fetched.items()}

                progress(await self._round(fetch))
                pending = {tp for tp in pending if await self.consumer.position(tp) < ends[tp]}
        finally:
            await self.consumer.stop()

    async def _start_consumer(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self.consumer.start()
                return
            except KafkaError as exc:
                log.warning("broker not reachable yet; retrying", reader=self.projection.name, error=str(exc))
                await sleep_unless(stop, self.settings.outage_pause_seconds)

    async def _round(self, fetch: Callable[[], Any]) -> int:
        """One fetch, applied. Returns how many records were applied; failures are logged and retried."""
        try:
            batch = await fetch()
            if not any(batch.values()):
                await self._hook("on_idle")
            applied = 0
            for tp, records in batch.items():
                # Fetched before the assignment's seek (a fetch races it): read again from the seek.
                if (tp.topic, tp.partition) in self.positioned:
                    applied += await self.apply_records(tp, records)
            self.failing = False
            return applied
        except ReseekRequired:
            log.info("stored positions changed; reading on from them", reader=self.projection.name)
            await self._back_to_stored_positions(forget_known=True)
        except Exception as exc:  # noqa: BLE001 - the loop must go on; the stored positions keep the work
            what = "a dependency is away" if isinstance(exc, UNAVAILABLE) else "reading failed"
            self._failed(f"{what}; retrying from the stored positions", exc)
            await sleep_unless(self.stop, self.settings.outage_pause_seconds)
            await self._back_to_stored_positions()
        return 0

    def _failed(self, message: str, exc: BaseException) -> None:
        self.failures.inc()
        self.failing = True
        log.warning(message, reader=self.projection.name, error=f"{exc.__class__.__name__}: {exc}")

    def readiness_problem(self) -> str | None:
        """Why the reader is not keeping its state current, or None."""
        if not self.ready.is_set():
            return "no partitions assigned yet"
        return "reading is failing (see the logs); retrying" if self.failing else None

    # --- positions --------------------------------------------------------------------------------

    async def seek_to_stored(self, partitions, *, forget_known: bool = False) -> None:
        """Position every partition at its stored offset (the start when none is stored), all in one go.

        What this reader committed counts too: the listener may read the positions just before a
        round's commit lands. Unless ``forget_known`` (a rebuild swapped the tables): then only they count.
        """
        partitions = list(partitions)
        async with self.transaction() as conn:
            await self._hook("on_seek", conn)
            stored = await self.positions.load(conn, {tp.topic for tp in partitions})
        fresh = []
        for tp in partitions:
            key, ours = (tp.topic, tp.partition), {} if forget_known else self.next_offsets
            if key in stored or key in ours:
                self.next_offsets[key] = max(stored.get(key, 0), ours.get(key, 0))
                self.consumer.seek(tp, self.next_offsets[key])
            else:
                self.next_offsets.pop(key, None)
                fresh.append(tp)
            self.positioned.add(key)
        if fresh:
            # One request for all: one partition at a time, each waits out the fetch in flight.
            await self.consumer.seek_to_beginning(*fresh)
        if partitions:
            self.ready.set()

    async def _back_to_stored_positions(self, partitions=None, *, forget_known: bool = False) -> None:
        """Records fetched past the stored positions were not applied: read them again (until stopped)."""
        while not self.stop.is_set():
            try:
                assigned = self.consumer.assignment() if partitions is None else partitions
                await self.seek_to_stored(assigned, forget_known=forget_known)
                return
            except Exception as exc:  # noqa: BLE001 - reading on from anywhere else could skip records
                self._failed("cannot read the stored positions yet; retrying", exc)
                await sleep_unless(self.stop, self.settings.outage_pause_seconds)

    # --- applying ---------------------------------------------------------------------------------

    async def apply_records(self, tp: TopicPartition, records: Sequence[Any]) -> int:
        """Apply a partition's records in order: runs of decodable ones in one transaction each, the rest
        dead-lettered. Records below the known position (a fetch that raced a seek) are skipped."""
        known = self.next_offsets.get((tp.topic, tp.partition), 0)
        items = [self._decoded(r) for r in records if r.offset >= known]
        applied, run = 0, []
        for item in items:
            if item.event is None:
                applied += await self._apply_run(tp, run)
                run = []
                await self._dead_letter(tp, item.record, item.reason, attempts=1)
            else:
                run.append(item)
        return applied + await self._apply_run(tp, run)

    def _decoded(self, record: Any) -> _Item:
        try:
            return _Item(record, decode(record.value))
        except UndecodableEvent as exc:
            return _Item(record, None, f"undecodable: {exc}")

    async def _apply_run(self, tp: TopicPartition, run: list[_Item]) -> int:
        """The run in one transaction; if that fails, its records one at a time (retried, then dead-lettered)."""
        if not run:
            return 0
        try:
            await self._commit(tp, run)
            return len(run)
        except (ReseekRequired, *UNAVAILABLE):
            raise
        except Exception as exc:  # noqa: BLE001 - one bad record must not hold back the others
            log.info("applying a fetch failed; one record at a time", reader=self.projection.name, error=str(exc))
        applied = 0
        for item in run:
            applied += await self._apply_one(tp, item)
        return applied

    async def _apply_one(self, tp: TopicPartition, item: _Item) -> int:
        for attempt in range(1, self.settings.record_attempts + 1):
            try:
                await self._commit(tp, [item])
                return 1
            except (ReseekRequired, *UNAVAILABLE):
                raise
            except Exception as exc:  # noqa: BLE001 - retried, then dead-lettered: never dropped
                error = f"{exc.__class__.__name__}: {exc}"
                where = {"reader": self.projection.name, "topic": tp.topic, "offset": item.record.offset}
                log.warning("applying a record failed", **where, attempt=attempt, error=error)
                if attempt < self.settings.record_attempts:
                    await asyncio.sleep(self.settings.retry_base_seconds * 2**attempt)
        await self._dead_letter(tp, item.record, error, attempts=self.settings.record_attempts)
        return 0

    async def _commit(self, tp: TopicPartition, items: list[_Item]) -> None:
        """The items' effects and the position after the last, in one transaction."""
        end = items[-1].record.offset + 1
        async with self.transaction() as conn:
            handle_batch = getattr(self.projection, "handle_batch", None)
            if handle_batch is not None:
                await handle_batch(conn, [(i.event, i.record) for i in items])
            else:
                for i in items:
                    await self.projection.handle(conn, i.event, i.record)
            await self.positions.advance(conn, {(tp.topic, tp.partition): end})
        self._passed(tp, end)
        if items[0].event is not None:
            self.applied.labels(tp.topic).inc(len(items))
            await self._hook("after_commit", len(items))

    def _passed(self, tp: TopicPartition, end: int) -> None:
        key = (tp.topic, tp.partition)
        self.next_offsets[key] = max(self.next_offsets.get(key, 0), end)

    async def _dead_letter(self, tp: TopicPartition, record: Any, reason: str, attempts: int) -> None:
        await self.dead_letters.send(record, reason, attempts)
        # The position moves on only once the letter is safely on the dead-letter topic.
        async with self.transaction() as conn:
            await self.positions.advance(conn, {(tp.topic, tp.partition): record.offset + 1})
        self._passed(tp, record.offset + 1)

    # --- the consumer group's rebalances (the reader is its own listener) --------------------------

    async def on_partitions_revoked(self, revoked) -> None:
        for key in ((tp.topic, tp.partition) for tp in revoked):
            self.next_offsets.pop(key, None)
            self.positioned.discard(key)

    async def on_partitions_assigned(self, assigned) -> None:
        await self._back_to_stored_positions(assigned)

    async def _hook(self, name: str, *args: Any) -> None:
        hook = getattr(self.projection, name, None)
        if hook is not None:
            await hook(*args)
