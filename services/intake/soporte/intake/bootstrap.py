"""``create_app(settings)``: the intake app wired from settings; resources opened and closed in cleanup_ctx."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
from aiohttp import web
from prometheus_client import CollectorRegistry

from soporte.platform.http import add_health_routes, problem_middleware
from soporte.platform.kafka import wait_for_kafka
from soporte.platform.migrations import apply_migrations

from .adapters.files import LocalFileStore
from .adapters.relay import OutboxRelay
from .adapters.store import Agents, EventStore, Orders
from .entrypoints import keys
from .entrypoints.api import ROUTES, map_domain_error
from .entrypoints.auth import AttemptLimiter, Authenticator
from .entrypoints.form import add_form_routes
from .entrypoints.openapi import app_routes, build_openapi
from .entrypoints.orders_consumer import OrdersConsumer
from .entrypoints.uploads import UploadLimits
from .service import TicketService
from .settings import IntakeSettings

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
POOL = web.AppKey("pool", asyncpg.Pool)
OPENAPI = web.AppKey("openapi", dict)


def utc_now() -> datetime:
    return datetime.now(UTC)


async def migrate(database_url: str) -> None:
    conn = await asyncpg.connect(database_url)
    try:
        await apply_migrations(conn, "intake", MIGRATIONS)
    finally:
        await conn.close()


def create_app(
    settings: IntakeSettings,
    *,
    now: Callable[[], datetime] = utc_now,
    run_relay: bool = True,
    run_orders_consumer: bool = True,
) -> web.Application:
    """The intake app; the outbox relay and the orders consumer run alongside unless turned off."""
    app = web.Application(middlewares=[problem_middleware(map_domain_error)], client_max_size=settings.max_body_bytes)
    app[keys.SETTINGS] = settings
    app[keys.CLOCK] = now
    app[keys.CLIENT_LIMITER] = AttemptLimiter(settings.guest_attempts_per_client, settings.guest_attempt_window_seconds)
    app[keys.ORDER_LIMITER] = AttemptLimiter(settings.guest_attempts_per_order, settings.guest_attempt_window_seconds)
    app[keys.FILES] = LocalFileStore(Path(settings.attachments_dir))
    app[keys.UPLOAD_LIMITS] = UploadLimits(settings.max_file_bytes, settings.max_total_upload_bytes, settings.max_files)
    registry = CollectorRegistry()

    async def resources(app: web.Application):
        await migrate(settings.database_url)
        pool = await asyncpg.create_pool(settings.database_url, min_size=1, max_size=10)
        app[POOL] = pool
        events = EventStore(pool)
        app[keys.SERVICE] = TicketService(events, now)
        app[keys.FILES].is_referenced = events.references_file  # a failed request never removes a file a ticket uses
        app[keys.ORDERS] = Orders(pool)
        app[keys.AGENTS] = Agents(pool)
        app[keys.AUTH] = Authenticator(app[keys.AGENTS], settings.shop_secret, settings.desk_secret, now)
        stop = asyncio.Event()
        background = []
        if run_relay:
            relay = OutboxRelay(
                pool,
                settings.kafka_bootstrap,
                settings.topic_prefix,
                registry,
                poll_seconds=settings.relay_poll_seconds,
            )
            background.append(asyncio.create_task(relay.run(stop)))
        if run_orders_consumer:
            consumer = OrdersConsumer(pool, settings.kafka_bootstrap, settings.topic_prefix, settings.group_id, now=now)
            background.append(asyncio.create_task(consumer.run(stop)))
        yield
        stop.set()
        await asyncio.gather(*background, return_exceptions=True)
        await pool.close()

    app.cleanup_ctx.append(resources)
    for method, path, handler in ROUTES:
        app.router.add_route(method, path, handler)
    add_form_routes(app)

    async def openapi(request: web.Request) -> web.Response:
        """The OpenAPI 3.1 document of this service."""
        return web.json_response(request.app[OPENAPI])

    app.router.add_get("/api/openapi.json", openapi)

    async def database() -> None:
        await app[POOL].fetchval("SELECT 1")

    async def kafka() -> None:
        await wait_for_kafka(settings.kafka_bootstrap, timeout=3)

    add_health_routes(app, registry, [("database", database), ("kafka", kafka)])
    app[OPENAPI] = build_openapi(app_routes(app.router))  # last: every route is registered by now
    return app
