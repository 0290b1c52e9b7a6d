"""First-response KPIs on the topic and on the processor's HTTP side; bad input is dead-lettered."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import aiohttp

from soporte.events import DEAD_LETTERS, SLA_KPIS, TICKET_EVENTS, decode
from soporte.events import types as t
from soporte.platform.kafka import make_consumer, make_producer
from tests.support.scenario import Stream
from tests.support.smtp import free_port

S = timedelta(seconds=1)


async def read_until(bootstrap: str, topic: str, predicate, timeout: float = 60.0) -> list:
    """Events on ``topic`` once ``predicate(events)`` holds (bounded wait)."""
    consumer = make_consumer(bootstrap, topic, group_id=None)
    await consumer.start()
    seen: list = []
    try:
        loop = asyncio.get_running_loop()
        end = loop.time() + timeout
        while loop.time() < end and not predicate(seen):
            for records in (await consumer.getmany(timeout_ms=300)).values():
                seen.extend(decode(r.value) for r in records)
        assert predicate(seen), seen
        return seen
    finally:
        await consumer.stop()


async def read_for(bootstrap: str, topic: str, seconds: float) -> list:
    """Everything on ``topic`` after listening for ``seconds``."""
    consumer = make_consumer(bootstrap, topic, group_id=None)
    await consumer.start()
    seen: list = []
    try:
        loop = asyncio.get_running_loop()
        end = loop.time() + seconds
        while loop.time() < end:
            for records in (await consumer.getmany(timeout_ms=300)).values():
                seen.extend(decode(r.value) for r in records)
        return seen
    finally:
        await consumer.stop()


async def get_json_when(url: str, predicate, timeout: float = 60.0) -> dict:
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    last: object = None
    async with aiohttp.ClientSession() as http:
        while loop.time() < end:
            try:
                async with http.get(url) as response:
                    last = await response.json()
                    if response.status == 200 and predicate(last):
                        return last
            except aiohttp.ClientConnectionError as exc:
                last = exc
            await asyncio.sleep(0.3)
    raise AssertionError(f"{url}: {last}")


async def test_first_response_kpi_is_published_once_and_served_and_garbage_is_dead_lettered(
    sla_process, publish, kafka_bootstrap, topic_prefix
):
    port = free_port()
    t0 = datetime.now(UTC) - 60 * S
    fast, slow = Stream(), Stream()
    await publish(
        fast.submitted(t0), fast.agent_replied(t0 + 30 * S), slow.submitted(t0), slow.agent_replied(t0 + 90 * S)
    )
    producer = make_producer(kafka_bootstrap)
    await producer.start()
    await producer.send_and_wait(TICKET_EVENTS.name(topic_prefix), b"{not json", key=b"T-GARBAGE")
    await producer.stop()

    processor = sla_process(SOPORTE_SLA_WEB_ENABLED="true", SOPORTE_SLA_PORT=str(port))
    kpis = await get_json_when(f"http://127.0.0.1:{port}/kpis", lambda body: body["tickets"] == 2)
    assert kpis["average_minutes"] == 1.0 and kpis["p50_minutes"] == 0.5 and kpis["p90_minutes"] == 1.5
    assert kpis["per_ticket_minutes"] == {fast.ticket_id: 0.5, slow.ticket_id: 1.5}
    await get_json_when(f"http://127.0.0.1:{port}/readyz", lambda body: body["status"] == "ok")
    async with aiohttp.ClientSession() as http, http.get(f"http://127.0.0.1:{port}/metrics") as response:
        metrics = await response.text()
    assert 'sla_first_response_business_minutes{stat="average"} 1.0' in metrics

    measured = await read_until(kafka_bootstrap, SLA_KPIS.name(topic_prefix), lambda seen: len(seen) >= 2)
    assert sorted((e.ticket_id, e.data.business_seconds) for e in measured) == sorted(
        [(fast.ticket_id, 30), (slow.ticket_id, 90)]
    )
    letters = await read_until(kafka_bootstrap, DEAD_LETTERS.name(topic_prefix), lambda seen: len(seen) >= 1)
    assert (
        isinstance(letters[0], t.DeadLettered)
        and letters[0].data.consumer == "sla"
        and letters[0].data.key == "T-GARBAGE"
    )
    assert letters[0].data.payload == "{not json"

    # A restart reads the KPI topic back: nothing is measured twice.
    assert processor.stop() == 0
    sla_process(SOPORTE_SLA_WEB_ENABLED="true", SOPORTE_SLA_PORT=str(port))
    await get_json_when(f"http://127.0.0.1:{port}/readyz", lambda body: body["status"] == "ok")
    again = await read_for(kafka_bootstrap, SLA_KPIS.name(topic_prefix), 3)
    assert sorted(e.ticket_id for e in again) == sorted([fast.ticket_id, slow.ticket_id])
    assert len(await read_for(kafka_bootstrap, DEAD_LETTERS.name(topic_prefix), 1)) == 1  # not dead-lettered twice


async def test_escalations_watch_stops_cleanly_on_sigterm(sla_env):
    watch = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "soporte.cli.main",
        "escalations",
        "watch",
        "--json",
        env=sla_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    await asyncio.sleep(3)  # let it connect and start tailing
    assert watch.returncode is None
    watch.send_signal(signal.SIGTERM)
    out, err = await asyncio.wait_for(watch.communicate(), timeout=30)
    assert watch.returncode == 0, err.decode()
    assert out == b""  # nothing was escalated in this test's topics
