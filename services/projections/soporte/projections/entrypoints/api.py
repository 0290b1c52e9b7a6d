"""The query API (``/api/v1``): agent queues, ticket detail, a customer's tickets, desk figures, leads' reports.

Customers, guests and ticket tokens only ever see their own tickets and the
public thread; any other ticket id is a 404, so its existence is not confirmed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields, is_dataclass
from datetime import date, datetime, timedelta
from typing import Any

from aiohttp import web

from soporte.platform.http import FieldError, Problem, routed
from soporte.platform.openapi import Doc, build_openapi, problem_response
from soporte.projections import keys
from soporte.projections.domain.history import event_of
from soporte.projections.domain.queues import (
    MAX_VERSION,
    VIEWS,
    QueryErrors,
    encode_cursor,
    parse_queue_query,
    view_sort_key,
    whole_number,
)
from soporte.projections.domain.tickets import TicketView
from soporte.projections.entrypoints.callers import agent, authenticated, validation_error
from soporte.projections.entrypoints.reports import REPORT_DOCS, REPORT_ROUTES
from soporte.ticketrules import explain


def not_found() -> Problem:
    """Made afresh for every request (an exception raised again keeps every earlier traceback)."""
    return Problem(404, "not-found", "No such ticket")


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


def json_ready(value: Any) -> Any:
    """A read model's dataclass (or anything in it) as JSON values: times in ISO 8601, durations in seconds,
    tuples as lists."""
    if isinstance(value, timedelta):
        return int(value.total_seconds())
    if is_dataclass(value):
        return {f.name: json_ready(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {key: json_ready(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_ready(item) for item in value]
    return value


def ticket_json(view: TicketView) -> dict[str, Any]:
    """A ticket as agents read it."""
    return {**json_ready(view), "sla_due_at": json_ready(view.sla_due_at)}


def customer_ticket_json(view: TicketView) -> dict[str, Any]:
    """What a customer is told about their ticket (no assignee, priority or SLA internals)."""
    full = ticket_json(view)
    return {k: full[k] for k in CUSTOMER_FIELDS}


AT_MOST_YEARS = 2
QUEUE_PARAMETERS = ("limit", "cursor", "category", "status", "assignee", "sla_state")


def parse_min_version(request: web.Request) -> int | None:
    raw = request.query.get("min_version")
    if raw is None:
        return None
    if (number := whole_number(raw)) is None or number < 1:
        raise validation_error(FieldError("min_version", f"must be a whole number from 1 to {MAX_VERSION}"))
    return number


def only_known_parameters(request: web.Request, *known: str) -> None:
    """A query parameter the route does not take is refused (422), as unknown body fields are: a typo must not
    pass for the default."""
    if unknown := sorted(set(request.query) - set(known)):
        raise validation_error(*(FieldError(name, "not a parameter of this route") for name in unknown))


async def queue(request: web.Request) -> web.Response:
    """An agent queue (unassigned, mine, waiting, at-risk, all): actionable first, then SLA due time, then age."""
    principal = await agent(request)
    only_known_parameters(request, *QUEUE_PARAMETERS)
    try:
        query = parse_queue_query(request.match_info["view"], principal.id, dict(request.query))
    except QueryErrors as exc:
        raise validation_error(*(FieldError(e.field, e.message) for e in exc.errors)) from None
    views = await request.app[keys.READ_MODELS].queue(query)
    page, more = views[: query.limit], len(views) > query.limit
    return web.json_response(
        {
            "view": query.view,
            "items": [ticket_json(v) for v in page],
            "next_cursor": encode_cursor(view_sort_key(page[-1])) if more else None,
        }
    )


async def ticket_detail(request: web.Request) -> web.Response:
    """One ticket: agents get the detail, the public thread and the timeline; its customer the public view."""
    principal = await authenticated(request)
    only_known_parameters(request, "min_version")
    ticket_id = request.match_info["ticket_id"]
    models = request.app[keys.READ_MODELS]
    view = await models.readable_ticket(
        principal,
        ticket_id,
        min_version=parse_min_version(request),
        wait_seconds=request.app[keys.SETTINGS].read_your_writes_seconds,
    )
    if view is None:
        raise not_found()
    thread = json_ready(await models.public_thread(ticket_id))
    if principal.is_agent:
        body = {
            "ticket": ticket_json(view),
            "thread": thread,
            "timeline": json_ready(await models.timeline(ticket_id)),
            "escalations": json_ready(await models.escalations(ticket_id)),
            "notifications": json_ready(await models.notifications(ticket_id)),
        }
    else:
        body = {"ticket": customer_ticket_json(view), "thread": thread}
    return web.json_response(body, headers={"Projection-Version": str(view.version)})


async def ticket_sla(request: web.Request) -> web.Response:
    """A ticket's SLA at an instant (``?at=``, default now): each clock, its deadline, time used and left (s)."""
    await agent(request)
    only_known_parameters(request, "at")
    ticket_id, at = request.match_info["ticket_id"], parse_instant(request)
    timeline = await request.app[keys.READ_MODELS].timeline(ticket_id)
    if not timeline:
        raise not_found()
    explanation = explain([event_of(entry) for entry in timeline], request.app[keys.RULES], at)
    return web.json_response(json_ready(explanation))


def parse_instant(request: web.Request) -> datetime:
    """``?at=`` as an aware instant (an ISO time with its offset) within ``AT_MOST_YEARS`` of now, else now (the
    calendar knows its holidays that far)."""
    now = request.app[keys.CLOCK]()
    raw = request.query.get("at")
    if raw is None:
        return now
    try:
        at = datetime.fromisoformat(raw)
    except ValueError:
        at = None
    if at is None or at.tzinfo is None or abs(at - now) > timedelta(days=365 * AT_MOST_YEARS):
        example = "2026-03-02T10:15:00+01:00"
        within = f"an ISO 8601 time with its offset (e.g. {example}) within {AT_MOST_YEARS} years of now"
        raise validation_error(FieldError("at", within))
    return at


async def my_tickets(request: web.Request) -> web.Response:
    """The caller's own tickets (customers, guests, ticket tokens), newest first."""
    principal = await authenticated(request)
    only_known_parameters(request)
    if principal.is_agent:
        raise Problem(403, "customers-only", "Agents read the queues")
    views = await request.app[keys.READ_MODELS].customer_tickets(principal)
    return web.json_response({"items": [customer_ticket_json(v) for v in views]})


async def figures(request: web.Request) -> web.Response:
    """Desk figures: open tickets, breaches today (desk time zone), average first response in business minutes."""
    await agent(request)
    only_known_parameters(request)
    calendar = request.app[keys.CALENDAR]
    body = await request.app[keys.READ_MODELS].figures(request.app[keys.CLOCK](), calendar.tz)
    return web.json_response({**json_ready(body), "time_zone": calendar.timezone})


ROUTES = [
    ("GET", "/api/v1/queues/{view}", queue),
    ("GET", "/api/v1/tickets/{ticket_id}", ticket_detail),
    ("GET", "/api/v1/tickets/{ticket_id}/sla", ticket_sla),
    ("GET", "/api/v1/me/tickets", my_tickets),
    ("GET", "/api/v1/figures", figures),
    *REPORT_ROUTES,
]


_OBJECT = {"description": "OK", "content": {"application/json": {"schema": {"type": "object"}}}}
_READ = {
    "200": _OBJECT,
    "401": problem_response("no valid token"),
    "403": problem_response("not allowed to read this"),
    "404": problem_response("no such ticket, or not yours"),
    "422": problem_response("a query parameter is invalid (the fields are named)"),
}
_QUERY = QUEUE_PARAMETERS
DOCS = {
    ("GET", "/api/v1/queues/{view}"): Doc(
        responses=_READ, parameters=[{"name": n, "in": "query", "schema": {"type": "string"}} for n in _QUERY]
    ),
    ("GET", "/api/v1/tickets/{ticket_id}"): Doc(
        responses=_READ,
        parameters=[
            {
                "name": "min_version",
                "in": "query",
                "schema": {"type": "integer", "minimum": 1, "maximum": MAX_VERSION},
                "description": "wait (bounded) until the projection holds this version",
            }
        ],
    ),
    ("GET", "/api/v1/tickets/{ticket_id}/sla"): Doc(
        responses=_READ,
        parameters=[
            {
                "name": "at",
                "in": "query",
                "schema": {"type": "string", "format": "date-time"},
                "description": "the instant to explain (default now)",
            }
        ],
    ),
    ("GET", "/api/v1/me/tickets"): Doc(responses=_READ),
    ("GET", "/api/v1/figures"): Doc(responses=_READ),
    **REPORT_DOCS,
}


def openapi_document() -> dict[str, Any]:
    """The OpenAPI description of the query API (the shared builder, over the routes above)."""
    document = build_openapi(
        ROUTES, title="Soporte projections", description="Read models: queues, tickets.", docs=DOCS
    )
    view = document["paths"]["/api/v1/queues/{view}"]["get"]["parameters"][0]
    view["schema"]["enum"] = list(VIEWS)
    return document


async def openapi(_: web.Request) -> web.Response:
    return web.json_response(openapi_document())


def add_api_routes(app: web.Application) -> None:
    for method, path, handler in ROUTES:
        app.router.add_route(method, routed(path), handler)
    app.router.add_get("/api/openapi.json", openapi)
