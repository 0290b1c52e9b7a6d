"""The query API (``/api/v1``): agent queues, ticket detail, a customer's tickets, desk figures.

Customers, guests and ticket tokens only ever see their own tickets and the
public thread; any other ticket id is a 404, so its existence is not confirmed.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, time
from typing import Any

from aiohttp import web

from soporte.platform.http import FieldError, Problem
from soporte.projections import keys
from soporte.projections.adapters.store import ownership, row_sort_key, ticket_json
from soporte.projections.domain.access import Principal, may_read
from soporte.projections.domain.queues import QueryErrors, encode_cursor, parse_queue_query

UNAUTHORIZED = Problem(401, "unauthorized", "A valid token is needed")
AGENTS_ONLY = Problem(403, "agents-only", "Only agents can read this")
NOT_FOUND = Problem(404, "not-found", "No such ticket")
CUSTOMER_FIELDS = (
    "ticket_id",
    "version",
    "category",
    "status",
    "customer_name",
    "order_number",
    "language",
    "channel",
    "created_at",
    "last_activity_at",
    "resolved_at",
    "missing",
)


async def authenticated(request: web.Request) -> Principal:
    """The caller, or 401."""
    principal = await request.app[keys.PRINCIPALS].resolve(request.headers.get("Authorization"))
    if principal is None:
        raise UNAUTHORIZED
    return principal


async def agent(request: web.Request) -> Principal:
    principal = await authenticated(request)
    if not principal.is_agent:
        raise AGENTS_ONLY
    return principal


def customer_ticket_json(row) -> dict[str, Any]:
    """What a customer is told about their ticket (no assignee, priority or SLA internals)."""
    full = ticket_json(row)
    return {k: full[k] for k in CUSTOMER_FIELDS}


def parse_min_version(request: web.Request) -> int | None:
    raw = request.query.get("min_version")
    if raw is None:
        return None
    try:
        value = int(raw)
        if value < 1:
            raise ValueError
        return value
    except ValueError:
        raise Problem(
            422,
            "validation-error",
            "The request has invalid fields",
            errors=[FieldError("min_version", "must be a whole number from 1")],
        ) from None


async def wait_for_version(
    request: web.Request, ticket_id: str, min_version: int | None, principal: Principal | None = None
) -> None:
    """Read-your-writes: wait (bounded) until the projection holds ``min_version`` of the ticket.

    With a non-agent ``principal``, someone else's ticket waits as long as a missing one: an answer
    that came at once would tell the caller the ticket exists.
    """
    if min_version is None:
        return
    models = request.app[keys.READ_MODELS]
    loop = asyncio.get_running_loop()
    deadline = loop.time() + request.app[keys.SETTINGS].read_your_writes_seconds

    async def projected() -> bool:
        if principal is None or principal.is_agent:
            return ((await models.ticket_version(ticket_id)) or 0) >= min_version
        row = await models.ticket(ticket_id)
        return row is not None and row["version"] >= min_version and may_read(principal, ownership(row))

    while not await projected() and loop.time() < deadline:
        await asyncio.sleep(0.05)


async def queue(request: web.Request) -> web.Response:
    """An agent queue (unassigned, mine, waiting, at-risk, all): actionable first, then SLA due time, then age."""
    principal = await agent(request)
    try:
        query = parse_queue_query(request.match_info["view"], principal.id, dict(request.query))
    except QueryErrors as exc:
        raise Problem(
            422,
            "validation-error",
            "The request has invalid fields",
            errors=[FieldError(e.field, e.message) for e in exc.errors],
        ) from None
    rows = await request.app[keys.READ_MODELS].queue(query)
    page, more = rows[: query.limit], len(rows) > query.limit
    return web.json_response(
        {
            "view": query.view,
            "items": [ticket_json(r) for r in page],
            "next_cursor": encode_cursor(row_sort_key(page[-1])) if more else None,
        }
    )


async def ticket_detail(request: web.Request) -> web.Response:
    """One ticket: agents get the detail, the public thread and the timeline; its customer the public view."""
    principal = await authenticated(request)
    ticket_id = request.match_info["ticket_id"]
    await wait_for_version(request, ticket_id, parse_min_version(request), principal)
    models = request.app[keys.READ_MODELS]
    row = await models.ticket(ticket_id)
    if row is None or not may_read(principal, ownership(row)):
        raise NOT_FOUND
    thread = await models.public_thread(ticket_id)
    if principal.is_agent:
        body = {
            "ticket": ticket_json(row),
            "thread": thread,
            "timeline": await models.timeline(ticket_id),
            "escalations": await models.escalations(ticket_id),
            "notifications": await models.notifications(ticket_id),
        }
    else:
        body = {"ticket": customer_ticket_json(row), "thread": thread}
    return web.json_response(body, headers={"Projection-Version": str(row["version"])})


async def my_tickets(request: web.Request) -> web.Response:
    """The caller's own tickets (customers, guests, ticket tokens), newest first."""
    principal = await authenticated(request)
    if principal.is_agent:
        raise Problem(403, "customers-only", "Agents read the queues")
    rows = await request.app[keys.READ_MODELS].customer_tickets(principal)
    return web.json_response({"items": [customer_ticket_json(r) for r in rows]})


async def figures(request: web.Request) -> web.Response:
    """Desk figures: open tickets, breaches today (desk time zone), average first response in business minutes."""
    await agent(request)
    calendar = request.app[keys.CALENDAR]
    now: datetime = request.app[keys.CLOCK]()
    local_today = now.astimezone(calendar.tz).date()
    day_start = datetime.combine(local_today, time(0), tzinfo=calendar.tz)
    body = await request.app[keys.READ_MODELS].figures(day_start)
    return web.json_response({**body, "day": local_today.isoformat(), "time_zone": calendar.timezone})


ROUTES = [
    ("GET", "/api/v1/queues/{view}", queue),
    ("GET", "/api/v1/tickets/{ticket_id}", ticket_detail),
    ("GET", "/api/v1/me/tickets", my_tickets),
    ("GET", "/api/v1/figures", figures),
]


def openapi_document() -> dict[str, Any]:
    """The OpenAPI description of the query API (built from the routes above)."""
    problem = {
        "description": "problem+json",
        "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }
    ok = {"description": "OK", "content": {"application/json": {"schema": {"type": "object"}}}}
    paths: dict[str, Any] = {}
    for method, path, handler in ROUTES:
        params = [
            {"name": p, "in": "path", "required": True, "schema": {"type": "string"}}
            for p in ("view", "ticket_id")
            if "{" + p + "}" in path
        ]
        if path.endswith("{view}"):
            params[0]["schema"]["enum"] = ["unassigned", "mine", "waiting", "at-risk", "all"]
            params += [
                {"name": n, "in": "query", "schema": {"type": "string"}}
                for n in ("limit", "cursor", "category", "status", "assignee", "sla_state")
            ]
        if path.endswith("{ticket_id}"):
            params.append(
                {
                    "name": "min_version",
                    "in": "query",
                    "schema": {"type": "integer", "minimum": 1},
                    "description": "wait (bounded) until the projection holds this version",
                }
            )
        paths.setdefault(path, {})[method.lower()] = {
            "summary": (handler.__doc__ or "").strip().splitlines()[0],
            "security": [{"bearer": []}],
            "parameters": params,
            "responses": {"200": ok, "401": problem, "403": problem, "404": problem, "422": problem},
        }
    return {
        "openapi": "3.1.0",
        "info": {"title": "Soporte projections", "version": "1"},
        "paths": paths,
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "Problem": {
                    "type": "object",
                    "properties": {
                        "type": {"type": "string"},
                        "title": {"type": "string"},
                        "status": {"type": "integer"},
                        "detail": {"type": "string"},
                        "errors": {"type": "array"},
                    },
                }
            },
        },
    }


async def openapi(_: web.Request) -> web.Response:
    return web.json_response(openapi_document())


def add_api_routes(app: web.Application) -> None:
    for method, path, handler in ROUTES:
        app.router.add_route(method, path, handler)
    app.router.add_get("/api/openapi.json", openapi)
