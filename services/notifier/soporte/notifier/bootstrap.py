"""Wiring the notifier: the shared reader into the ledger, the sender out of it, and health/metrics.

``run`` takes every collaborator that tests replace (calendar, policies, clock)
as a defaulted argument; everything it opens it also closes, and the first part
to fail stops the others. A dependency that is away, at start or later, is
waited for (with backoff), never a reason to exit.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import asyncpg
from aiohttp import web
from prometheus_client import CollectorRegistry

from soporte.businesstime import BusinessCalendar, load_calendar
from soporte.events import DEAD_LETTERS, SLA_ESCALATIONS, SLA_REPORTS, TICKET_EVENTS
from soporte.platform.clock import utc_now
from soporte.platform.guards import health_app
from soporte.platform.http import add_health_routes
from soporte.platform.kafka import start_producer
from soporte.platform.lifecycle import serve_app
from soporte.platform.migrations import migrate
from soporte.platform.positions import PostgresPositions
from soporte.platform.projection import ReaderSettings, transaction_on
from soporte.platform.reader import TrackedReader
from soporte.platform.startup import retry_until
from soporte.ticketrules import SlaPolicies, SlaRules, load_policies

from .adapters.ledger import Ledger
from .adapters.mailer import SmtpMailer
from .domain.notifications import Desk
from .entrypoints.projection import NotifierProjection
from .entrypoints.sender import Sender
from .settings import NotifierSettings

SERVICE = "notifier"
MIGRATIONS = Path(__file__).resolve().parent / "migrations"
POSITIONS = PostgresPositions("notifier.positions")  # created by migration 0001


@dataclass
class Parts:
    """What the notifier has opened so far (health checks report what is still missing)."""

    pool: asyncpg.Pool | None = None
    reader: TrackedReader | None = None


def create_health_app(parts: Parts, settings: NotifierSettings, registry: CollectorRegistry) -> web.Application:
    async def database() -> None:
        if parts.pool is None:
            raise RuntimeError("waiting for PostgreSQL")
        await parts.pool.fetchval("SELECT 1")

    async def smtp() -> None:
        _, writer = await asyncio.wait_for(asyncio.open_connection(settings.smtp_host, settings.smtp_port), 3)
        writer.close()

    async def reading() -> None:
        problem = parts.reader.readiness_problem() if parts.reader else "waiting for Kafka"
        if problem:
            raise RuntimeError(problem)

    app = health_app()
    add_health_routes(app, registry, [("database", database), ("smtp", smtp), ("reader", reading)])
    return app


def reader_settings(settings: NotifierSettings) -> ReaderSettings:
    prefix = settings.topic_prefix
    return ReaderSettings(
        bootstrap=settings.kafka_bootstrap,
        topics=[TICKET_EVENTS.name(prefix), SLA_ESCALATIONS.name(prefix), SLA_REPORTS.name(prefix)],
        dead_letter_topic=DEAD_LETTERS.name(prefix),
        group_id=settings.group_id,
    )


async def run(
    settings: NotifierSettings,
    stop: asyncio.Event,
    *,
    calendar: BusinessCalendar | None = None,
    policies: SlaPolicies | None = None,
    now: Callable[[], datetime] = utc_now,
    serve_http: bool = True,
) -> None:
    """Run the notifier until ``stop`` is set; PostgreSQL, Kafka or SMTP being away (also at start) is waited out."""
    rules = SlaRules(calendar or load_calendar(), policies or load_policies())
    desk = Desk(
        rules, settings.portal_url, settings.recipients_by_role(), settings.staff_language, settings.ticket_link_days
    )
    registry, parts = CollectorRegistry(), Parts()
    # Health first: the process answers (not ready) while it waits for its dependencies.
    http = (
        asyncio.create_task(serve_app(create_health_app(parts, settings, registry), settings.host, settings.port, stop))
        if serve_http
        else None
    )
    if http is not None:
        http.add_done_callback(lambda _: stop.set())  # its port taken: nothing to wait for, the process ends
    try:
        await retry_until(
            stop, "PostgreSQL (notifier migrations)", lambda: migrate(settings.database_url, SERVICE, MIGRATIONS)
        )
        parts.pool = await retry_until(
            stop,
            "PostgreSQL (notifier pool)",
            lambda: asyncpg.create_pool(settings.database_url, min_size=1, max_size=5),
        )
        producer = (
            None
            if parts.pool is None
            else await start_producer(stop, settings.kafka_bootstrap, client_id="soporte-notifier")
        )
        if producer is None:
            return  # stopped while waiting
        try:
            ledger = Ledger(parts.pool)
            sender = Sender(ledger, SmtpMailer(settings), producer, settings, registry=registry, now=now)
            projection = NotifierProjection(ledger, desk, wake_sender=sender.wake, now=now)
            parts.reader = TrackedReader(
                projection,
                POSITIONS,
                transaction_on(parts.pool),
                producer,
                reader_settings(settings),
                now=now,
                registry=registry,
            )
            await _until_stopped([parts.reader.run(stop), sender.run(stop)], stop)
        finally:
            await producer.stop()
    finally:
        stop.set()
        if http is not None:
            await http
        if parts.pool is not None:
            await parts.pool.close()


async def _until_stopped(parts: list[Coroutine], stop: asyncio.Event) -> None:
    """Run ``parts`` until ``stop`` is set or one of them ends; then stop them all, raising the first error."""
    tasks = [asyncio.create_task(part) for part in parts]
    stopped = asyncio.create_task(stop.wait())
    done, _ = await asyncio.wait([*tasks, stopped], return_when=asyncio.FIRST_COMPLETED)
    stop.set()
    await asyncio.gather(*tasks, stopped, return_exceptions=True)
    for task in tasks:
        if task in done and task.exception():
            raise task.exception()
