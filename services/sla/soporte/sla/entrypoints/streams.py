"""What the SLA worker's agents and timer share: the engine, the ids already published, progress per partition.

Publishing reserves an id before it awaits the broker, so two agents raising the
same escalation send it once; the ids already on the escalation, KPI and
dead-letter topics are read back at start and at every rebalance, so a restart,
a replay or a takeover never publishes an id twice.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import aiohttp
from aiokafka import AIOKafkaProducer

from soporte.events import (
    DEAD_LETTERS,
    SLA_ESCALATIONS,
    SLA_KPIS,
    Event,
    TopicSpec,
    UndecodableEvent,
    decode,
    deterministic_id,
    encode,
    event_key,
)
from soporte.events import types as t
from soporte.platform.logging import get_logger
from soporte.ticketrules import SLA_ACTOR, SlaRules

from ..adapters.topics import read_topic
from ..domain.engine import SlaEngine
from ..domain.kpis import FirstResponseKpis
from ..settings import SlaSettings

log = get_logger(__name__)
CONSUMER_NAME = "sla"  # names this reader in DeadLettered events, whatever the app id


class SlaStreams:
    """What the agents share: the engine, the read-back ids, progress per partition, KPI figures, the producer."""

    def __init__(
        self,
        settings: SlaSettings,
        rules: SlaRules,
        producer: AIOKafkaProducer,
        clock: Callable[[], datetime],
        kpis: FirstResponseKpis,
        on_escalation: Callable[[Event], None],
    ) -> None:
        self.settings, self.rules, self.producer = settings, rules, producer
        self.clock, self.kpis, self.on_escalation = clock, kpis, on_escalation
        self.engine = SlaEngine(rules)  # records and timers of the assigned partitions' tickets
        self.published: set[str] = set()  # escalation, KPI and dead-letter ids already on (or going to) their topics
        self.read_positions: dict[Any, int] = {}  # where the read-back stopped, per topic partition
        self.processed: dict[int, int] = {}  # ticket-topic partition -> next offset the events agent will process
        self.read_back = asyncio.Event()  # the ids above are loaded: publishing may start
        self.recovered = asyncio.Event()  # the table is recovered and the heaps rebuilt at least once
        self.lateness = timedelta(seconds=settings.sla_allowed_lateness_seconds)
        self.http: aiohttp.ClientSession | None = None  # asks intake how far publication has come

    @property
    def ready(self) -> bool:
        return self.read_back.is_set() and self.recovered.is_set()

    async def read_back_published(self) -> None:
        """Learn the ids published (and the KPI figures) since the last call, all of them the first time."""
        s = self.settings
        for spec in (SLA_ESCALATIONS, SLA_KPIS, DEAD_LETTERS):
            topic = spec.name(s.topic_prefix)
            async for record in read_topic(
                s.kafka_bootstrap, topic, client_id=s.sla_app_id, positions=self.read_positions
            ):
                try:
                    event = decode(record.value)
                except UndecodableEvent:
                    continue  # not ours to judge here; its readers dead-letter it
                if isinstance(event, t.DeadLettered) and event.data.consumer != CONSUMER_NAME:
                    continue
                self.published.add(str(event.event_id))
                if isinstance(event, t.FirstResponseMeasured):
                    self.kpis.record(event)
        self.read_back.set()

    async def publish(self, spec: TopicSpec, event: Event) -> bool:
        """Send ``event`` unless its id is out (or being sent) already; True if sent now."""
        event_id = str(event.event_id)
        if event_id in self.published:
            return False
        self.published.add(event_id)  # before the await: two agents raising the same id send it once
        try:
            await self.producer.send_and_wait(
                spec.name(self.settings.topic_prefix), encode(event), key=event_key(event)
            )
        except BaseException:
            self.published.discard(event_id)
            raise
        return True

    async def publish_raised(self, raised: list[Event]) -> None:
        for event in raised:
            if isinstance(event, t.FirstResponseMeasured):
                await self.publish(SLA_KPIS, event)
                self.kpis.record(event)
            elif await self.publish(SLA_ESCALATIONS, event):
                log.info(
                    "escalation raised",
                    ticket_id=event.ticket_id,
                    type=event.type,
                    clock=event.data.clock,
                    deadline=event.data.deadline.isoformat(),
                )
                self.on_escalation(event)

    async def vouched_until(self, up_to: datetime) -> datetime | None:
        """``up_to``, or earlier when intake still holds an event that occurred before it (the timers may raise
        levels due up to what this returns); None when intake cannot say (then no timer runs this round)."""
        if not self.settings.sla_intake_url:
            return up_to
        if self.http is None:
            self.http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=2))
        try:
            async with self.http.get(self.settings.sla_intake_url.rstrip("/") + "/api/v1/publication") as answer:
                answer.raise_for_status()
                since = (await answer.json())["unpublished_since"]
        except (aiohttp.ClientError, TimeoutError, ValueError, KeyError, TypeError) as exc:
            log.info("due timers wait: intake cannot say how far publication has come", error=repr(exc))
            return None
        if since is None:
            return up_to
        return min(up_to, datetime.fromisoformat(since) - timedelta(microseconds=1))

    def wait_seconds(self) -> float:
        due = self.engine.next_due_at()
        tick = self.settings.sla_tick_seconds
        if due is None:
            return tick
        return min(tick, max((due + self.lateness - self.clock()).total_seconds(), 0.01))

    async def dead_letter(self, message: Any, reason: str) -> None:
        letter = t.DeadLettered.for_record(
            message,
            consumer=CONSUMER_NAME,
            reason=reason,
            attempts=1,  # decoding and the fold are deterministic: retrying cannot help
            actor=SLA_ACTOR,
            occurred_at=self.clock(),
            event_id=deterministic_id(CONSUMER_NAME, message.topic, message.partition, message.offset),
        )
        if await self.publish(DEAD_LETTERS, letter):
            log.warning("event dead-lettered", topic=message.topic, offset=message.offset, reason=reason[:200])
