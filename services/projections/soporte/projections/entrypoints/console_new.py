"""A ticket for someone on the phone or in a chat (``/agent/new``), opened by an agent on the caller's behalf.

The agent finds the caller by order number, address or name (intake knows the
shop's orders: each customer comes with every order and its items), picks the
order, and fills in the channel, the category, the description and any files.
The ticket is created through intake's command API with the agent's session, so
intake records the channel and the agent, links a known order's account, and the
acknowledgement says it was opened during the call.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from aiohttp import web

from soporte.events import Category, Channel
from soporte.projections import keys
from soporte.projections.domain.access import Principal
from soporte.projections.entrypoints.pages import csrf_for, html_errors, message_page, render, send_form
from soporte.projections.entrypoints.presenters import Refusal
from soporte.projections.entrypoints.staff_session import AREA, sign_in_page, signed_in_agent
from soporte.words import LANGUAGES

FIELDS = ("category", "description", "customer_name", "customer_email", "order_number", "channel", "language")
CHANNELS = (Channel.PHONE.value, Channel.CHAT.value)


def _dated(order: dict[str, Any]) -> dict[str, Any]:
    return {**order, "placed": datetime.fromisoformat(order["placed_at"])}


async def new_ticket_page(
    request: web.Request,
    principal: Principal,
    token: str,
    *,
    status: int = 200,
    typed: dict[str, str] | None = None,
    error: Refusal | None = None,
) -> web.Response:
    commands, query = request.app[keys.COMMANDS], request.query.get("q", "").strip()
    customers = await commands.items("/api/v1/customers", token, {"q": query}) if len(query) >= 2 else []
    typed = dict(typed or {})
    chosen = None
    if request.query.get("order") and not typed:
        chosen = await commands.order(request.query["order"], token)
        if chosen:
            typed |= {
                "customer_name": chosen.get("customer_name") or "",
                "customer_email": chosen["email"],
                "order_number": chosen["order_number"],
            }
    elif typed.get("order_number"):
        chosen = await commands.order(typed["order_number"], token)
    return render(
        request,
        "agent_new_ticket.html.j2",
        area=AREA,
        status=status,
        agent=principal,
        csrf=csrf_for(token),
        idem=str(uuid.uuid4()),
        query=query,
        customers=[{**c, "orders": [_dated(o) for o in c.get("orders", [])]} for c in customers],
        chosen=_dated(chosen) if chosen else None,
        typed=typed,
        error=error,
        categories=[c.value for c in Category],
        channels=CHANNELS,
        languages=LANGUAGES,
    )


@html_errors(AREA)
async def new_ticket(request: web.Request) -> web.Response:
    """Find the caller (with their orders and items), pick the order, and fill in the ticket."""
    signed_in = await signed_in_agent(request)
    if signed_in is None:
        return sign_in_page(request, status=401)
    return await new_ticket_page(request, *signed_in)


@html_errors(AREA)
async def open_ticket(request: web.Request) -> web.Response:
    """The ticket created by intake on the caller's behalf; its page next (or this form again, as typed)."""
    signed_in = await signed_in_agent(request)
    if signed_in is None:
        return sign_in_page(request, status=401)
    sent = await send_form(request, signed_in[1], "/api/v1/tickets", FIELDS, with_files=True)
    if sent.forged:
        return message_page(request, AREA, 403, "forbidden")
    refusal = sent.refusal()
    if refusal is None:
        raise web.HTTPSeeOther(f"/agent/tickets/{sent.answer.body['ticket_id']}?v={sent.answer.body['version']}")
    posted = await request.post()
    typed = {name: str(posted.get(name, "")) for name in FIELDS}
    return await new_ticket_page(request, *signed_in, status=sent.answer.status, typed=typed, error=refusal)


def add_new_ticket_routes(app: web.Application) -> None:
    app.router.add_get("/agent/new", new_ticket)
    app.router.add_post("/agent/new", open_ticket)
