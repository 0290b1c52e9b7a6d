"""The composition root: ``bootstrap`` wires the service layer, ``create_app`` the whole intake app.

Every collaborator is an argument with a default that fits production, so a test
swaps one by passing it (a clock, an in-memory unit of work, a file store, a
calendar); nothing is patched after construction. Resources that need a running
loop (the PostgreSQL pool, the relay, the orders reader) are opened and closed
in ``cleanup_ctx``.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import asyncpg
from aiohttp import web
from prometheus_client import CollectorRegistry

from soporte.businesstime import BusinessCalendar, load_calendar
from soporte.platform.clock import Clock, utc_now
from soporte.platform.guards import SMALL_BODY, body_guard
from soporte.platform.http import add_health_routes, problem_middleware, routed
from soporte.platform.migrations import migrate
from soporte.platform.openapi import build_openapi, served_routes
from soporte.platform.startup import Startup
from soporte.ticketrules import SlaPolicies, SlaRules, load_policies

from .adapters.agents import PostgresAgents
from .adapters.files import LocalFileStore
from .adapters.images import ImageViews
from .adapters.orders import PostgresOrders
from .adapters.passwords import Argon2Passwords, Passwords
from .adapters.relay import OutboxRelay
from .adapters.tokens import DeskTokens
from .domain.access import AccessLimits
from .entrypoints import keys
from .entrypoints.api import ROUTES, map_domain_error
from .entrypoints.auth import Authenticator
from .entrypoints.desk_api import DESK_DOCS, DESK_ROUTES, DESK_SCHEMAS
from .entrypoints.form import add_form_routes
from .entrypoints.orders_projection import follow_shop_orders
from .entrypoints.route_docs import DOCS, SCHEMAS
from .entrypoints.staff_api import STAFF_DOCS, STAFF_ROUTES, STAFF_SCHEMAS
from .entrypoints.uploads import MAX_FORM_FIELD_BYTES, UploadLimits
from .service_layer import handlers, views
from .service_layer.handlers import ReturnLabelDesk
from .service_layer.messagebus import MessageBus
from .service_layer.staff import STAFF_HANDLERS
from .service_layer.unit_of_work import PostgresUnitOfWork, UnitOfWork
from .settings import IntakeSettings

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
POOL = web.AppKey("pool", asyncpg.Pool)
OPENAPI = web.AppKey("openapi", dict)


def bootstrap(
    uow_factory: Callable[[], UnitOfWork],
    *,
    now: Clock,
    sla_rules: SlaRules,
    tokens: DeskTokens,
    labels: ReturnLabelDesk,
    limits: AccessLimits = AccessLimits(),
    passwords: Passwords | None = None,
    session_lifetime: timedelta = timedelta(hours=12),
) -> MessageBus:
    """The message bus: each handler gets, by the names of its parameters, the collaborators it asks for."""
    dependencies = {
        "now": now,
        "sla_rules": sla_rules,
        "tokens": tokens,
        "labels": labels,
        "limits": limits,
        "passwords": passwords or Argon2Passwords(),
        "session_lifetime": session_lifetime,
    }
    return MessageBus(
        uow_factory, {command: _inject(handler, dependencies) for command, handler in handlers.HANDLERS.items()}
    )


def staff_bus(
    uow_factory: Callable[[], UnitOfWork],
    *,
    now: Clock = utc_now,
    passwords: Passwords | None = None,
    limits: AccessLimits = AccessLimits(),
    session_lifetime: timedelta = timedelta(hours=12),
) -> MessageBus:
    """The staff commands alone (``soporte agents``: no calendar, files or labels needed)."""
    dependencies = {
        "now": now,
        "passwords": passwords or Argon2Passwords(),
        "limits": limits,
        "session_lifetime": session_lifetime,
    }
    return MessageBus(uow_factory, {command: _inject(h, dependencies) for command, h in STAFF_HANDLERS.items()})


def _inject(handler: Callable[..., Any], dependencies: dict[str, Any]) -> Callable[..., Any]:
    wanted = inspect.signature(handler).parameters
    return functools.partial(handler, **{name: value for name, value in dependencies.items() if name in wanted})


def create_app(
    settings: IntakeSettings,
    *,
    now: Clock = utc_now,
    uow_factory: Callable[[asyncpg.Pool], UnitOfWork] = PostgresUnitOfWork,
    file_store: LocalFileStore | None = None,
    calendar: BusinessCalendar | None = None,
    policies: SlaPolicies | None = None,
    run_relay: bool = True,
    run_orders_reader: bool = True,
) -> web.Application:
    """The intake app; the outbox relay and the shop-orders reader run alongside unless turned off.

    ``uow_factory`` makes a unit of work on the app's pool; ``file_store`` defaults
    to the folder of the settings; ``calendar`` and ``policies`` (the SLA rules
    behind the expected answer time) to the packaged ones or their override files.
    """
    startup = Startup()
    sizes = {"command": settings.max_body_bytes, "upload": settings.max_total_upload_bytes + MAX_FORM_FIELD_BYTES}
    middlewares = [
        problem_middleware(map_domain_error),
        startup.middleware,
        body_guard(sizes, idle_seconds=settings.body_idle_seconds),
    ]
    app = web.Application(middlewares=middlewares, client_max_size=SMALL_BODY)
    tokens = DeskTokens(
        settings.desk_secret,
        now,
        ticket_days=settings.ticket_link_days,
        guest_minutes=settings.guest_session_minutes,
    )
    sla_rules = SlaRules(calendar or load_calendar(), policies or load_policies())
    app[keys.SETTINGS], app[keys.SLA_RULES] = settings, sla_rules
    app[keys.UPLOAD_LIMITS] = UploadLimits(settings.max_file_bytes, settings.max_total_upload_bytes, settings.max_files)
    app[keys.IMAGES] = ImageViews(Path(settings.attachments_dir))
    registry = CollectorRegistry()
    stop = asyncio.Event()
    background: list[asyncio.Task] = []

    async def prepare() -> None:
        """The schema, the pool and what runs on it; PostgreSQL being away (also at start) is waited out."""
        await startup.attempt(
            stop, "PostgreSQL (migrations)", lambda: migrate(settings.database_url, "intake", MIGRATIONS)
        )
        pool = await startup.attempt(
            stop, "PostgreSQL (pool)", lambda: asyncpg.create_pool(settings.database_url, min_size=1, max_size=10)
        )
        if pool is None:
            return  # stopped while waiting
        new_uow = functools.partial(uow_factory, pool)
        # A failed request never removes a file a committed ticket uses.
        referenced = functools.partial(_file_is_referenced, new_uow)
        files = file_store or LocalFileStore(Path(settings.attachments_dir), is_referenced=referenced)
        labels = ReturnLabelDesk(settings.carrier_names, settings.return_address_lines, files)
        bus = bootstrap(
            new_uow,
            now=now,
            sla_rules=sla_rules,
            tokens=tokens,
            labels=labels,
            limits=settings.access_limits,
            session_lifetime=settings.session_lifetime,
        )
        revoked = functools.partial(_links_revoked_at, new_uow)
        authenticator = Authenticator(PostgresAgents(pool), settings.shop_secret, tokens, now, revoked)
        wiring = {POOL: pool, keys.UOW: new_uow, keys.FILES: files, keys.BUS: bus, keys.AUTH: authenticator}
        startup.wire(app, {**wiring, keys.ORDERS: PostgresOrders(pool)})
        if run_relay:
            relay = OutboxRelay(
                pool,
                settings.kafka_bootstrap,
                settings.topic_prefix,
                registry,
                poll_seconds=settings.relay_poll_seconds,
            )
            background.append(asyncio.create_task(relay.run(stop)))
        if run_orders_reader:
            background.append(asyncio.create_task(follow_shop_orders(pool, settings, registry, now, stop)))
        startup.finished()

    async def resources(app: web.Application):
        preparing = await startup.begin(prepare)
        yield
        stop.set()
        await asyncio.gather(preparing, return_exceptions=True)
        await asyncio.gather(*background, return_exceptions=True)
        if POOL in app:
            await app[POOL].close()

    app.cleanup_ctx.append(resources)
    for method, path, handler in [*ROUTES, *STAFF_ROUTES, *DESK_ROUTES]:
        app.router.add_route(method, routed(path), handler)
    add_form_routes(app)

    async def openapi(request: web.Request) -> web.Response:
        """The OpenAPI 3.1 document of this service."""
        return web.json_response(request.app[OPENAPI])

    app.router.add_get("/api/openapi.json", openapi)

    async def database() -> None:
        if POOL in app:  # else "started" says what it waits for
            await app[POOL].fetchval("SELECT 1")

    # Ready means "takes commands": PostgreSQL is enough. With Kafka away the outbox holds the events (its lag and
    # size are in /metrics), so intake stays ready.
    add_health_routes(app, registry, [("started", startup.check), ("database", database)])
    # Last: every route is registered by now, so none is missing from the document.
    app[OPENAPI] = build_openapi(
        served_routes(app.router),
        title="Soporte intake",
        description="Ticket commands: every change is an event.",
        docs=DOCS | STAFF_DOCS | DESK_DOCS,
        schemas=SCHEMAS | STAFF_SCHEMAS | DESK_SCHEMAS,
    )
    return app


async def _file_is_referenced(new_uow: Callable[[], UnitOfWork], sha256: str) -> bool:
    return await views.file_is_referenced(new_uow(), sha256)


async def _links_revoked_at(new_uow: Callable[[], UnitOfWork], ticket_id: str):
    return await views.links_revoked_at(new_uow(), ticket_id)
