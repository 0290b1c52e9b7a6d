"""Mails sent once, in the customer's language, retried when the relay says later, dead-lettered when it says never."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections import Counter
from contextlib import asynccontextmanager
from datetime import timedelta
from urllib.parse import urlsplit

import asyncpg

from soporte.events import Language
from soporte.events import types as t
from soporte.platform.reply_tokens import ticket_of_message_id
from soporte.words import words
from tests.support.kafka import records_on
from tests.support.scenario import Stream

from .conftest import SUBMITTED_AT, RunningNotifier, read_topic, wait_for_mail


def plain(message) -> str:
    return message.get_body(("plain",)).get_content()


async def test_acknowledgements_in_the_customers_language_one_mail_per_reply_and_redelivery_sends_nothing(
    notifier, shop, smtp_sink, notifier_settings
):
    notifier.start()
    ana = Stream("T-NOTIFYES01")
    john = Stream("T-NOTIFYEN01", customer=t.CustomerRef(name="John Smith", email="john@example.com"))
    await shop.publish(
        ana.submitted(SUBMITTED_AT, missing=("photo_of_item",)),
        john.submitted(SUBMITTED_AT, language=Language.EN),
        ana.agent_replied(SUBMITTED_AT, "Le enviamos una pantalla nueva hoy mismo."),
    )
    messages = await wait_for_mail(smtp_sink, 3)

    by_subject = {m["Subject"]: m for m in messages}
    spanish = by_subject["[T-NOTIFYES01] Hemos recibido su ticket"]
    assert spanish["To"] == "Ana Pérez <ana@example.com>"
    # The earliest commitment: 24 hours of attention (Saturday 17:50 Madrid) before 15 business minutes (Monday).
    assert "sábado 28 de noviembre de 2026, 17:50 (Europe/Madrid)" in plain(spanish)
    assert words("es").vocabulary.missing_items.photo_of_item in plain(spanish)  # what is still missing
    english = by_subject["[T-NOTIFYEN01] We received your ticket"]
    assert "We have received your ticket" in plain(english)
    reply = by_subject["[T-NOTIFYES01] Respuesta a su ticket"]
    assert "Le enviamos una pantalla nueva hoy mismo." in plain(reply)

    # Redelivery: the same events again on the topic, and the consumer rewound to the start.
    await notifier.halt()
    await shop.publish(*shop.sent)
    conn = await asyncpg.connect(notifier_settings.database_url)
    try:
        await conn.execute("UPDATE notifier.positions SET next_offset = 0")
    finally:
        await conn.close()
    notifier.start()
    await read_topic(
        notifier_settings.kafka_bootstrap,
        f"{notifier_settings.topic_prefix}notifications.outcomes.v1",
        lambda s: len(s) >= 3,
    )
    await asyncio.sleep(3)
    assert len(smtp_sink.messages()) == 3


async def test_a_relay_that_says_451_then_accepts_gets_the_mail_after_a_retry(
    notifier, shop, smtp_sink, outcomes_topic, kafka_bootstrap
):
    smtp_sink.handler.replies.append("451 4.3.0 Try again later")
    notifier.start()
    await shop.publish(Stream("T-RETRY00001").submitted(SUBMITTED_AT))
    (message,) = await wait_for_mail(smtp_sink, 1)
    assert message["Subject"].startswith("[T-RETRY00001]")
    assert smtp_sink.handler.attempts == 2
    outcomes = await read_topic(
        kafka_bootstrap, outcomes_topic, lambda s: any(isinstance(e, t.NotificationSent) for e in s)
    )
    sent = [e for e in outcomes if isinstance(e, t.NotificationSent)]
    assert sent[0].data.attempts == 2 and sent[0].ticket_id == "T-RETRY00001"


async def test_a_550_ends_in_the_dead_letter_topic_with_a_failed_outcome_and_can_be_retried(
    notifier, shop, smtp_sink, outcomes_topic, dead_letter_topic, kafka_bootstrap, notifier_settings
):
    smtp_sink.handler.replies.append("550 5.1.1 No such user")
    notifier.start()
    nobody = t.CustomerRef(name="Ana Pérez", email="nobody@example.com")
    await shop.publish(Stream("T-BOUNCE0001", customer=nobody).submitted(SUBMITTED_AT))
    outcomes = await read_topic(
        kafka_bootstrap, outcomes_topic, lambda s: any(isinstance(e, t.NotificationFailed) for e in s)
    )
    failed = [e for e in outcomes if isinstance(e, t.NotificationFailed)][0]
    assert "550" in failed.data.reason and failed.data.recipient == "nobody@example.com"
    letters = await read_topic(kafka_bootstrap, dead_letter_topic, lambda s: bool(s))
    assert letters[0].data.consumer == "notifier" and "550" in letters[0].data.reason
    assert smtp_sink.messages() == []

    # `soporte notifications retry` queues it again; the relay now accepts.
    env = {**os.environ, "SOPORTE_DATABASE_URL": notifier_settings.database_url}
    retry = subprocess.run(
        [sys.executable, "-m", "soporte.cli.main", "notifications", "retry"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert retry.returncode == 0 and retry.stdout.startswith("1 failed notification"), retry.stderr
    (message,) = await wait_for_mail(smtp_sink, 1)
    assert message["To"].endswith("<nobody@example.com>")


async def test_killed_mid_batch_the_restarted_notifier_sends_every_pending_mail_once(
    shop, smtp_sink, notifier_settings, tmp_path
):
    s = notifier_settings
    env = {
        **os.environ,
        "SOPORTE_DATABASE_URL": s.database_url,
        "SOPORTE_KAFKA_BOOTSTRAP": s.kafka_bootstrap,
        "SOPORTE_TOPIC_PREFIX": s.topic_prefix,
        "SOPORTE_NOTIFIER_GROUP_ID": s.group_id,
        "SOPORTE_SMTP_HOST": s.smtp_host,
        "SOPORTE_SMTP_PORT": str(s.smtp_port),
        "SOPORTE_NOTIFIER_PORT": "0",
        "SOPORTE_NOTIFIER_POLL_SECONDS": "0.1",
        # Claims of the killed notifier come due again after the lease: keep it short here.
        "SOPORTE_NOTIFIER_LEASE_SECONDS": "3",
        "SOPORTE_LOG_LEVEL": "WARNING",
    }
    smtp_sink.handler.sender_delay_seconds = 0.5  # eight mails take four seconds: the kill lands mid-batch
    tickets = [f"T-KILL{n:06d}" for n in range(8)]
    await shop.publish(*(Stream(ticket_id).submitted(SUBMITTED_AT) for ticket_id in tickets))
    log = open(tmp_path / "notifier.log", "ab")
    first = subprocess.Popen([sys.executable, "-m", "soporte.notifier"], env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        await wait_for_mail(smtp_sink, 1, timeout=60)
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=30)
    sent_before_the_kill = len(smtp_sink.messages())
    assert sent_before_the_kill < len(tickets)  # so the second notifier has work, and is running when stopped
    second = subprocess.Popen([sys.executable, "-m", "soporte.notifier"], env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        await wait_for_mail(smtp_sink, len(tickets), timeout=90)
        await asyncio.sleep(2)  # anything sent twice would arrive by now
    finally:
        second.send_signal(signal.SIGTERM)
        assert second.wait(timeout=60) == 0
    per_ticket = Counter(m["Subject"].split("]")[0].strip("[") for m in smtp_sink.messages())
    assert per_ticket == Counter({ticket_id: 1 for ticket_id in tickets})


@asynccontextmanager
async def database_unreachable(admin_url: str, dsn: str):
    """The test's own database refuses every session and loses those it had (no one else's is touched)."""
    name = urlsplit(dsn).path.lstrip("/")
    admin = await asyncpg.connect(admin_url)
    try:
        await admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
        await admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
            name,
        )
        yield
    finally:
        await admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
        await admin.close()


async def test_a_database_outage_is_waited_out_and_nothing_is_dead_lettered(
    notifier, shop, smtp_sink, notifier_settings, infra, dead_letter_topic, kafka_bootstrap
):
    notifier.start()
    ana, bea = Stream("T-OUTAGE0001"), Stream("T-OUTAGE0002")
    await shop.publish(ana.submitted(SUBMITTED_AT))
    await wait_for_mail(smtp_sink, 1)

    async with database_unreachable(infra.database_url, notifier_settings.database_url):
        await shop.publish(bea.submitted(SUBMITTED_AT), ana.agent_replied(SUBMITTED_AT + timedelta(minutes=5)))
        await asyncio.sleep(5)  # the reader retries (and fails) several rounds meanwhile
        assert len(smtp_sink.messages()) == 1

    messages = await wait_for_mail(smtp_sink, 3)
    assert sorted(m["Subject"] for m in messages) == [
        "[T-OUTAGE0001] Hemos recibido su ticket",
        "[T-OUTAGE0001] Respuesta a su ticket",
        "[T-OUTAGE0002] Hemos recibido su ticket",
    ]
    assert await records_on(kafka_bootstrap, dead_letter_topic) == 0


async def test_postgresql_dying_between_sending_and_marking_sent_resends_the_same_message_id(
    smtp_sink, shop, notifier_settings, infra
):
    """The mail went out but the ledger never heard: sent again once the lease ends, recognisably the same mail."""
    running = RunningNotifier(notifier_settings.model_copy(update={"lease_seconds": 2})).start()
    try:
        smtp_sink.handler.accepted_delay_seconds = 3  # the 250 comes after the database is gone
        await shop.publish(Stream("T-RESEND0001").submitted(SUBMITTED_AT))
        await wait_for_mail(smtp_sink, 1)
        async with database_unreachable(infra.database_url, notifier_settings.database_url):
            smtp_sink.handler.accepted_delay_seconds = 0
            await asyncio.sleep(4)  # the 250 arrives, marking it sent fails, the lease runs out meanwhile
        copies = await wait_for_mail(smtp_sink, 2, timeout=60)
    finally:
        await running.halt()
    assert len(copies) == 2 and copies[0]["Subject"] == copies[1]["Subject"]
    assert copies[0]["Message-ID"] == copies[1]["Message-ID"]
    assert ticket_of_message_id(str(copies[0]["Message-ID"]), notifier_settings.desk_secret) == "T-RESEND0001"
