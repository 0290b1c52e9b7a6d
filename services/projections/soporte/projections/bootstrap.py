"""Wiring projections from settings: PostgreSQL read models, the Kafka reader, intake over HTTP, the web app."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import asyncpg
from aiohttp import web
from prometheus_client import CollectorRegistry

from soporte.businesstime import BusinessCalendar, load_calendar
from soporte.platform.http import add_health_routes, problem_middleware
from soporte.platform.kafka import make_producer
from soporte.platform.migrations import apply_migrations
from soporte.ticketrules import SlaPolicies, load_policies

from . import keys
from .adapters.intake import IntakeCommands, IntakePrincipals, Principals
from .adapters.store import LIVE, ReadModels, ReadModelWriter
from .entrypoints.api import add_api_routes
from .entrypoints.consumer import ProjectionConsumer
from .entrypoints.pages import add_page_routes
from .settings import ProjectionsSettings

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
CONSUMER = web.AppKey("consumer", ProjectionConsumer)
CONSUMER_TASK = web.AppKey("consumer_task", asyncio.Task)


def utc_now() -> datetime:
    return datetime.now(UTC)


async def migrate(database_url: str) -> None:
    conn = await asyncpg.connect(database_url)
    try:
        await apply_migrations(conn, "projections", MIGRATIONS)
    finally:
        await conn.close()


async def create_pool(database_url: str, max_size: int = 10) -> asyncpg.Pool:
    # No prepared-statement cache: a rebuild swaps tables by renaming, and a cached plan would still
    # point at the old ones.
    return await asyncpg.create_pool(database_url, min_size=1, max_size=max_size, statement_cache_size=0)


def create_app(
    settings: ProjectionsSettings,
    *,
    now: Callable[[], datetime] = utc_now,
    calendar: BusinessCalendar | None = None,
    policies: SlaPolicies | None = None,
    principals: Principals | None = None,
    run_consumer: bool = True,
) -> web.Application:
    """The projections app: query API, pages, health and metrics; the Kafka reader runs alongside unless turned off."""
    app = web.Application(middlewares=[problem_middleware()], client_max_size=30 * 1024 * 1024)
    calendar = calendar or load_calendar()
    policies = policies or load_policies()
    app[keys.SETTINGS] = settings
    app[keys.CLOCK] = now
    app[keys.CALENDAR] = calendar
    registry = CollectorRegistry()

    async def resources(app: web.Application):
        await migrate(settings.database_url)
        pool = await create_pool(settings.database_url)
        session = aiohttp.ClientSession()
        producer = make_producer(settings.kafka_bootstrap, client_id="soporte-projections")
        app[keys.POOL] = pool
        app[keys.READ_MODELS] = ReadModels(pool)
        app[keys.PRINCIPALS] = principals or IntakePrincipals(
            session, settings.intake_url, settings.whoami_cache_seconds
        )
        app[keys.COMMANDS] = IntakeCommands(session, settings.intake_url)
        stop = asyncio.Event()
        task = None
        try:
            if run_consumer:
                await producer.start()
                consumer = ProjectionConsumer(
                    pool,
                    ReadModelWriter(LIVE, calendar, policies),
                    producer,
                    bootstrap=settings.kafka_bootstrap,
                    prefix=settings.topic_prefix,
                    group_id=settings.group_id,
                    now=now,
                    registry=registry,
                )
                app[CONSUMER] = consumer
                task = app[CONSUMER_TASK] = asyncio.create_task(consumer.run(stop))
            yield
        finally:
            stop.set()
            if task is not None:
                await asyncio.gather(task, return_exceptions=True)
            await producer.stop()
            await session.close()
            await pool.close()

    async def database() -> None:
        await app[keys.POOL].fetchval("SELECT 1")

    async def reader() -> None:
        task = app.get(CONSUMER_TASK)
        if task is not None and task.done():
            raise RuntimeError("the reader has stopped")
        problem = app[CONSUMER].readiness_problem() if CONSUMER in app else None
        if problem:
            raise RuntimeError(problem)

    app.cleanup_ctx.append(resources)
    add_health_routes(app, registry, [("database", database), *([("reader", reader)] if run_consumer else [])])
    add_api_routes(app)
    add_page_routes(app)
    return app


async def serve(settings: ProjectionsSettings, stop: asyncio.Event) -> None:
    """Serve until ``stop`` is set (SIGTERM)."""
    from soporte.platform.lifecycle import serve_app

    await serve_app(create_app(settings), settings.host, settings.port, stop)
