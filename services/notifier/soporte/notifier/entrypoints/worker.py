"""The notifier's two loops: read events into the ledger, and send what the ledger says is due.

Reading: each message's notifications and the partition position are written in
one transaction, so a redelivered event adds nothing and a crash loses nothing.
Sending: due mails are claimed with a lease (a crashed sender's claims come due
again), sent, and marked; outcomes (NotificationSent/Failed) are published from
the ledger until acknowledged, with ids derived from the notification.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime, timedelta

import structlog
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRebalanceListener, TopicPartition
from prometheus_client import CollectorRegistry, Counter

from soporte.businesstime import BusinessCalendar
from soporte.events import (
    DEAD_LETTERS,
    NOTIFICATION_OUTCOMES,
    SLA_ESCALATIONS,
    TICKET_EVENTS,
    Actor,
    ActorKind,
    UndecodableEvent,
    decode,
    deterministic_id,
    encode,
)
from soporte.events import types as t
from soporte.notifier.adapters.ledger import FinishedNotification, Ledger
from soporte.notifier.adapters.mailer import SmtpMailer
from soporte.notifier.domain.notifications import DeliveryError, contact_from, next_attempt_at, plan
from soporte.notifier.domain.rendering import make_environment, render_email
from soporte.notifier.settings import NotifierSettings
from soporte.platform.kafka import make_consumer
from soporte.ticketrules import SlaPolicies

log = structlog.get_logger(__name__)
SYSTEM = Actor(kind=ActorKind.SYSTEM, id="notifier")
RECORD_ATTEMPTS = 3


class _SeekToStoredPositions(ConsumerRebalanceListener):
    """On assignment, continue from the positions stored with the ledger (not Kafka's commits)."""

    def __init__(self, consumer: AIOKafkaConsumer, ledger: Ledger) -> None:
        self.consumer, self.ledger = consumer, ledger

    async def on_partitions_revoked(self, revoked) -> None:
        return None

    async def on_partitions_assigned(self, assigned) -> None:
        stored = await self.ledger.positions(sorted({tp.topic for tp in assigned}))
        for tp in assigned:
            offset = stored.get((tp.topic, tp.partition))
            if offset is None:
                await self.consumer.seek_to_beginning(tp)
            else:
                self.consumer.seek(tp, offset)


class NotifierWorker:
    def __init__(
        self,
        settings: NotifierSettings,
        ledger: Ledger,
        mailer: SmtpMailer,
        producer: AIOKafkaProducer,
        calendar: BusinessCalendar,
        policies: SlaPolicies,
        registry: CollectorRegistry,
        now: Callable[[], datetime],
    ) -> None:
        self.settings, self.ledger, self.mailer, self.producer = settings, ledger, mailer, producer
        self.calendar, self.policies, self.now = calendar, policies, now
        self.templates = make_environment()
        self.wake = asyncio.Event()
        prefix = settings.topic_prefix
        self.topics = [TICKET_EVENTS.name(prefix), SLA_ESCALATIONS.name(prefix)]
        self.outcomes_topic = NOTIFICATION_OUTCOMES.name(prefix)
        self.dead_letter_topic = DEAD_LETTERS.name(prefix)
        self.sent = Counter(
            "soporte_notifications_sent_total", "Mails accepted by the SMTP relay", ["kind"], registry=registry
        )
        self.failed = Counter("soporte_notifications_failed_total", "Mails given up on", ["kind"], registry=registry)
        self.retried = Counter("soporte_notifications_retried_total", "Transient SMTP failures", registry=registry)

    # --- reading -------------------------------------------------------------------

    async def consume(self, stop: asyncio.Event) -> None:
        consumer = make_consumer(self.settings.kafka_bootstrap, group_id=self.settings.group_id)
        consumer.subscribe(self.topics, listener=_SeekToStoredPositions(consumer, self.ledger))
        await consumer.start()
        try:
            while not stop.is_set():
                batch = await consumer.getmany(timeout_ms=300, max_records=200)
                for tp, records in batch.items():
                    for record in records:
                        await self._record(tp, record)
                if batch:
                    self.wake.set()
        finally:
            await consumer.stop()

    async def _record(self, tp: TopicPartition, record) -> None:
        for attempt in range(1, RECORD_ATTEMPTS + 1):
            try:
                event = decode(record.value)
                contact = contact_from(event) or (
                    await self.ledger.contact(event.ticket_id) if event.ticket_id else None
                )
                notifications = plan(
                    event,
                    contact,
                    calendar=self.calendar,
                    policies=self.policies,
                    portal_url=self.settings.portal_url,
                    escalation_recipients=self.settings.recipients_by_role(),
                )
                await self.ledger.record(
                    tp.topic, tp.partition, record.offset, contact_from(event), notifications, self.now()
                )
                return
            except UndecodableEvent as exc:
                await self._dead_letter(tp, record, str(exc), attempts=1)
                return
            except Exception as exc:  # noqa: BLE001 - retried, then dead-lettered: never dropped
                log.warning(
                    "recording an event failed", topic=tp.topic, offset=record.offset, attempt=attempt, error=str(exc)
                )
                if attempt == RECORD_ATTEMPTS:
                    await self._dead_letter(tp, record, f"{exc.__class__.__name__}: {exc}", attempts=attempt)
                    return
                await asyncio.sleep(0.2 * 2**attempt)

    async def _dead_letter(self, tp: TopicPartition, record, reason: str, attempts: int) -> None:
        letter = t.DeadLettered.for_record(
            record,
            consumer="notifier",
            reason=reason,
            attempts=attempts,
            actor=SYSTEM,
            occurred_at=self.now(),
            event_id=deterministic_id("notifier-dead-letter", tp.topic, tp.partition, record.offset),
        )
        await self.producer.send_and_wait(self.dead_letter_topic, encode(letter), key=record.key)
        # The position moves on only once the letter is safely on the dead-letter topic.
        await self.ledger.record(tp.topic, tp.partition, record.offset, None, [], self.now())

    # --- sending --------------------------------------------------------------------

    async def send_due(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self.send_once()
                await self.publish_outcomes()
            except Exception as exc:  # noqa: BLE001 - the ledger keeps the work; try again next round
                log.warning("sending round failed", error=str(exc))
            try:
                await asyncio.wait_for(self.wake.wait(), timeout=self.settings.poll_seconds)
            except TimeoutError:
                pass
            self.wake.clear()

    async def send_once(self) -> int:
        s = self.settings
        claimed = await self.ledger.claim_due(self.now(), timedelta(seconds=s.lease_seconds), limit=s.claim_size)
        for item in claimed:
            n = item.notification
            try:
                await self.mailer.send(render_email(self.templates, n, s.mail_from))
            except DeliveryError as exc:
                if exc.permanent or item.attempts >= s.max_attempts:
                    await self.ledger.mark_failed(n.notification_id, self.now(), exc.reason)
                    self.failed.labels(n.kind).inc()
                    log.warning(
                        "notification failed", notification_id=n.notification_id, kind=n.kind, reason=exc.reason
                    )
                else:
                    at = next_attempt_at(
                        self.now(),
                        item.attempts,
                        timedelta(seconds=s.retry_base_seconds),
                        timedelta(seconds=s.retry_cap_seconds),
                    )
                    await self.ledger.mark_retry(n.notification_id, at, exc.reason)
                    self.retried.inc()
                continue
            await self.ledger.mark_sent(n.notification_id, self.now())
            self.sent.labels(n.kind).inc()
            log.info("notification sent", notification_id=n.notification_id, kind=n.kind, ticket_id=n.ticket_id)
        return len(claimed)

    async def publish_outcomes(self) -> None:
        for finished in await self.ledger.unpublished_outcomes():
            await self._publish_outcome(finished)
            await self.ledger.mark_outcome_published(finished.notification.notification_id)

    async def _publish_outcome(self, finished: FinishedNotification) -> None:
        n = finished.notification
        data = t.NotificationOutcomeData(
            notification_id=n.notification_id,
            kind=n.kind,
            recipient=n.recipient,
            source_event_id=n.source_event_id,
            attempts=max(1, finished.attempts),
            reason=finished.last_error,
        )
        cls = t.NotificationSent if finished.status == "sent" else t.NotificationFailed
        outcome = cls.create(
            data=data,
            actor=SYSTEM,
            occurred_at=self.now(),
            ticket_id=n.ticket_id,
            event_id=deterministic_id("notification-outcome", n.notification_id, finished.status, finished.attempts),
        )
        key = (n.ticket_id or n.notification_id).encode()
        if finished.status == "failed":
            letter = t.DeadLettered.create(
                data=t.DeadLetteredData(
                    consumer="notifier",
                    source_topic=TICKET_EVENTS.base_name,
                    key=n.ticket_id,
                    payload=encode(outcome).decode(),
                    reason=finished.last_error or "failed",
                    attempts=max(1, finished.attempts),
                ),
                actor=SYSTEM,
                occurred_at=self.now(),
                event_id=deterministic_id("notification-dead-letter", n.notification_id, finished.attempts),
            )
            await self.producer.send_and_wait(self.dead_letter_topic, encode(letter), key=key)
        await self.producer.send_and_wait(self.outcomes_topic, encode(outcome), key=key)
