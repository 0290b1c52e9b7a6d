"""Keeps the orders the desk knows in step with ``shop.orders.v1``, on the shared tracked reader.

The reader (``soporte.platform.reader.TrackedReader``) commits each record's
effect (the order row, an upsert) and the position after it in one
transaction, and dead-letters what it cannot decode or store; a redelivered
order therefore changes nothing. This module only says what an ``OrderPlaced``
does and keeps the reader running while Kafka comes and goes.
"""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg
from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError
from prometheus_client import CollectorRegistry

from soporte.events import DEAD_LETTERS, SHOP_ORDERS, Event
from soporte.events import types as t
from soporte.intake.adapters.orders import PostgresOrders
from soporte.intake.settings import IntakeSettings
from soporte.platform.clock import Clock
from soporte.platform.kafka import ensure_topics, make_producer
from soporte.platform.lifecycle import sleep_unless
from soporte.platform.logging import get_logger
from soporte.platform.positions import PostgresPositions
from soporte.platform.projection import ReaderSettings, transaction_on
from soporte.platform.reader import TrackedReader

log = get_logger(__name__)

POSITIONS = PostgresPositions("intake.positions")  # the table is created by intake's migrations


class OrdersProjection:
    """``OrderPlaced`` -> ``intake.orders``; anything else on the topic is passed over."""

    name = "intake-orders"

    async def handle(self, conn: Any, event: Event, record: Any) -> None:
        if isinstance(event, t.OrderPlaced):
            await PostgresOrders(conn).upsert(event.data)


async def follow_shop_orders(
    pool: asyncpg.Pool, settings: IntakeSettings, registry: CollectorRegistry, now: Clock, stop: asyncio.Event
) -> None:
    """Read the shop's orders until ``stop``; a broker that is not there yet is waited for."""
    projection = OrdersProjection()
    producer = await _dead_letter_producer(settings, projection.name, stop)
    if producer is None:
        return  # stopped before Kafka answered
    reader_settings = ReaderSettings(
        bootstrap=settings.kafka_bootstrap,
        topics=[SHOP_ORDERS.name(settings.topic_prefix)],
        dead_letter_topic=DEAD_LETTERS.name(settings.topic_prefix),
        group_id=settings.group_id,
    )
    reader = TrackedReader(
        projection, POSITIONS, transaction_on(pool), producer, reader_settings, now=now, registry=registry
    )
    try:
        await reader.run(stop)  # waits out later outages itself
    finally:
        await producer.stop()


async def _dead_letter_producer(
    settings: IntakeSettings, client_id: str, stop: asyncio.Event
) -> AIOKafkaProducer | None:
    """A started producer once the broker answers and the topics are there; None when ``stop`` came first."""
    while not stop.is_set():
        producer = make_producer(settings.kafka_bootstrap, client_id=client_id)
        try:
            await ensure_topics(settings.kafka_bootstrap, [SHOP_ORDERS, DEAD_LETTERS], settings.topic_prefix)
            await producer.start()
            return producer
        except (KafkaError, OSError, TimeoutError) as exc:
            await producer.stop()
            log.warning("Kafka does not answer yet; the shop's orders wait", error=f"{exc.__class__.__name__}: {exc}")
            await sleep_unless(stop, 2.0)
    return None
