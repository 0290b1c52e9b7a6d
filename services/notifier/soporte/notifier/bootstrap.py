"""Wiring the notifier from settings: PostgreSQL ledger, Kafka, SMTP, and the health/metrics server."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
from aiohttp import web
from prometheus_client import CollectorRegistry

from soporte.businesstime import BusinessCalendar, load_calendar
from soporte.platform.http import add_health_routes, problem_middleware
from soporte.platform.kafka import make_producer
from soporte.platform.lifecycle import serve_app
from soporte.platform.migrations import apply_migrations
from soporte.ticketrules import SlaPolicies, load_policies

from .adapters.ledger import Ledger
from .adapters.mailer import SmtpMailer
from .entrypoints.worker import NotifierWorker
from .settings import NotifierSettings

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def utc_now() -> datetime:
    return datetime.now(UTC)


async def migrate(database_url: str) -> None:
    conn = await asyncpg.connect(database_url)
    try:
        await apply_migrations(conn, "notifier", MIGRATIONS)
    finally:
        await conn.close()


def create_health_app(pool: asyncpg.Pool, settings: NotifierSettings, registry: CollectorRegistry) -> web.Application:
    async def database() -> None:
        await pool.fetchval("SELECT 1")

    async def smtp() -> None:
        _, writer = await asyncio.wait_for(asyncio.open_connection(settings.smtp_host, settings.smtp_port), 3)
        writer.close()

    app = web.Application(middlewares=[problem_middleware()])
    add_health_routes(app, registry, [("database", database), ("smtp", smtp)])
    return app


async def run(
    settings: NotifierSettings,
    stop: asyncio.Event,
    *,
    calendar: BusinessCalendar | None = None,
    policies: SlaPolicies | None = None,
    now: Callable[[], datetime] = utc_now,
    serve_http: bool = True,
) -> None:
    """Run the notifier until ``stop`` is set; everything opened here is closed here."""
    await migrate(settings.database_url)
    registry = CollectorRegistry()
    pool = await asyncpg.create_pool(settings.database_url, min_size=1, max_size=5)
    producer = make_producer(settings.kafka_bootstrap, client_id="soporte-notifier")
    await producer.start()
    try:
        worker = NotifierWorker(
            settings,
            Ledger(pool),
            SmtpMailer(settings),
            producer,
            calendar or load_calendar(),
            policies or load_policies(),
            registry,
            now,
        )
        tasks = [asyncio.create_task(worker.consume(stop)), asyncio.create_task(worker.send_due(stop))]
        if serve_http:
            tasks.append(
                asyncio.create_task(
                    serve_app(create_health_app(pool, settings, registry), settings.host, settings.port, stop)
                )
            )
        done, _ = await asyncio.wait([*tasks, asyncio.create_task(stop.wait())], return_when=asyncio.FIRST_COMPLETED)
        stop.set()
        for task in tasks:
            if task in done and task.exception():
                raise task.exception()
        await asyncio.gather(*tasks, return_exceptions=True)
    finally:
        await producer.stop()
        await pool.close()
