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
from soporte.platform.http import add_health_routes, problem_middleware
from soporte.platform.kafka import make_producer
from soporte.platform.lifecycle import serve_app
from soporte.platform.projection import transaction_on
from soporte.platform.reader import TrackedReader
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
    app = web.Application(middlewares=[problem_middleware()], client_max_size=30 * 1024 * 1024)
    calendar = calendar or load_calendar()
    rules = SlaRules(calendar, policies or load_policies())
    app[keys.SETTINGS] = settings
    app[keys.CLOCK] = now
    app[keys.CALENDAR] = calendar
    app[keys.RULES] = rules
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
        hub = app[keys.LIVE] = LiveHub(settings.database_url)
        stop = asyncio.Event()
        tasks = [asyncio.create_task(hub.run(stop))]
        try:
            if run_reader:
                await producer.start()
                reader = app[keys.READER] = live_reader(settings, pool, producer, rules, now, registry)
                app[keys.READER_TASK] = asyncio.create_task(reader.run(stop))
                tasks.append(app[keys.READER_TASK])
                if settings.weekly_summary:
                    tasks.append(asyncio.create_task(WeeklySummaries(app, producer).run(stop)))
            yield
        finally:
            stop.set()
            await asyncio.gather(*tasks, return_exceptions=True)
            await producer.stop()
            await session.close()
            await pool.close()

    async def database() -> None:
        await app[keys.POOL].fetchval("SELECT 1")

    async def reader() -> None:
        if app[keys.READER_TASK].done():
            raise RuntimeError("the reader has stopped")
        if problem := app[keys.READER].readiness_problem():
            raise RuntimeError(problem)

    async def end_live_streams(app: web.Application) -> None:
        if keys.LIVE in app:
            app[keys.LIVE].close()

    app.cleanup_ctx.append(resources)
    app.on_shutdown.append(end_live_streams)
    add_health_routes(app, registry, [("database", database), *([("reader", reader)] if run_reader else [])])
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
