"""A ticket's page in the console and its actions: only those that apply in its status, sent to intake.

The page shows what an agent needs beside the thread: photos as thumbnails (intake
draws them upright and without metadata), the order's items and date, the
customer's other tickets by customer and by order, the saved replies of the
customer's language with their placeholders already filled from this ticket, and
who else is replying («Marta está respondiendo», ``adapters.live``).

A reply carries the version the page showed (``expected_version``): if the ticket
changed meanwhile, intake refuses it (409) and the page comes back with the new
messages marked and the reply still in its box, to be read again and resent.
"""

from __future__ import annotations

import asyncio
import hmac
from datetime import datetime
from typing import Any

from aiohttp import web

from soporte.platform.guards import body_limit, same_site_only
from soporte.platform.http import posted_form, routed
from soporte.projections import keys
from soporte.projections.domain.access import Principal
from soporte.projections.domain.history import event_of
from soporte.projections.domain.tickets import TicketView
from soporte.projections.entrypoints.pages import (
    answer_to_form,
    csrf_for,
    message_page,
    min_version_of,
    proxy_attachment,
    send_form,
)
from soporte.projections.entrypoints.presenters import Refusal
from soporte.projections.entrypoints.staff_session import AREA, Again, bare_401, for_agents, render_console
from soporte.ticketrules import Explanation, agent_actions, explain, fill
from soporte.words import format_datetime

# Console action -> (intake path under the ticket, the form fields it takes, whether it takes files).
AGENT_ACTIONS: dict[str, tuple[str, tuple[str, ...], bool]] = {
    "reply": ("responses", ("body", "expected_version", "canned_reply_id"), True),
    "note": ("notes", ("body",), False),
    "clarify": ("clarification-requests", ("question",), False),
    "resolve": ("resolve", ("resolution",), False),
    "reopen": ("reopen", (), False),
    "assign-me": ("assignment", (), False),
    "return-label": ("return-labels", ("carrier", "tracking_number"), False),
    "courier-claim": ("courier-claims", ("carrier", "tracking_number", "reason"), False),
    "revoke-links": ("link-revocations", ("reason",), False),
}


def expected_by(view: TicketView, now: datetime, rules) -> datetime:
    """When the desk promises its next answer: the earliest running deadline, or else (no clock runs) the next
    response's target from now in business time."""
    return view.sla_due_at or rules.calendar.add_business_time(now, rules.policies.default.next_response)


async def canned_for(request: web.Request, view: TicketView, token: str) -> list[dict[str, Any]]:
    """The saved replies in the customer's language, their placeholders filled from this ticket."""
    app = request.app
    replies = await app[keys.COMMANDS].items("/api/v1/canned-replies", token, {"language": view.language})
    promise = expected_by(view, app[keys.CLOCK](), app[keys.RULES])
    values = {
        "customer_name": view.customer_name,
        "order_number": view.order_number or "",
        "ticket_id": view.ticket_id,
        "expected_by": format_datetime(promise, app[keys.CALENDAR].tz, view.language, zone_name=None),
    }
    return [{**reply, "filled": fill(str(reply.get("body", "")), values)} for reply in replies]


async def ticket_page(
    request: web.Request,
    principal: Principal,
    token: str,
    again: Again = Again(),
    seen_version: int | None = None,
) -> web.Response:
    app, ticket_id = request.app, request.match_info["ticket_id"]
    models = app[keys.READ_MODELS]
    wait = app[keys.SETTINGS].read_your_writes_seconds
    ticket = await models.readable_ticket(principal, ticket_id, min_version=min_version_of(request), wait_seconds=wait)
    if ticket is None:
        return message_page(request, AREA, 404, "not_found", hint=True)
    commands = app[keys.COMMANDS]
    thread, timeline, escalations, notifications, related, carriers, canned, order = await asyncio.gather(
        models.public_thread(ticket_id),
        models.timeline(ticket_id),
        models.escalations(ticket_id),
        models.notifications(ticket_id),
        models.related(ticket),
        commands.carriers(token),
        canned_for(request, ticket, token),
        commands.order(ticket.order_number, token) if ticket.order_number else asyncio.sleep(0),
    )
    chosen = next((r for r in canned if r.get("id") == request.query.get("canned")), None)
    if chosen and "body" not in again.typed:  # inserted without the script: the page comes back with it in the box
        again = again.filled({"body": chosen["filled"], "canned_reply_id": chosen["id"]})
    return render_console(
        request,
        "agent_ticket.html.j2",
        principal,
        token,
        again,
        ticket=ticket,
        actions={action.value for action in agent_actions(ticket.status)},
        thread=thread,
        timeline=timeline,
        escalations=escalations,
        notifications=notifications,
        sla=sla_now(request, timeline),
        carriers=carriers,
        canned=canned,
        order={**order, "placed": datetime.fromisoformat(order["placed_at"])} if order else None,
        by_customer=related[0],
        by_order=related[1],
        replying=[p for p in app[keys.LIVE].replying(ticket_id) if p.agent_id != principal.id],
        seen_version=seen_version,
        live_url=f"/agent/live?ticket={ticket_id}",
        refresh_seconds=app[keys.SETTINGS].console_refresh_seconds,
    )


def sla_now(request: web.Request, timeline: list) -> Explanation:
    """Each clock of the ticket now, replayed from its history through the shared rules."""
    return explain([event_of(entry) for entry in timeline], request.app[keys.RULES], request.app[keys.CLOCK]())


async def agent_ticket(request: web.Request, principal: Principal, token: str) -> web.Response:
    """One ticket for an agent: thread with photos, its order, the customer's other tickets, history, deadlines,
    escalations, mails sent, who else is replying, and the actions that apply."""
    return await ticket_page(request, principal, token)


async def agent_action(request: web.Request, principal: Principal, token: str) -> web.StreamResponse:
    """A console action, sent to intake with the agent's session; the page then shows the new version."""
    action, ticket_id = request.match_info["action"], request.match_info["ticket_id"]
    if action not in AGENT_ACTIONS:
        return message_page(request, AREA, 404, "not_found")
    path, fields, with_files = AGENT_ACTIONS[action]
    body = {"assignee_id": principal.id} if action == "assign-me" else None
    sent = await send_form(
        request, token, f"/api/v1/tickets/{ticket_id}/{path}", fields, with_files=with_files, body=body
    )
    if action == "reply" and not sent.forged:
        await request.app[keys.LIVE].announce(request.app[keys.POOL], ticket_id, principal.id, "", replying=False)

    async def again(status: int, refusal: Refusal) -> web.Response:
        seen = str((await posted_form(request)).get("expected_version", ""))
        seen_version = int(seen) if refusal.kind == "version-conflict" and seen.isdigit() else None
        typed = await Again.as_typed(request, ("body", "canned_reply_id"), status, refusal)
        return await ticket_page(request, principal, token, typed, seen_version)

    return await answer_to_form(request, AREA, sent, f"/agent/tickets/{ticket_id}", again)


async def agent_attachment(request: web.Request, _principal: Principal, token: str) -> web.StreamResponse:
    """A file of the ticket (``?inline=1``: a PDF opened in the browser), fetched from intake with the session."""
    inline = request.query.get("inline") == "1"
    return await proxy_attachment(request, token, lambda: message_page(request, AREA, 404, "not_found"), inline=inline)


async def agent_photo(request: web.Request, _principal: Principal, token: str) -> web.StreamResponse:
    """A photo of the ticket as intake draws it for agents (``thumb`` or ``full``)."""
    view = request.match_info["size"]
    return await proxy_attachment(request, token, lambda: web.Response(status=404), view=view)


async def presence(request: web.Request, principal: Principal, token: str) -> web.Response:
    """The signed-in agent is replying on the ticket (or has stopped): every console on it hears within a moment."""
    posted = await posted_form(request)
    if not hmac.compare_digest(str(posted.get("csrf", "")), csrf_for(token)):
        return web.Response(status=403)
    replying = posted.get("state") == "replying"
    name = principal.name or principal.id
    await request.app[keys.LIVE].announce(
        request.app[keys.POOL], request.match_info["ticket_id"], principal.id, name, replying=replying
    )
    return web.Response(status=204)


def add_ticket_routes(app: web.Application) -> None:
    ticket = "/agent/tickets/{ticket_id}"
    for method, path, handler, refused in (
        ("GET", "", agent_ticket, None),
        ("POST", "/presence", presence, bare_401),
        ("POST", "/{action}", agent_action, None),
        ("GET", "/attachments/{sha256}", agent_attachment, None),
        ("GET", "/attachments/{sha256}/views/{size}", agent_photo, bare_401),
    ):
        guarded = for_agents(handler, **({"refused": refused} if refused else {}))
        if method == "POST":  # a reply's files: the agent is known before the body is read
            guarded = same_site_only(body_limit("upload")(guarded) if handler is agent_action else guarded)
        app.router.add_route(method, routed(ticket + path), guarded)
