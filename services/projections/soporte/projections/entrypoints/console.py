"""The agent console (``/agent``): sign-in, queues with SLA countdowns, a ticket's page and its actions.

Only an agent's token (checked by intake's ``whoami``) opens it; the token is
kept in a cookie scoped to ``/agent``. Every action is sent to intake with that
token; the page then waits for the version intake answered (read-your-writes),
so the change is on screen.
"""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from soporte.platform.guards import body_limit, same_site_only
from soporte.platform.http import posted_form, routed
from soporte.projections import keys
from soporte.projections.domain.access import Principal
from soporte.projections.domain.history import event_of
from soporte.projections.domain.queues import VIEWS, QueryErrors, encode_cursor, parse_queue_query, view_sort_key
from soporte.projections.entrypoints.pages import (
    PACKAGE,
    answer_to_form,
    csrf_for,
    html_errors,
    message_page,
    min_version_of,
    principal_of,
    proxy_attachment,
    render,
    send_form,
    set_token_cookie,
)
from soporte.projections.entrypoints.presenters import Refusal
from soporte.projections.entrypoints.reports import breach_forecast
from soporte.ticketrules import Explanation, explain

AREA = "console"
AGENT_COOKIE = "soporte_agent"
QUEUE_PARAMETERS = ("limit", "cursor", "category", "status", "assignee", "sla_state")
# Console action -> (intake path under the ticket, the form fields it takes, whether it takes files).
AGENT_ACTIONS: dict[str, tuple[str, tuple[str, ...], bool]] = {
    "reply": ("responses", ("body",), True),
    "note": ("notes", ("body",), False),
    "clarify": ("clarification-requests", ("question",), False),
    "resolve": ("resolve", ("resolution",), False),
    "reopen": ("reopen", (), False),
    "assign-me": ("assignment", (), False),
    "return-label": ("return-labels", ("carrier", "tracking_number"), False),
    "courier-claim": ("courier-claims", ("carrier", "tracking_number", "reason"), False),
    "revoke-links": ("link-revocations", ("reason",), False),
}


async def signed_in_agent(request: web.Request) -> tuple[Principal, str] | None:
    """The agent whose token is in the console's cookie, and the token; None for anyone else."""
    token = request.cookies.get(AGENT_COOKIE)
    principal = await principal_of(request, token)
    if principal is None or not principal.is_agent:
        return None
    return principal, token or ""


def sign_in_page(request: web.Request, status: int = 200, error: bool = False) -> web.Response:
    return render(request, "agent_sign_in.html.j2", area=AREA, status=status, error=error)


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


@html_errors(AREA)
async def console(request: web.Request) -> web.Response:
    """The agent console: sign-in, or the queue (actionable first, then SLA due time) with live countdowns, and
    how many tickets will breach within the hour if nothing changes."""
    signed_in = await signed_in_agent(request)
    if signed_in is None:
        return sign_in_page(request)
    principal = signed_in[0]
    figures = await request.app[keys.READ_MODELS].figures(request.app[keys.CLOCK](), request.app[keys.CALENDAR].tz)
    context = await queue_context(request, principal)
    predicted = await breach_forecast(request.app)
    return render(
        request, "agent_queue.html.j2", area=AREA, agent=principal, figures=figures, forecast=predicted, **context
    )


@html_errors(AREA)
async def queue_rows(request: web.Request) -> web.Response:
    """The queue's rows alone (the console's polling refresh)."""
    signed_in = await signed_in_agent(request)
    if signed_in is None:
        return web.Response(status=401, text="")
    return render(request, "agent_queue_rows.html.j2", area=AREA, **await queue_context(request, signed_in[0]))


@html_errors(AREA)
async def sign_in(request: web.Request) -> web.Response:
    """Checks the token with intake; an agent's is kept in a cookie for the console."""
    posted = await posted_form(request)
    token = str(posted.get("token", "")).strip()
    principal = await principal_of(request, token)
    if principal is None or not principal.is_agent:
        return sign_in_page(request, status=401, error=True)
    response = web.HTTPSeeOther("/agent")
    set_token_cookie(request, response, AGENT_COOKIE, token, "/agent")
    raise response


async def sign_out(request: web.Request) -> web.Response:
    response = web.HTTPSeeOther("/agent")
    response.del_cookie(AGENT_COOKIE, path="/agent")
    raise response


async def ticket_page(
    request: web.Request, principal: Principal, token: str, *, status: int = 200, error: Refusal | None = None
) -> web.Response:
    ticket_id = request.match_info["ticket_id"]
    models = request.app[keys.READ_MODELS]
    wait = request.app[keys.SETTINGS].read_your_writes_seconds
    ticket = await models.readable_ticket(principal, ticket_id, min_version=min_version_of(request), wait_seconds=wait)
    if ticket is None:
        return message_page(request, AREA, 404, "not_found", hint=True)
    return render(
        request,
        "agent_ticket.html.j2",
        area=AREA,
        status=status,
        agent=principal,
        csrf=csrf_for(token),
        idem=str(uuid.uuid4()),
        ticket=ticket,
        thread=await models.public_thread(ticket_id),
        timeline=await models.timeline(ticket_id),
        escalations=await models.escalations(ticket_id),
        notifications=await models.notifications(ticket_id),
        sla=await sla_now(request, ticket_id),
        carriers=await request.app[keys.COMMANDS].carriers(token),
        error=error,
        refresh_seconds=request.app[keys.SETTINGS].console_refresh_seconds,
    )


async def sla_now(request: web.Request, ticket_id: str) -> Explanation:
    """Each clock of the ticket now, replayed from its history through the shared rules."""
    timeline = await request.app[keys.READ_MODELS].timeline(ticket_id)
    return explain([event_of(entry) for entry in timeline], request.app[keys.RULES], request.app[keys.CLOCK]())


@html_errors(AREA)
async def agent_ticket(request: web.Request) -> web.Response:
    """One ticket for an agent: thread with attachments, audit timeline, escalations, mails sent, and the actions."""
    signed_in = await signed_in_agent(request)
    if signed_in is None:
        return sign_in_page(request, status=401)
    return await ticket_page(request, *signed_in)


@html_errors(AREA)
async def agent_action(request: web.Request) -> web.Response:
    """A console action, sent to intake with the agent's token; the page then shows the new version."""
    signed_in = await signed_in_agent(request)
    if signed_in is None:
        return sign_in_page(request, status=401)
    principal, token = signed_in
    action, ticket_id = request.match_info["action"], request.match_info["ticket_id"]
    if action not in AGENT_ACTIONS:
        return message_page(request, AREA, 404, "not_found")
    path, fields, with_files = AGENT_ACTIONS[action]
    body = {"assignee_id": principal.id} if action == "assign-me" else None
    sent = await send_form(
        request, token, f"/api/v1/tickets/{ticket_id}/{path}", fields, with_files=with_files, body=body
    )

    async def again(status: int, refusal: Refusal) -> web.Response:
        return await ticket_page(request, principal, token, status=status, error=refusal)

    return await answer_to_form(request, AREA, sent, f"/agent/tickets/{ticket_id}", again)


@html_errors(AREA)
async def agent_attachment(request: web.Request) -> web.StreamResponse:
    """A file of the ticket, fetched from intake with the agent's token."""
    signed_in = await signed_in_agent(request)
    if signed_in is None:
        return sign_in_page(request, status=401)
    return await proxy_attachment(request, signed_in[1], lambda: message_page(request, AREA, 404, "not_found"))


async def console_script(request: web.Request) -> web.FileResponse:
    return web.FileResponse(PACKAGE / "static" / "console.js", headers={"Cache-Control": "max-age=300"})


async def to_console(_: web.Request) -> web.Response:
    raise web.HTTPFound("/agent")


def add_console_routes(app: web.Application) -> None:
    app.router.add_get("/", to_console)
    app.router.add_get("/agent", console)
    app.router.add_get("/agent/queue-rows", queue_rows)
    app.router.add_post("/agent/sign-in", same_site_only(sign_in))
    app.router.add_post("/agent/sign-out", same_site_only(sign_out))
    app.router.add_get(routed("/agent/tickets/{ticket_id}"), agent_ticket)
    app.router.add_post(
        routed("/agent/tickets/{ticket_id}/{action}"), same_site_only(body_limit("upload")(agent_action))
    )
    app.router.add_get(routed("/agent/tickets/{ticket_id}/attachments/{sha256}"), agent_attachment)
    app.router.add_get("/static/console.js", console_script)
