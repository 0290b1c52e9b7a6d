"""A ticket for someone on the phone or in a chat (``/agent/new``), opened by an agent on the caller's behalf.

The agent finds the caller by order number, address or name (intake knows the
shop's orders: each customer comes with every order and its items), picks the
order, and fills in the channel, the category, the description and any files.
The ticket is created through intake's command API with the agent's session, so
intake records the channel and the agent, links a known order's account, and the
acknowledgement says it was opened during the call.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aiohttp import web

from soporte.events import Category, Channel
from soporte.platform.guards import body_limit, same_site_only
from soporte.projections import keys
from soporte.projections.domain.access import Principal
from soporte.projections.entrypoints.pages import answer_to_form, send_form
from soporte.projections.entrypoints.presenters import Refusal
from soporte.projections.entrypoints.staff_session import AREA, Again, for_agents, render_console
from soporte.words import LANGUAGES

FIELDS = ("category", "description", "customer_name", "customer_email", "order_number", "channel", "language")
CHANNELS = (Channel.PHONE.value, Channel.CHAT.value)


def _dated(order: dict[str, Any]) -> dict[str, Any]:
    return {**order, "placed": datetime.fromisoformat(order["placed_at"])}


async def new_ticket_page(
    request: web.Request,
    principal: Principal,
    token: str,
    again: Again = Again(),
) -> web.Response:
    """Find the caller (with their orders and items), pick the order, and fill in the ticket."""
    commands, query = request.app[keys.COMMANDS], request.query.get("q", "").strip()
    customers = await commands.items("/api/v1/customers", token, {"q": query}) if len(query) >= 2 else []
    chosen = None
    if request.query.get("order") and not again.typed:
        chosen = await commands.order(request.query["order"], token)
        if chosen:
            picked = {"customer_name": chosen.get("customer_name") or "", "customer_email": chosen["email"]}
            again = again.filled(picked | {"order_number": chosen["order_number"]})
    elif again.typed.get("order_number"):
        chosen = await commands.order(again.typed["order_number"], token)
    context = {
        "query": query,
        "customers": [{**c, "orders": [_dated(o) for o in c.get("orders", [])]} for c in customers],
        "chosen": _dated(chosen) if chosen else None,
        "categories": [c.value for c in Category],
        "channels": CHANNELS,
        "languages": LANGUAGES,
    }
    return render_console(request, "agent_new_ticket.html.j2", principal, token, again, **context)


async def open_ticket(request: web.Request, principal: Principal, token: str) -> web.StreamResponse:
    """The ticket created by intake on the caller's behalf; its page next (or this form again, as typed)."""
    sent = await send_form(request, token, "/api/v1/tickets", FIELDS, with_files=True)

    async def again(status: int, refusal: Refusal) -> web.Response:
        return await new_ticket_page(request, principal, token, await Again.as_typed(request, FIELDS, status, refusal))

    async def done(created: dict[str, Any]) -> web.StreamResponse:
        raise web.HTTPSeeOther(f"/agent/tickets/{created['ticket_id']}?v={created['version']}")

    return await answer_to_form(request, AREA, sent, done, again)


def add_new_ticket_routes(app: web.Application) -> None:
    app.router.add_get("/agent/new", for_agents(new_ticket_page))
    # the caller's files: the agent is known before the body is read
    app.router.add_post("/agent/new", same_site_only(body_limit("upload")(for_agents(open_ticket))))
