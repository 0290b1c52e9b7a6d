"""Wiring projections from settings: PostgreSQL read models, the tracked reader, intake over HTTP, the web app.

Every collaborator is a defaulted argument of ``create_app`` (clock, calendar,
policies, principals), so tests swap in their own without patching.
"""

from __future__ import annotations

import asyncio

import aiohttp
import asyncpg
from aiohttp import web
from aiokafka import AIOKafkaProducer
from prometheus_client import CollectorRegistry

from soporte.businesstime import BusinessCalendar, load_calendar
from soporte.platform.clock import Clock, utc_now
from soporte.platform.guards import SMALL_BODY, body_guard
from soporte.platform.http import add_health_routes, problem_middleware
from soporte.platform.kafka import start_producer
from soporte.platform.lifecycle import serve_app
from soporte.platform.projection import transaction_on
from soporte.platform.reader import TrackedReader
from soporte.platform.startup import Startup
from soporte.projections import keys
from soporte.projections.adapters.intake import IntakeCommands, IntakePrincipals, Principals
from soporte.projections.adapters.live import LiveHub, notify_tickets
from soporte.projections.adapters.queries import ReadModels
from soporte.projections.adapters.tables import LIVE, GenerationGuard, LivePositions, create_pool, migrate
from soporte.projections.adapters.writer import ReadModelProjection, TableStore
from soporte.projections.domain.projection import Changes
from soporte.projections.entrypoints.access_pages import add_access_routes
from soporte.projections.entrypoints.api import add_api_routes
from soporte.projections.entrypoints.console import add_console_routes
from soporte.projections.entrypoints.dashboard import add_dashboard_routes
from soporte.projections.entrypoints.pages import add_page_templates
from soporte.projections.entrypoints.status_page import add_status_page_routes
from soporte.projections.entrypoints.weekly_summary import WeeklySummaries
from soporte.projections.reading import reader_settings
from soporte.projections.settings import ProjectionsSettings
from soporte.ticketrules import SlaPolicies, SlaRules, load_policies


def live_reader(
    settings: ProjectionsSettings,
    pool: asyncpg.Pool,
    producer: AIOKafkaProducer,
    rules: SlaRules,
    now: Clock,
    registry: CollectorRegistry,
) -> TrackedReader:
    """The reader keeping the live tables current; a rebuild's swap sends it to the new tables' positions."""
    guard = GenerationGuard(pool)

    async def tell_consoles(conn: asyncpg.Connection, changes: Changes) -> None:
        await notify_tickets(conn, [(stored.view.ticket_id, stored.view.version) for stored in changes.tickets])

    return TrackedReader(
        ReadModelProjection(TableStore(LIVE), rules, generation=guard, on_changes=tell_consoles),
        LivePositions(guard),
        transaction_on(pool),
        producer,
        reader_settings(settings, group_id=settings.group_id),
        now=now,
        registry=registry,
    )


def create_app(
    settings: ProjectionsSettings,
    *,
    now: Clock = utc_now,
    calendar: BusinessCalendar | None = None,
    policies: SlaPolicies | None = None,
    principals: Principals | None = None,
    run_reader: bool = True,
) -> web.Application:
    """The projections app: query API, pages, health and metrics; the tracked reader runs beside them unless off."""
    startup = Startup()
    guard = body_guard({"upload": settings.max_upload_bytes}, idle_seconds=settings.body_idle_seconds)
    app = web.Application(middlewares=[problem_middleware(), startup.middleware, guard], client_max_size=SMALL_BODY)
    calendar = calendar or load_calendar()
    rules = SlaRules(calendar, policies or load_policies())
    app[keys.SETTINGS] = settings
    app[keys.CLOCK] = now
    app[keys.CALENDAR] = calendar
    app[keys.RULES] = rules
    registry = CollectorRegistry()
    stop = asyncio.Event()

    async def prepare() -> None:
        """The read models' schema and pool (waited for), then the reader, which waits for Kafka itself."""
        await startup.attempt(stop, "PostgreSQL (migrations)", lambda: migrate(settings.database_url))
        pool = await startup.attempt(stop, "PostgreSQL (pool)", lambda: create_pool(settings.database_url))
        if pool is None:
            return  # stopped while waiting
        startup.wire(app, {keys.POOL: pool, keys.READ_MODELS: ReadModels(pool)})
        if run_reader:
            startup.wire(app, {keys.READER_TASK: asyncio.create_task(read(pool))})
        startup.finished()

    async def read(pool: asyncpg.Pool) -> None:
        producer = await start_producer(stop, settings.kafka_bootstrap, client_id="soporte-projections")
        if producer is None:
            return
        try:
            reader = live_reader(settings, pool, producer, rules, now, registry)
            Startup.wire(app, {keys.READER: reader})
            summaries = [WeeklySummaries(app, producer).run(stop)] if settings.weekly_summary else []
            await asyncio.gather(reader.run(stop), *summaries)
        finally:
            await producer.stop()

    async def resources(app: web.Application):
        session = aiohttp.ClientSession()
        app[keys.PRINCIPALS] = principals or IntakePrincipals(
            session, settings.intake_url, settings.whoami_cache_seconds
        )
        app[keys.COMMANDS] = IntakeCommands(session, settings.intake_url)
        hub = app[keys.LIVE] = LiveHub(settings.database_url)
        listening = asyncio.create_task(hub.run(stop))  # it waits for PostgreSQL itself
        preparing = None
        try:
            preparing = await startup.begin(prepare)
            yield
        finally:
            stop.set()
            tasks = (preparing, app.get(keys.READER_TASK), listening)
            await asyncio.gather(*(t for t in tasks if t), return_exceptions=True)
            await session.close()
            if keys.POOL in app:
                await app[keys.POOL].close()

    async def database() -> None:
        if keys.POOL in app:  # else "started" says what it waits for
            await app[keys.POOL].fetchval("SELECT 1")

    async def reader() -> None:
        if keys.READER_TASK not in app or keys.READER not in app:
            raise RuntimeError("the reader waits for Kafka")
        if app[keys.READER_TASK].done():
            raise RuntimeError("the reader has stopped")
        if problem := app[keys.READER].readiness_problem():
            raise RuntimeError(problem)

    async def end_live_streams(app: web.Application) -> None:
        if keys.LIVE in app:
            app[keys.LIVE].close()

    app.cleanup_ctx.append(resources)
    app.on_shutdown.append(end_live_streams)
    checks = [("started", startup.check), ("database", database), *([("reader", reader)] if run_reader else [])]
    add_health_routes(app, registry, checks)
    add_api_routes(app)
    add_page_templates(app)
    add_console_routes(app)
    add_dashboard_routes(app)
    add_status_page_routes(app)
    add_access_routes(app)
    return app


async def serve(settings: ProjectionsSettings, stop: asyncio.Event) -> None:
    """Serve until ``stop`` is set (SIGTERM)."""
    await serve_app(create_app(settings), settings.host, settings.port, stop)
