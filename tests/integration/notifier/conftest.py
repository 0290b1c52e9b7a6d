"""The notifier against the real Kafka, PostgreSQL and an aiosmtpd server."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime

import pytest

from soporte.events import (
    DEAD_LETTERS,
    NOTIFICATION_OUTCOMES,
    TICKET_EVENTS,
    Actor,
    ActorKind,
    Category,
    Language,
    encode,
    event_key,
)
from soporte.events import types as t
from soporte.notifier.bootstrap import run
from soporte.notifier.settings import NotifierSettings
from soporte.platform.kafka import make_producer
from tests.support.kafka import read_topic_until

# Friday 17:50 in Madrid: the shop calendar puts the 15-minute answer at Monday 00:05.
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
    """Publishes ticket events as intake's relay does."""

    def __init__(self, bootstrap: str, prefix: str) -> None:
        self.producer = make_producer(bootstrap)
        self.topic = TICKET_EVENTS.name(prefix)
        self.sent: list = []

    async def publish(self, event) -> None:
        await self.producer.send_and_wait(self.topic, encode(event), key=event_key(event))
        self.sent.append(event)

    async def submit(
        self, ticket_id: str, *, name="Ana Pérez", email="ana@example.com", language=Language.ES, actionable=False
    ):
        event = t.TicketSubmitted.create(
            data=t.TicketSubmittedData(
                category=Category.DAMAGED_ITEM,
                description="La pantalla llegó rota",
                customer=t.CustomerRef(name=name, email=email, language=language),
                order_number="100234",
                actionability=t.Actionability(actionable=actionable, missing=[] if actionable else ["photo"]),
            ),
            actor=Actor(kind=ActorKind.GUEST, id=email),
            occurred_at=SUBMITTED_AT,
            ticket_id=ticket_id,
            version=1,
        )
        await self.publish(event)
        return event

    async def agent_reply(self, ticket_id: str, version: int, body: str):
        event = t.AgentReplied.create(
            data=t.MessageData(body=body),
            actor=Actor(kind=ActorKind.AGENT, id="a-1"),
            occurred_at=SUBMITTED_AT,
            ticket_id=ticket_id,
            version=version,
        )
        await self.publish(event)
        return event


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
