"""The agent console (``/agent``): the queues, «asignarme el siguiente», and where every console page is routed.

Projections serves the console from its read models; intake decides everything
(who is signed in, ``staff_session``; every action, with the agent's session).
The pages are kept live by server-sent events (``live``) rather than polling.

- ``console_ticket``: a ticket's page and its actions; ``console_new``: a ticket
  for a caller; ``console_search``: the one search box; ``console_staff``: the
  leads' pages (agents, saved replies); ``dashboard``: the leads' dashboard.
"""

from __future__ import annotations

import hmac
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from soporte.platform.guards import same_site_only
from soporte.platform.http import posted_form
from soporte.projections import keys
from soporte.projections.domain.access import Principal
from soporte.projections.domain.queues import VIEWS, QueryErrors, encode_cursor, parse_queue_query, view_sort_key
from soporte.projections.entrypoints.console_new import add_new_ticket_routes
from soporte.projections.entrypoints.console_search import add_search_routes
from soporte.projections.entrypoints.console_staff import add_staff_routes
from soporte.projections.entrypoints.console_ticket import add_ticket_routes
from soporte.projections.entrypoints.live import add_live_routes
from soporte.projections.entrypoints.pages import PACKAGE, csrf_for, html_errors, message_page, render
from soporte.projections.entrypoints.reports import breach_forecast
from soporte.projections.entrypoints.staff_session import (
    AREA,
    bare_401,
    for_agents,
    render_console,
    sign_in,
    sign_in_page,
    sign_out,
    signed_in_agent,
)

QUEUE_PARAMETERS = ("limit", "cursor", "category", "status", "assignee", "sla_state")
TAKE_TRIES = 5  # unassigned tickets tried by «asignarme el siguiente» when others take them first


async def queue_context(request: web.Request, principal: Principal) -> dict[str, Any]:
    """A queue page's rows (an unknown view or filter shows the default queue) and where the next page is."""
    params = {k: v for k, v in request.query.items() if k in QUEUE_PARAMETERS and v}
    try:
        query = parse_queue_query(request.query.get("view", "unassigned"), principal.id, params)
    except QueryErrors:
        query = parse_queue_query("unassigned", principal.id, {})
    rows = await request.app[keys.READ_MODELS].queue(query)
    page = rows[: query.limit]
    next_url = None
    if len(rows) > query.limit:
        cursor = encode_cursor(view_sort_key(page[-1]))
        next_url = "/agent?" + urlencode({**params, "view": query.view, "cursor": cursor})
    return {
        "view": query.view,
        "views": VIEWS,
        "tickets": page,
        "next_url": next_url,
        "paged": bool(query.after),
        "refresh_seconds": request.app[keys.SETTINGS].console_refresh_seconds,
    }


async def queue_page(request: web.Request, principal: Principal, token: str, notice: str | None = None):
    figures = await request.app[keys.READ_MODELS].figures(request.app[keys.CLOCK](), request.app[keys.CALENDAR].tz)
    context = await queue_context(request, principal)
    predicted = await breach_forecast(request.app)
    return render_console(
        request,
        "agent_queue.html.j2",
        principal,
        token,
        figures=figures,
        forecast=predicted,
        notice=notice,
        live_url="/agent/live",
        **context,
    )


@html_errors(AREA)
async def console(request: web.Request) -> web.Response:
    """The agent console: sign-in, or the queue (actionable first, then SLA due time) with countdowns in words,
    kept current as tickets change, and how many tickets will breach within the hour if nothing changes."""
    signed_in = await signed_in_agent(request)
    if signed_in is None:
        return sign_in_page(request)
    return await queue_page(request, *signed_in)


async def queue_rows(request: web.Request, principal: Principal, _token: str) -> web.Response:
    """The queue's rows alone (what the page fetches when the live stream says tickets changed)."""
    return render(request, "agent_queue_rows.html.j2", area=AREA, **await queue_context(request, principal))


async def take_next(request: web.Request, principal: Principal, token: str) -> web.Response:
    """«Asignarme el siguiente»: the top of the unassigned queue, assigned to the agent at the version read, so
    two agents pressing at once get one ticket each (the one who comes second takes the next)."""
    posted = await posted_form(request)
    if not hmac.compare_digest(str(posted.get("csrf", "")), csrf_for(token)):
        return message_page(request, AREA, 403, "forbidden")
    query = parse_queue_query("unassigned", principal.id, {"limit": str(TAKE_TRIES)})
    for ticket in (await request.app[keys.READ_MODELS].queue(query))[:TAKE_TRIES]:
        answer = await request.app[keys.COMMANDS].post(
            f"/api/v1/tickets/{ticket.ticket_id}/assignment",
            token,
            json_body={"assignee_id": principal.id, "expected_version": ticket.version},
        )
        if answer.status in (200, 201):
            raise web.HTTPSeeOther(f"/agent/tickets/{ticket.ticket_id}?v={answer.body.get('version', '')}")
        if answer.status != 409:
            break
    return await queue_page(request, principal, token, notice="nothing_to_take")


async def console_script(request: web.Request) -> web.FileResponse:
    return web.FileResponse(PACKAGE / "static" / "console.js", headers={"Cache-Control": "max-age=300"})


async def to_console(_: web.Request) -> web.Response:
    raise web.HTTPFound("/agent")


def add_console_routes(app: web.Application) -> None:
    app.router.add_get("/", to_console)
    app.router.add_get("/agent", console)
    app.router.add_get("/agent/queue-rows", for_agents(queue_rows, refused=bare_401))
    app.router.add_post("/agent/sign-in", same_site_only(sign_in))
    app.router.add_post("/agent/sign-out", same_site_only(sign_out))
    app.router.add_post("/agent/next", same_site_only(for_agents(take_next)))
    add_ticket_routes(app)
    add_new_ticket_routes(app)
    add_search_routes(app)
    add_staff_routes(app)
    add_live_routes(app)
    app.router.add_get("/static/console.js", console_script)
