"""The real SLA worker (`python -m soporte.sla` subprocesses) against the test's Kafka topics."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import aiohttp
import pytest

from soporte.events import SLA_ESCALATIONS, TICKET_EVENTS, Event, decode, encode, event_key
from soporte.platform.kafka import make_consumer, make_producer
from tests.support.smtp import free_port

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
ALWAYS_OPEN = "timezone: UTC\nweekly:\n" + "".join(f"  {day}: ['00:00-24:00']\n" for day in WEEKDAYS)
# Targets of a few seconds (warning at 80%), so a test sees a whole clock run.
FAST_POLICY = "warning_fraction: 0.8\ndefault: {first_response: 4s, next_response: 4s, attention: 60s}\n"


class SlaProcess:
    """One processor run as operators run it, so it can be SIGKILLed for real."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.env, self.log = env, log
        self.proc: subprocess.Popen | None = None

    def start(self) -> SlaProcess:
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "soporte.sla"], env=self.env, stdout=log, stderr=subprocess.STDOUT
            )
        return self

    async def ready(self, timeout: float = 60.0) -> SlaProcess:
        """Wait for ``/readyz`` (the clocks table recovered, the published ids read back)."""
        url = f"http://127.0.0.1:{self.env['SOPORTE_SLA_PORT']}/readyz"
        loop = asyncio.get_running_loop()
        end = loop.time() + timeout
        async with aiohttp.ClientSession() as http:
            while loop.time() < end:
                assert self.proc is not None and self.proc.poll() is None, self.log.read_text()[-3000:]
                try:
                    async with http.get(url) as response:
                        if response.status == 200:
                            return self
                except aiohttp.ClientConnectionError:
                    pass
                await asyncio.sleep(0.2)
        raise AssertionError(f"{url} not ready within {timeout}s")

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=30)

    def stop(self) -> int | None:
        """SIGTERM and wait: the processor must exit cleanly."""
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise


@pytest.fixture
def sla_env(tmp_path, kafka_bootstrap, topic_prefix) -> dict[str, str]:
    calendar, policy = tmp_path / "calendar.yaml", tmp_path / "policy.yaml"
    calendar.write_text(ALWAYS_OPEN)
    policy.write_text(FAST_POLICY)
    return {
        **os.environ,
        "SOPORTE_KAFKA_BOOTSTRAP": kafka_bootstrap,
        "SOPORTE_TOPIC_PREFIX": topic_prefix,
        "SOPORTE_SLA_APP_ID": f"sla-test-{uuid.uuid4().hex[:8]}",
        "SOPORTE_SLA_WEB_ENABLED": "false",
        "SOPORTE_SLA_TICK_SECONDS": "0.2",
        # Targets of seconds here: a timer raises a level half a second after it is due (the relay is not in these
        # tests; the events are produced straight to the topic).
        "SOPORTE_SLA_ALLOWED_LATENESS_SECONDS": "0.5",
        "SOPORTE_CALENDAR_FILE": str(calendar),
        "SOPORTE_SLA_POLICY_FILE": str(policy),
        "SOPORTE_LOG_LEVEL": "INFO",
    }


@pytest.fixture
def sla_process(sla_env, tmp_path):
    """Start workers (each with the test's env, its own port and log, or overrides); all are stopped at the end."""
    started: list[SlaProcess] = []

    def start(**overrides: str) -> SlaProcess:
        env = {
            **sla_env,
            "SOPORTE_SLA_WEB_ENABLED": "true",  # for /readyz
            "SOPORTE_SLA_PORT": str(free_port()),
            "SOPORTE_SLA_SESSION_TIMEOUT_SECONDS": "6",  # the broker's minimum: a killed worker's partitions move soon
            **overrides,
        }
        process = SlaProcess(env, tmp_path / f"sla-{len(started)}.log").start()
        started.append(process)
        return process

    yield start
    for process in started:
        process.stop()


@pytest.fixture
async def publish(kafka_bootstrap, topic_prefix):
    """Publish ticket events onto the test's ticket topic with the shared codec."""
    producer = make_producer(kafka_bootstrap)
    await producer.start()

    async def send(*events: Event) -> None:
        for event in events:
            await producer.send_and_wait(TICKET_EVENTS.name(topic_prefix), encode(event), key=event_key(event))

    yield send
    await producer.stop()


class EscalationReader:
    """Everything on the escalation topic, read by one long-lived consumer."""

    def __init__(self, bootstrap: str, prefix: str) -> None:
        self.consumer = make_consumer(bootstrap, SLA_ESCALATIONS.name(prefix), group_id=None)
        self.seen: list[Event] = []

    async def listen(self, seconds: float) -> list[Event]:
        loop = asyncio.get_running_loop()
        end = loop.time() + seconds
        while loop.time() < end:
            batches = await self.consumer.getmany(timeout_ms=200)
            for records in batches.values():
                self.seen.extend(decode(r.value) for r in records)
        return self.seen

    async def wait_for(self, predicate, timeout: float = 60.0) -> list[Event]:
        """Poll until ``predicate(seen)`` holds (bounded)."""
        loop = asyncio.get_running_loop()
        end = loop.time() + timeout
        while loop.time() < end:
            if predicate(self.seen):
                return self.seen
            await self.listen(0.3)
        raise AssertionError(f"not seen within {timeout}s: {[(e.type, e.ticket_id) for e in self.seen]}")


@pytest.fixture
async def escalations(kafka_bootstrap, topic_prefix):
    reader = EscalationReader(kafka_bootstrap, topic_prefix)
    await reader.consumer.start()
    yield reader
    await reader.consumer.stop()
