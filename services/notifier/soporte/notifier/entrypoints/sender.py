"""Sending what the ledger says is due, and publishing what became of each mail.

What can crash where, and what it costs:

- Due mails are claimed with a lease before they are sent. A sender that dies
  after the relay accepted a mail but before marking it sent leaves the claim
  to expire, and the mail goes again (at least once; the Message-ID is the
  same, so mail clients can tell). Nothing is lost.
- A transient failure (4xx, connection) is retried with jittered backoff up to
  ``max_attempts``; a permanent one (5xx, refused address, a mail that cannot
  be rendered) fails at once. ``soporte notifications retry`` queues failed
  mails again.
- Outcomes (``NotificationSent``/``NotificationFailed``, plus a dead letter for
  a failed mail) are published from the ledger until marked published, with
  ids derived from the notification and attempt: a crash in between publishes
  the same ids again, which readers dedupe.
- A failing round (database or broker away) is logged and tried again after a
  pause, or as soon as the reader commits again; the ledger keeps the work.
- Links are signed as the mail goes (``domain.links``), so no token is kept in
  the ledger and a mail sent late still carries links that work for their
  whole lifetime; a return label's PDF is printed again from the event's data.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Callable
from datetime import datetime, timedelta
from email.message import EmailMessage

import jinja2
from aiokafka import AIOKafkaProducer
from prometheus_client import CollectorRegistry, Counter

from soporte.events import (
    DEAD_LETTERS,
    NOTIFICATION_OUTCOMES,
    SLA_ESCALATIONS,
    TICKET_EVENTS,
    Actor,
    ActorKind,
    deterministic_id,
    encode,
)
from soporte.events import types as t
from soporte.notifier.adapters.ledger import ClaimedNotification, FinishedNotification, Ledger
from soporte.notifier.adapters.mailer import SmtpMailer
from soporte.notifier.domain.delivery import DeliveryError, next_attempt_at
from soporte.notifier.domain.links import printed_label, with_signed_links
from soporte.notifier.domain.notifications import ESCALATION, Notification
from soporte.notifier.domain.rendering import MailThreading, make_environment, render_email
from soporte.notifier.settings import NotifierSettings
from soporte.platform.logging import get_logger
from soporte.platform.tokens import TicketLinks

log = get_logger(__name__)
SYSTEM = Actor(kind=ActorKind.SYSTEM, id="notifier")
OUTAGE_PAUSE_SECONDS = 2.0


class Sender:
    """Sends due mails whenever woken (after the reader committed new ones) or every ``poll_seconds``."""

    def __init__(
        self,
        ledger: Ledger,
        mailer: SmtpMailer,
        producer: AIOKafkaProducer,
        settings: NotifierSettings,
        *,
        registry: CollectorRegistry,
        now: Callable[[], datetime],
    ) -> None:
        self.ledger, self.mailer, self.producer, self.settings, self.now = ledger, mailer, producer, settings, now
        self.templates = make_environment()
        self.links = TicketLinks(settings.desk_secret, timedelta(days=settings.ticket_link_days))
        self.threading = MailThreading(settings.mail_reply_address, settings.desk_secret)
        self.woken = asyncio.Event()
        self.outcomes_topic = NOTIFICATION_OUTCOMES.name(settings.topic_prefix)
        self.dead_letter_topic = DEAD_LETTERS.name(settings.topic_prefix)
        self.sent = Counter(
            "soporte_notifications_sent_total", "Mails accepted by the SMTP relay", ["kind"], registry=registry
        )
        self.failed = Counter("soporte_notifications_failed_total", "Mails given up on", ["kind"], registry=registry)
        self.retried = Counter("soporte_notifications_retried_total", "Transient SMTP failures", registry=registry)

    def wake(self) -> None:
        self.woken.set()

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            pause = self.settings.poll_seconds
            try:
                await self.send_due()
                await self.publish_outcomes()
            except Exception as exc:  # noqa: BLE001 - the ledger keeps the work; try again next round
                log.warning("sending round failed", error=f"{exc.__class__.__name__}: {exc}")
                # Not a round per poll while the database or broker is away; a wake-up (the reader
                # committed, so the database is back) still ends the pause early.
                pause = max(pause, OUTAGE_PAUSE_SECONDS)
            try:
                await asyncio.wait_for(self.woken.wait(), timeout=pause)
            except TimeoutError:
                pass
            self.woken.clear()

    async def send_due(self) -> int:
        """Claim, send and mark one batch of due mails; returns how many were claimed."""
        s = self.settings
        claimed = await self.ledger.claim_due(self.now(), timedelta(seconds=s.lease_seconds), limit=s.claim_size)
        for item in claimed:
            await self._send(item)
        return len(claimed)

    async def _send(self, item: ClaimedNotification) -> None:
        n = item.notification
        try:
            await self.mailer.send(self._render(n))
        except DeliveryError as exc:
            if exc.permanent or item.attempts >= self.settings.max_attempts:
                await self.ledger.mark_failed(n.notification_id, self.now(), exc.reason)
                self.failed.labels(n.kind).inc()
                log.warning("notification failed", notification_id=n.notification_id, kind=n.kind, reason=exc.reason)
            else:
                await self.ledger.mark_retry(n.notification_id, self._retry_at(item.attempts), exc.reason)
                self.retried.inc()
            return
        await self.ledger.mark_sent(n.notification_id, self.now())
        self.sent.labels(n.kind).inc()
        log.info("notification sent", notification_id=n.notification_id, kind=n.kind, ticket_id=n.ticket_id)

    def _render(self, n: Notification) -> EmailMessage:
        try:
            n = with_signed_links(n, self.links, self.now())
            message = render_email(self.templates, n, self.settings.mail_from, self.threading)
            if attached := printed_label(n):
                label, pdf, issued = attached
                if issued.label and hashlib.sha256(pdf).hexdigest() != issued.label.sha256:
                    # Printed by another version of the label library: the same label, other bytes.
                    log.warning("return label printed differently", notification_id=n.notification_id)
                message.add_attachment(pdf, maintype="application", subtype="pdf", filename=label.filename)
            return message
        except (jinja2.TemplateError, KeyError, ValueError) as exc:
            # Trying again renders the same thing: fail it now; `notifications retry` once fixed.
            raise DeliveryError(f"cannot render: {exc.__class__.__name__}: {exc}", permanent=True) from exc

    def _retry_at(self, attempts: int) -> datetime:
        s = self.settings
        base, cap = timedelta(seconds=s.retry_base_seconds), timedelta(seconds=s.retry_cap_seconds)
        return next_attempt_at(self.now(), attempts, base, cap)

    async def publish_outcomes(self) -> None:
        for finished in await self.ledger.unpublished_outcomes():
            await self._publish_outcome(finished)
            await self.ledger.mark_outcome_published(finished.notification.notification_id)

    async def _publish_outcome(self, finished: FinishedNotification) -> None:
        n = finished.notification
        attempts = max(1, finished.attempts)
        data = t.NotificationOutcomeData(
            notification_id=n.notification_id,
            kind=n.kind,
            recipient=n.recipient,
            source_event_id=n.source_event_id,
            attempts=attempts,
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
            source = SLA_ESCALATIONS if n.kind == ESCALATION else TICKET_EVENTS
            letter = t.DeadLettered.create(
                data=t.DeadLetteredData(
                    consumer="notifier",
                    source_topic=source.base_name,
                    key=n.ticket_id,
                    payload=encode(outcome).decode(),
                    reason=finished.last_error or "failed",
                    attempts=attempts,
                ),
                actor=SYSTEM,
                occurred_at=self.now(),
                event_id=deterministic_id("notification-dead-letter", n.notification_id, finished.attempts),
            )
            await self.producer.send_and_wait(self.dead_letter_topic, encode(letter), key=key)
        await self.producer.send_and_wait(self.outcomes_topic, encode(outcome), key=key)
