"""The shop-orders reader on the real Kafka and PostgreSQL: stored once, bad records dead-lettered, never dropped."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime

import asyncpg
from aiohttp.test_utils import TestClient, TestServer

from soporte.events import DEAD_LETTERS, SHOP_ORDERS, Actor, ActorKind, deterministic_id, encode
from soporte.events import types as t
from soporte.intake.bootstrap import create_app
from soporte.platform.kafka import make_producer
from tests.support.kafka import read_topic_until, records_on

SHOP_KEY = b"shop-eu"  # one key: every record lands on one partition, so they are handled in this order


def order_placed(order_number: str, email: str) -> bytes:
    return encode(
        t.OrderPlaced.create(
            data=t.OrderPlacedData(
                order_number=order_number,
                email=email,
                customer_id="cust-3",
                customer_name="Dani",
                items=[t.OrderItem(sku="LCD-140", name="Pantalla 14", quantity=2)],
                placed_at=datetime.now(UTC),
            ),
            actor=Actor(kind=ActorKind.SYSTEM, id="shop"),
            occurred_at=datetime.now(UTC),
        )
    )


async def wait_for_order(dsn: str, order_number: str, timeout: float = 30.0) -> asyncpg.Record:
    conn = await asyncpg.connect(dsn)
    try:
        loop = asyncio.get_running_loop()
        end = loop.time() + timeout
        while loop.time() < end:
            row = await conn.fetchrow("SELECT * FROM intake.orders WHERE order_number = $1", order_number)
            if row:
                return row
            await asyncio.sleep(0.2)
        raise AssertionError(f"order {order_number} never stored")
    finally:
        await conn.close()


async def test_orders_are_stored_once_and_a_bad_record_is_dead_lettered_not_dropped(intake_settings):
    shop_topic = SHOP_ORDERS.name(intake_settings.topic_prefix)
    producer = make_producer(intake_settings.kafka_bootstrap)
    await producer.start()
    try:
        async with TestClient(TestServer(create_app(intake_settings, run_relay=False))) as client:
            await producer.send_and_wait(shop_topic, b"{not json at all", key=SHOP_KEY)
            await producer.send_and_wait(shop_topic, order_placed("200001", "Dani@Example.com"), key=SHOP_KEY)
            await producer.send_and_wait(
                shop_topic, order_placed("200001", "dani@example.com"), key=SHOP_KEY
            )  # redelivered
            row = await wait_for_order(intake_settings.database_url, "200001")
            assert row["email"] == "dani@example.com" and row["customer_id"] == "cust-3"
            letters = await read_topic_until(
                intake_settings.kafka_bootstrap, DEAD_LETTERS.name(intake_settings.topic_prefix), bool
            )
            (letter,) = letters
            assert letter.type == "DeadLettered" and letter.data.consumer == "intake-orders"
            assert letter.data.source_topic == shop_topic and letter.data.source_offset == 0
            assert letter.data.payload == "{not json at all" and letter.data.reason.startswith("undecodable")
            # The reader derives the letter's id from the record's place, and counts what it gave up on.
            place = (shop_topic, letter.data.source_partition, 0)
            assert letter.event_id == deterministic_id("intake-orders-dead-letter", *place)
            assert "soporte_intake_orders_dead_lettered_total 1.0" in await (await client.get("/metrics")).text()

        # A second start, with a consumer group Kafka has never seen: the position stored with the rows decides.
        restarted = intake_settings.model_copy(update={"group_id": f"intake-test-{uuid.uuid4().hex[:8]}"})
        async with TestClient(TestServer(create_app(restarted, run_relay=False))):
            await producer.send_and_wait(shop_topic, order_placed("200002", "eli@example.com"), key=SHOP_KEY)
            await wait_for_order(intake_settings.database_url, "200002")
    finally:
        await producer.stop()
    assert (
        await records_on(intake_settings.kafka_bootstrap, DEAD_LETTERS.name(intake_settings.topic_prefix)) == 1
    )  # not again
    conn = await asyncpg.connect(intake_settings.database_url)
    try:
        assert await conn.fetchval("SELECT count(*) FROM intake.orders") == 2
        assert await conn.fetchval("SELECT sum(next_offset) FROM intake.positions WHERE topic = $1", shop_topic) == 4
    finally:
        await conn.close()
