"""The SLA processor loop: fold ticket events into clocks, fire due timers, publish escalations and KPIs.

State is the fold of ``tickets.events.v1`` (kept forever), rebuilt at start by
replaying it; escalations and KPIs already published are read back from their
topics, so a restart or a replay never raises the same escalation twice.
Publishing is at-least-once with derived event ids.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime

from aiokafka import AIOKafkaProducer

from soporte.events import (
    DEAD_LETTERS,
    SLA_ESCALATIONS,
    SLA_KPIS,
    TICKET_EVENTS,
    Event,
    UndecodableEvent,
    decode,
    deterministic_id,
    encode,
    event_key,
)
from soporte.events import types as t
from soporte.platform.logging import get_logger

from ..adapters.state_store import SlaStateStore
from ..adapters.topics import assigned_consumer, read_topic, read_until_caught_up
from ..domain.clocks import SLA_ACTOR, SlaEngine
from ..domain.kpis import FirstResponseKpis

log = get_logger(__name__)
CONSUMER_NAME = "sla"  # names this reader in DeadLettered events, whatever the app id


class SlaProcessor:
    """Runs one :class:`SlaEngine` against Kafka until stopped."""

    def __init__(
        self,
        engine: SlaEngine,
        *,
        bootstrap: str,
        prefix: str,
        producer: AIOKafkaProducer,
        client_id: str,
        tick_seconds: float,
        kpis: FirstResponseKpis,
        clock: Callable[[], datetime],
        on_escalation: Callable[[Event], None] = lambda _: None,
        store: SlaStateStore | None = None,
    ) -> None:
        self.engine = engine
        self.bootstrap = bootstrap
        self.prefix = prefix
        self.producer = producer
        self.client_id = client_id
        self.tick_seconds = tick_seconds
        self.kpis = kpis
        self.clock = clock
        self.on_escalation = on_escalation
        self.store = store
        self._saved_positions: dict[int, int] | None = None
        self.ready = asyncio.Event()
        self._published_kpis: set[str] = set()
        self._dead_lettered: set[str] = set()

    async def run(self, stop: asyncio.Event) -> None:
        """Catch up with the ticket stream, then follow it and fire timers until ``stop`` is set."""
        topic = TICKET_EVENTS.name(self.prefix)
        await self._read_back_dead_letters()
        consumer = await assigned_consumer(self.bootstrap, topic, client_id=self.client_id)
        try:
            if self.store is not None:
                # Resume from the saved state instead of replaying the whole stream.
                tickets, positions = await self.store.load(topic)
                for ticket in tickets:
                    self.engine.restore(ticket)
                for tp in consumer.assignment():
                    if tp.partition in positions:
                        consumer.seek(tp, positions[tp.partition])
            pending_kpis: list[Event] = []
            async for record in read_until_caught_up(consumer):
                if stop.is_set():
                    return  # SIGTERM during a long replay: nothing was fired yet, so just leave
                pending_kpis += await self._apply(record)
            await self._read_back_published()
            await self._save(consumer)
            for kpi in pending_kpis:
                await self._publish_kpi(kpi)
            log.info("sla caught up", tickets=len(self.engine.tickets))
            self.ready.set()
            while not stop.is_set():
                await self._fire_due()
                batches = await consumer.getmany(timeout_ms=int(self._wait_seconds() * 1000))
                for records in batches.values():
                    for record in records:
                        for kpi in await self._apply(record):
                            await self._publish_kpi(kpi)
                await self._save(consumer)
        finally:
            await consumer.stop()

    async def _save(self, consumer) -> None:
        """Store the changed tickets with the positions reached, in one transaction (at-least-once:
        events re-read after a crash are deduped by version, escalations by the read-back)."""
        if self.store is None:
            return
        changed = self.engine.take_changed()
        positions = {tp.partition: await consumer.position(tp) for tp in consumer.assignment()}
        if changed or positions != self._saved_positions:
            await self.store.save(changed, TICKET_EVENTS.name(self.prefix), positions)
            self._saved_positions = positions

    def _wait_seconds(self) -> float:
        due = self.engine.next_due_at()
        if due is None:
            return self.tick_seconds
        return min(self.tick_seconds, max((due - self.clock()).total_seconds(), 0.01))

    async def _apply(self, record) -> list[Event]:
        try:
            event = decode(record.value)
        except UndecodableEvent as exc:
            await self._dead_letter(record, str(exc))
            return []
        if not isinstance(event, t.TICKET_STREAM_TYPES):
            return []
        try:
            return self.engine.apply(event)
        except Exception as exc:  # noqa: BLE001 - the fold is pure: retrying the same event cannot help
            log.exception("event could not be applied", ticket_id=event.ticket_id, version=event.version)
            await self._dead_letter(record, f"{exc.__class__.__name__}: {exc}")
            return []

    async def _read_back_dead_letters(self) -> None:
        """The records this processor already dead-lettered, so a replay does not send them again."""
        async for record in read_topic(self.bootstrap, DEAD_LETTERS.name(self.prefix), client_id=self.client_id):
            try:
                letter = decode(record.value)
            except UndecodableEvent:
                continue
            if isinstance(letter, t.DeadLettered) and letter.data.consumer == CONSUMER_NAME:
                self._dead_lettered.add(str(letter.event_id))

    async def _read_back_published(self) -> None:
        """Mark the escalations already on the topic as fired, and learn which KPIs were published."""
        async for record in read_topic(self.bootstrap, SLA_ESCALATIONS.name(self.prefix), client_id=self.client_id):
            try:
                event = decode(record.value)
            except UndecodableEvent:
                continue  # not ours to judge here; its readers dead-letter it
            if isinstance(event, t.SlaWarning | t.SlaBreached) and event.ticket_id:
                self.engine.mark_fired(event.ticket_id, event.data.clock, event.data.level, event.causation_id)
        async for record in read_topic(self.bootstrap, SLA_KPIS.name(self.prefix), client_id=self.client_id):
            try:
                event = decode(record.value)
            except UndecodableEvent:
                continue
            if isinstance(event, t.FirstResponseMeasured):
                self._published_kpis.add(str(event.event_id))
                self.kpis.record(event)

    async def _publish_kpi(self, kpi: Event) -> None:
        if str(kpi.event_id) in self._published_kpis:
            return
        await self.producer.send_and_wait(SLA_KPIS.name(self.prefix), encode(kpi), key=event_key(kpi))
        self._published_kpis.add(str(kpi.event_id))
        self.kpis.record(kpi)

    async def _fire_due(self) -> None:
        for escalation in self.engine.due(self.clock()):
            try:
                await self.producer.send_and_wait(
                    SLA_ESCALATIONS.name(self.prefix), encode(escalation), key=event_key(escalation)
                )
            except Exception:
                self.engine.unfire(escalation)  # retried on a later tick
                log.exception("escalation not published, will retry", event_id=str(escalation.event_id))
                await asyncio.sleep(self.tick_seconds)
                continue
            log.info(
                "escalation raised",
                ticket_id=escalation.ticket_id,
                type=escalation.type,
                clock=escalation.data.clock,
                deadline=escalation.data.deadline.isoformat(),
            )
            self.on_escalation(escalation)

    async def _dead_letter(self, record, reason: str) -> None:
        letter_id = deterministic_id(CONSUMER_NAME, record.topic, record.partition, record.offset)
        if str(letter_id) in self._dead_lettered:
            return  # dead-lettered by an earlier run over the same log
        letter = t.DeadLettered.create(
            data=t.DeadLetteredData(
                consumer=CONSUMER_NAME,
                source_topic=record.topic,
                source_partition=record.partition,
                source_offset=record.offset,
                key=record.key.decode("utf-8", "replace") if record.key else None,
                payload=record.value.decode("utf-8", "replace") if record.value else "",
                reason=reason[:2000],
                attempts=1,  # decoding is deterministic: retrying cannot help
            ),
            actor=SLA_ACTOR,
            occurred_at=self.clock(),
            event_id=letter_id,
        )
        await self.producer.send_and_wait(DEAD_LETTERS.name(self.prefix), encode(letter), key=event_key(letter))
        self._dead_lettered.add(str(letter_id))
        log.warning("event dead-lettered", topic=record.topic, offset=record.offset, reason=reason[:200])
