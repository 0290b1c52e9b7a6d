"""The notifier against the real Kafka, PostgreSQL and an aiosmtpd server."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime

import pytest

from soporte.events import DEAD_LETTERS, NOTIFICATION_OUTCOMES, TICKET_EVENTS, encode, event_key
from soporte.notifier.bootstrap import run
from soporte.notifier.settings import NotifierSettings
from soporte.platform.kafka import make_producer
from tests.support.kafka import read_topic_until

# Friday 17:50 in Madrid: 15 business minutes end Monday 00:05, so the 24-hour attention (Saturday 17:50)
# is what the acknowledgement promises.
SUBMITTED_AT = datetime(2026, 11, 27, 16, 50, tzinfo=UTC)


@pytest.fixture
def notifier_settings(pg_dsn, kafka_bootstrap, topic_prefix, smtp_sink) -> NotifierSettings:
    return NotifierSettings(
        database_url=pg_dsn,
        kafka_bootstrap=kafka_bootstrap,
        topic_prefix=topic_prefix,
        group_id=f"notifier-test-{uuid.uuid4().hex[:8]}",
        smtp_host=smtp_sink.host,
        smtp_port=smtp_sink.port,
        mail_from="Soporte <soporte@shop.test>",
        escalation_recipients="team-lead=lead@shop.test,ops=ops@shop.test",
        retry_base_seconds=0.1,
        retry_cap_seconds=0.5,
        poll_seconds=0.1,
    )


class RunningNotifier:
    def __init__(self, settings: NotifierSettings) -> None:
        self.settings, self.stop, self.task = settings, asyncio.Event(), None

    def start(self) -> RunningNotifier:
        self.stop = asyncio.Event()
        self.task = asyncio.create_task(run(self.settings, self.stop, serve_http=False))
        return self

    async def halt(self) -> None:
        self.stop.set()
        await asyncio.wait_for(self.task, 30)


@pytest.fixture
async def notifier(notifier_settings):
    running = RunningNotifier(notifier_settings)
    yield running
    if running.task and not running.task.done():
        await running.halt()


class Shop:
    """Publishes ticket events as intake's relay does (histories come from ``tests.support.scenario``)."""

    def __init__(self, bootstrap: str, prefix: str) -> None:
        self.producer = make_producer(bootstrap)
        self.topic = TICKET_EVENTS.name(prefix)
        self.sent: list = []

    async def publish(self, *events) -> None:
        for event in events:
            await self.producer.send_and_wait(self.topic, encode(event), key=event_key(event))
            self.sent.append(event)


@pytest.fixture
async def shop(kafka_bootstrap, topic_prefix):
    publisher = Shop(kafka_bootstrap, topic_prefix)
    await publisher.producer.start()
    yield publisher
    await publisher.producer.stop()


async def wait_for_mail(sink, count: int, timeout: float = 45.0):
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while loop.time() < end:
        messages = sink.messages()
        if len(messages) >= count:
            return messages
        await asyncio.sleep(0.2)
    raise AssertionError(f"expected {count} mails, got {len(sink.messages())}")


read_topic = read_topic_until  # events on a topic (from the start) once a predicate holds


@pytest.fixture
def outcomes_topic(topic_prefix):
    return NOTIFICATION_OUTCOMES.name(topic_prefix)


@pytest.fixture
def dead_letter_topic(topic_prefix):
    return DEAD_LETTERS.name(topic_prefix)
