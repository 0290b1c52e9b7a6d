"""The SLA worker as a faust-streaming app: clock records in a changelog-backed table, timers in heaps.

- ``tickets.events.v1`` → the *events* agent folds each event into the ticket's
  record (table ``clocks``, keyed by ticket id) through the pure engine, and
  publishes what the event raised (escalations of clocks it stopped late, the
  first-response KPI) *before* it writes the record: a crash in between
  redelivers the event, which then raises the same ids again (read back below).
- A timer task asks the engine, per ticket-topic partition this worker holds,
  which tickets have a level due up to "now minus the allowed lateness" — only
  for a partition whose events it has all read (its processed offset reached the
  log end), so a late-read answer can never be outrun — and sends each ticket's
  id with that instant to the internal *due* topic: a timer has no current
  event, so it cannot write a table itself.
- The *due* agent (same partitions as the ticket topic, so its table write lands
  in the ticket's changelog partition) re-derives from the table what is due up
  to that instant, publishes it, then marks it raised.

Delivery is at least once. Escalation, KPI and dead-letter ids are derived, and
the ids already on their topics are read back at start (and what is new on them
at every partition assignment), so a restart, a replay, a takeover or a
redelivered *due* message never publishes the same id twice.
"""

from __future__ import annotations

import asyncio
import json
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import faust
from aiokafka import AIOKafkaProducer, TopicPartition

from soporte.events import (
    TICKET_EVENTS,
    Event,
    TopicSpec,
    UndecodableEvent,
    decode,
)
from soporte.events import types as t
from soporte.platform.clock import utc_now
from soporte.platform.logging import get_logger
from soporte.ticketrules import SlaRules

from ..adapters import faust_fixes
from ..adapters.topics import internal_topics
from ..domain.engine import TicketRecord
from ..domain.kpis import FirstResponseKpis
from ..settings import SlaSettings
from .streams import SlaStreams

log = get_logger(__name__)


@dataclass(frozen=True)
class SlaApp:
    """The faust app (not started) and the state its agents share."""

    faust: faust.App
    streams: SlaStreams


def create_app(
    settings: SlaSettings,
    rules: SlaRules,
    producer: AIOKafkaProducer,
    *,
    clock: Callable[[], datetime] = utc_now,
    kpis: FirstResponseKpis | None = None,
    on_escalation: Callable[[Event], None] = lambda _: None,
    datadir: Path | None = None,
) -> SlaApp:
    """Build the faust app with its agents, table and timer; ``producer`` is started by the caller."""
    s = settings
    faust_fixes.install()  # without them a record can be skipped at a rebalance (see the module)
    changelog_spec, due_spec = internal_topics(s)
    app = faust.App(
        s.sla_app_id,  # also the consumer group
        broker=f"kafka://{s.kafka_bootstrap}",
        store="memory://",  # the changelog is the state; it is read back on assignment
        datadir=str(datadir or Path(tempfile.gettempdir()) / "soporte-sla" / s.sla_app_id),  # faust wants one
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
    sla = SlaStreams(s, rules, producer, clock, kpis or FirstResponseKpis(), on_escalation)
    tickets_topic_name = TICKET_EVENTS.name(s.topic_prefix)

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

    def saved(ticket_id: str) -> TicketRecord:
        data = clocks.get(ticket_id)
        return TicketRecord.from_json(data) if data is not None else sla.engine.record(ticket_id)

    def keep(record: TicketRecord, partition: int) -> None:
        clocks[record.ticket_id] = {**record.as_json(), "partition": partition}
        sla.engine.hold(record, partition)

    @clocks.on_recover
    async def rebuild_heaps() -> None:
        sla.engine.forget_partitions()
        sla.processed.clear()
        for value in clocks.values():
            sla.engine.hold(TicketRecord.from_json(value), int(value["partition"]))
        sla.recovered.set()
        log.info("sla heap rebuilt", tickets=len(sla.engine.records))
        # Partitions taken over from a worker that died between publishing an escalation and its
        # table write reaching the changelog: the redelivered message would raise it again, and that
        # id was published after our start-up read-back. Faust resumes the partitions only after this
        # callback, so learning what is new on the topics here closes that window.
        try:
            await sla.read_back_published()
        except Exception:  # noqa: BLE001 - at least once: a rare duplicate beats a worker that stops
            log.warning("published ids not read back after the rebalance; a duplicate id is possible")

    @app.agent(tickets_topic)
    async def ticket_events(stream: faust.StreamT) -> None:
        async for record in stream.events():
            message = record.message
            try:
                event = decode(message.value)
            except UndecodableEvent as exc:
                await sla.dead_letter(message, str(exc))
                sla.processed[message.partition] = message.offset + 1
                continue
            if isinstance(event, t.TICKET_STREAM_TYPES) and event.ticket_id is not None:
                await apply_event(event, message)
            sla.processed[message.partition] = message.offset + 1

    async def apply_event(event: Event, message: Any) -> None:
        await sla.read_back.wait()
        before = saved(event.ticket_id)
        try:
            after, raised = sla.engine.apply(before, event, message.partition)
        except Exception as exc:  # noqa: BLE001 - the fold is pure: retrying the same event cannot help
            log.warning("event could not be applied", ticket_id=event.ticket_id, version=event.version, error=str(exc))
            await sla.dead_letter(message, f"{exc.__class__.__name__}: {exc}")
            return
        if after is before:
            return  # a version applied before
        await sla.publish_raised(raised)  # before the write: a crash in between raises the same ids again
        # The due agent may have marked levels raised while we published: keep those still live.
        marks = after.raised | saved(event.ticket_id).raised | {str(e.event_id) for e in raised}
        keep(sla.engine.keep_live(after, marks), message.partition)

    @app.agent(due_topic)
    async def due_tickets(stream: faust.StreamT) -> None:
        async for record in stream.events():
            await sla.read_back.wait()
            due = json.loads(record.value)
            ticket = saved(due["ticket_id"])
            raised = sla.engine.escalations_due(ticket, datetime.fromisoformat(due["up_to"]))
            if not raised:
                continue  # a stale or repeated due message raises nothing
            await sla.publish_raised(raised)
            keep(saved(due["ticket_id"]).with_raised(raised), record.message.partition)

    def caught_up(partitions: list[TopicPartition]) -> list[int]:
        """The partitions whose events are all processed (a timer may raise their levels up to now).

        The log end is the one the consumer's last fetch reported (it fetches all the time): asking the broker
        goes through faust's consumer thread and takes about a second. Unknown yet means not caught up.
        """
        committed = app.consumer._committed_offset  # noqa: SLF001 - faust keeps no public copy of it
        caught = []
        for tp in partitions:
            end = app.consumer.highwater(tp)
            if end is not None and max(sla.processed.get(tp.partition, 0), committed.get(tp) or 0) >= end:
                caught.append(tp.partition)
        return caught

    @app.task
    async def fire_due_timers() -> None:
        await sla.read_back.wait()
        await sla.recovered.wait()
        while not app.should_stop:
            try:
                if not app.rebalancing:
                    assigned = [tp for tp in app.consumer.assignment() if tp.topic == tickets_topic_name]
                    up_to = await sla.vouched_until(sla.clock() - sla.lateness)
                    for partition in caught_up(assigned) if up_to is not None else []:
                        for ticket_id in sla.engine.due_tickets(partition, up_to):
                            await send_due(ticket_id, partition, up_to)
            except Exception as exc:  # noqa: BLE001 - retried on a later tick
                log.warning("due timers not checked, will retry", error=f"{exc.__class__.__name__}: {exc}")
            await asyncio.sleep(sla.wait_seconds())

    async def send_due(ticket_id: str, partition: int, up_to: datetime) -> None:
        value = json.dumps({"ticket_id": ticket_id, "up_to": up_to.isoformat()}).encode()
        try:
            # Keyed by ticket id: the ticket events' partition (same default partitioner).
            await (await due_topic.send(key=ticket_id.encode("utf-8"), value=value))
        except BaseException:
            sla.engine.hold(sla.engine.record(ticket_id), partition, reschedule=True)
            raise

    return SlaApp(app, sla)
