"""The SLA processor as a faust-streaming app: clocks in a changelog-backed table, timers in a heap.

- ``tickets.events.v1`` → the *events* agent folds each event into the ticket's
  clocks (table ``clocks``, keyed by ticket id) and publishes first-response KPIs.
- A timer task pops the in-memory heap (:class:`SlaEngine`, rebuilt from the
  table whenever partitions are assigned) and, for a ticket with something due,
  sends its id to the internal *due* topic: a timer has no current event, so it
  cannot write a table itself.
- The *due* agent (same partitions as the ticket topic, so the table write lands
  in the ticket's changelog partition) re-derives what is due from the table,
  publishes the escalations and marks them fired.

Delivery is at least once. Escalation, KPI and dead-letter ids are derived, and
the ids already on their topics are read back at start (and what is new on them
at every partition assignment), so a restart, a replay, a takeover or a
redelivered *due* message never publishes the same id twice.
"""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import faust
from aiokafka import AIOKafkaProducer

from soporte.businesstime import BusinessCalendar, SlaPolicies
from soporte.events import (
    DEAD_LETTERS,
    SLA_ESCALATIONS,
    SLA_KPIS,
    TICKET_EVENTS,
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

from ..adapters import faust_fixes
from ..adapters.clock_codec import dump_ticket, load_ticket
from ..adapters.topics import internal_topics, read_topic
from ..domain.clocks import SLA_ACTOR, SlaEngine, TicketClocks, utc_now
from ..domain.kpis import FirstResponseKpis
from ..settings import SlaSettings

log = get_logger(__name__)
CONSUMER_NAME = "sla"  # names this reader in DeadLettered events, whatever the app id


class SlaStreams:
    """What the agents share: the heap index, the read-back ids, KPI figures and the producer."""

    def __init__(
        self,
        settings: SlaSettings,
        calendar: BusinessCalendar,
        policies: SlaPolicies,
        clock: Callable[[], datetime],
        kpis: FirstResponseKpis,
        on_escalation: Callable[[Event], None],
    ) -> None:
        self.settings = settings
        self.calendar, self.policies = calendar, policies
        self.clock = clock
        self.kpis = kpis
        self.on_escalation = on_escalation
        self.engine = SlaEngine(calendar, policies)  # the heap over the assigned partitions' tickets
        self.published: set[str] = set()  # escalation, KPI and dead-letter ids already on their topics
        self.read_positions: dict[Any, int] = {}  # where the read-back stopped, per topic partition
        self.producer: AIOKafkaProducer | None = None
        self.read_back = asyncio.Event()  # the ids above are loaded: publishing may start
        self.recovered = asyncio.Event()  # the table is recovered and the heap rebuilt at least once

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
        """Send ``event`` unless its id is already out; True if sent now."""
        if str(event.event_id) in self.published:
            return False
        assert self.producer is not None
        await self.producer.send_and_wait(spec.name(self.settings.topic_prefix), encode(event), key=event_key(event))
        self.published.add(str(event.event_id))
        return True

    def rebuild(self, saved: list[TicketClocks]) -> None:
        """A fresh heap from the table (after a rebalance the partitions, hence the tickets, changed)."""
        self.engine = SlaEngine(self.calendar, self.policies)
        for ticket in saved:
            self.engine.restore(ticket)
        self.engine.take_changed()

    def wait_seconds(self) -> float:
        due = self.engine.next_due_at()
        tick = self.settings.sla_tick_seconds
        return tick if due is None else min(tick, max((due - self.clock()).total_seconds(), 0.01))

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


def create_app(
    settings: SlaSettings,
    calendar: BusinessCalendar,
    policies: SlaPolicies,
    *,
    clock: Callable[[], datetime] = utc_now,
    kpis: FirstResponseKpis | None = None,
    on_escalation: Callable[[Event], None] = lambda _: None,
    datadir: Path | None = None,
) -> faust.App:
    """Build the faust app (not started); its shared state is ``app.sla`` (:class:`SlaStreams`)."""
    s = settings
    faust_fixes.install()  # without them a record can be skipped at a rebalance (see the module)
    changelog_spec, due_spec = internal_topics(s)
    app = faust.App(
        s.sla_app_id,  # also the consumer group
        broker=f"kafka://{s.kafka_bootstrap}",
        store="memory://",  # the changelog is the state; it is read back on assignment
        datadir=str(
            datadir or Path(tempfile.gettempdir()) / "soporte-sla" / s.sla_app_id
        ),  # faust wants one; tables are in memory
        web_enabled=False,  # health, metrics and KPIs are served by our own aiohttp app
        topic_replication_factor=1,
        topic_disable_leader=True,
        table_standby_replicas=0,
        consumer_auto_offset_reset="earliest",
        stream_recovery_delay=0.0,
        broker_commit_interval=1.0,
        # A killed worker holds its partitions until the broker gives up on it: keep that short.
        broker_session_timeout=s.sla_session_timeout_seconds,
        broker_heartbeat_interval=min(3.0, s.sla_session_timeout_seconds / 3),
        # How long faust's watchdog waits before it logs a partition as not fetched, processed or committed.
        stream_processing_timeout=s.sla_stall_timeout_seconds,
        broker_commit_livelock_soft_timeout=s.sla_stall_timeout_seconds,
        autodiscover=False,
    )
    sla = SlaStreams(s, calendar, policies, clock, kpis or FirstResponseKpis(), on_escalation)
    app.sla = sla  # type: ignore[attr-defined]

    def raw_topic(spec: TopicSpec, **options: Any) -> faust.TopicT:
        # Soporte's own codec decodes the values; faust only moves bytes. Topics are created by us.
        return app.topic(
            spec.name(s.topic_prefix),
            key_serializer="raw",
            value_serializer="raw",
            partitions=spec.partitions,
            internal=False,
            **options,
        )

    tickets_topic = raw_topic(TICKET_EVENTS)
    due_topic = raw_topic(due_spec)
    clocks = app.Table(
        "clocks",
        partitions=changelog_spec.partitions,
        changelog_topic=app.topic(
            changelog_spec.name(s.topic_prefix),
            key_serializer="json",
            value_serializer="json",
            internal=False,
            # As faust's own changelog topics: no stream acks these records, recovery reads them. With acks on,
            # faust's watchdog expects a stream to process the table's changelog partitions and logs at ERROR,
            # every few seconds, that it "has not started processing" them.
            acks=False,
        ),
    )

    def saved(ticket_id: str) -> TicketClocks:
        data = clocks.get(ticket_id)
        return load_ticket(ticket_id, data) if data is not None else TicketClocks(ticket_id)

    @clocks.on_recover
    async def rebuild_heap() -> None:
        sla.rebuild([load_ticket(key, value) for key, value in clocks.items()])
        sla.recovered.set()
        log.info("sla heap rebuilt", tickets=len(sla.engine.tickets))
        # Partitions taken over from a worker that died between publishing an escalation and its
        # table write reaching the changelog: the redelivered *due* message would raise it again,
        # and that id was published after our start-up read-back. Faust resumes the partitions only
        # after this callback, so learning what is new on the topics here closes that window.
        try:
            await sla.read_back_published()
        except Exception:
            log.exception("published ids not read back after the rebalance")

    @app.agent(tickets_topic)
    async def ticket_events(stream: faust.StreamT) -> None:
        async for record in stream.events():
            message = record.message
            try:
                event = decode(message.value)
            except UndecodableEvent as exc:
                await sla.dead_letter(message, str(exc))
                continue
            if not isinstance(event, t.TICKET_STREAM_TYPES) or event.ticket_id is None:
                continue
            # The table is the truth; restoring also re-indexes the ticket's timers in the heap.
            sla.engine.restore(saved(event.ticket_id))
            try:
                measured = sla.engine.apply(event)
            except Exception as exc:
                log.exception("event could not be applied", ticket_id=event.ticket_id, version=event.version)
                await sla.dead_letter(message, f"{exc.__class__.__name__}: {exc}")
                continue
            # Save this event's ticket only. The timer task marks the tickets it fires in the same engine before
            # their escalations are published (the due agent saves those marks once they are): saving them here
            # lost the escalation. And a table write lands in the changelog partition of the event being processed.
            for ticket in sla.engine.take_changed():
                if ticket.ticket_id == event.ticket_id:
                    clocks[ticket.ticket_id] = dump_ticket(ticket)
            await sla.read_back.wait()
            for kpi in measured:
                await sla.publish(SLA_KPIS, kpi)
                sla.kpis.record(kpi)

    @app.agent(due_topic)
    async def due_tickets(stream: faust.StreamT) -> None:
        async for ticket_id_bytes in stream:
            await sla.read_back.wait()
            ticket_id = ticket_id_bytes.decode("utf-8")
            # Re-derive from the table what is due: a stale or repeated *due* message raises nothing.
            ticket = saved(ticket_id)
            engine = SlaEngine(calendar, policies)
            engine.restore(ticket)
            for escalation in engine.due(sla.clock()):
                if await sla.publish(SLA_ESCALATIONS, escalation):
                    log.info(
                        "escalation raised",
                        ticket_id=ticket_id,
                        type=escalation.type,
                        clock=escalation.data.clock,
                        deadline=escalation.data.deadline.isoformat(),
                    )
                    sla.on_escalation(escalation)
            if engine.take_changed():
                clocks[ticket_id] = dump_ticket(ticket)
                sla.engine.restore(ticket)  # the fired marks are now the table's

    @app.task
    async def fire_due_timers() -> None:
        await sla.read_back.wait()
        await sla.recovered.wait()
        while not app.should_stop:
            escalations = sla.engine.due(sla.clock())
            try:
                for ticket_id in sorted({e.ticket_id for e in escalations if e.ticket_id}):
                    # Keyed by ticket id: the ticket events' partition (same default partitioner).
                    sent = await due_topic.send(key=ticket_id.encode("utf-8"), value=ticket_id.encode("utf-8"))
                    await sent
            except Exception:
                log.exception("due timer not sent, will retry")
                for escalation in escalations:
                    sla.engine.unfire(escalation)
            await asyncio.sleep(sla.wait_seconds())

    return app
