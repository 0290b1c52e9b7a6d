"""The leads' pages: the team's agents (``/agent/staff``) and the saved replies (``/agent/canned``).

Intake owns both: these pages list what intake answers and send each form to it
with the lead's session (intake refuses anyone but a lead). A password the desk
makes for a new agent, or after a reset, is shown once on the page that answers
the form, never put in an address or a redirect.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from aiohttp import web

from soporte.projections import keys
from soporte.projections.entrypoints.pages import csrf_for, html_errors, message_page, render, send_form
from soporte.projections.entrypoints.presenters import Refusal
from soporte.projections.entrypoints.staff_session import AREA, signed_in_lead
from soporte.ticketrules import PLACEHOLDERS
from soporte.words import LANGUAGES

AGENT_ACTIONS = {"disable": "disable", "enable": "enable", "new-password": "password-reset"}
CANNED_FIELDS = ("name", "language", "body", "action", "carrier")


def _when(raw: str | None) -> datetime | None:
    return datetime.fromisoformat(raw) if raw else None


async def staff_page(
    request: web.Request,
    lead,
    *,
    status: int = 200,
    shown: dict[str, str] | None = None,
    error: Refusal | None = None,
    typed: dict[str, str] | None = None,
) -> web.Response:
    principal, token = lead
    agents = await request.app[keys.COMMANDS].items("/api/v1/agents", token)
    for agent in agents:
        agent["last"] = _when(agent.get("last_signed_in_at"))
    return render(
        request,
        "agent_staff.html.j2",
        area=AREA,
        status=status,
        agent=principal,
        csrf=csrf_for(token),
        idem=str(uuid.uuid4()),
        agents=agents,
        shown=shown,
        error=error,
        typed=typed or {},
    )


@html_errors(AREA)
async def staff(request: web.Request) -> web.Response:
    """The team's agents: role, whether they can sign in, their last sign-in, their integrations' tokens."""
    lead, refused = await signed_in_lead(request)
    return refused or await staff_page(request, lead)


@html_errors(AREA)
async def add_agent(request: web.Request) -> web.Response:
    """A new agent; their first password is shown once, here."""
    lead, refused = await signed_in_lead(request)
    if refused:
        return refused
    sent = await send_form(request, lead[1], "/api/v1/agents", ("name", "email", "role"))
    if sent.forged:
        return message_page(request, AREA, 403, "forbidden")
    if refusal := sent.refusal():
        posted = await request.post()
        typed = {name: str(posted.get(name, "")) for name in ("name", "email", "role")}
        return await staff_page(request, lead, status=sent.answer.status, error=refusal, typed=typed)
    created = sent.answer.body
    return await staff_page(request, lead, shown={"name": created["agent"]["name"], "password": created["password"]})


@html_errors(AREA)
async def change_agent(request: web.Request) -> web.Response:
    """Disable an agent (their sessions and tokens end at once), enable them, or give them a new password."""
    lead, refused = await signed_in_lead(request)
    if refused:
        return refused
    action, agent_id = request.match_info["action"], request.match_info["agent_id"]
    if action not in AGENT_ACTIONS:
        return message_page(request, AREA, 404, "not_found")
    sent = await send_form(request, lead[1], f"/api/v1/agents/{agent_id}/{AGENT_ACTIONS[action]}", (), body={})
    if sent.forged:
        return message_page(request, AREA, 403, "forbidden")
    if refusal := sent.refusal():
        return await staff_page(request, lead, status=sent.answer.status, error=refusal)
    if "password" in sent.answer.body:
        shown = {"name": sent.answer.body["agent"]["name"], "password": sent.answer.body["password"]}
        return await staff_page(request, lead, shown=shown)
    raise web.HTTPSeeOther("/agent/staff")


@html_errors(AREA)
async def revoke_token(request: web.Request) -> web.Response:
    """An integration's token revoked: it stops working at once."""
    lead, refused = await signed_in_lead(request)
    if refused:
        return refused
    sent = await send_form(
        request, lead[1], f"/api/v1/agent-tokens/{request.match_info['token_id']}/revoke", (), body={}
    )
    if sent.forged:
        return message_page(request, AREA, 403, "forbidden")
    if refusal := sent.refusal():
        return await staff_page(request, lead, status=sent.answer.status, error=refusal)
    raise web.HTTPSeeOther("/agent/staff")


async def canned_page(
    request: web.Request, lead, *, status: int = 200, error: Refusal | None = None, typed: dict[str, Any] | None = None
) -> web.Response:
    principal, token = lead
    replies = await request.app[keys.COMMANDS].items("/api/v1/canned-replies", token)
    editing = next((r for r in replies if r.get("id") == request.query.get("edit")), None)
    return render(
        request,
        "agent_canned.html.j2",
        area=AREA,
        status=status,
        agent=principal,
        csrf=csrf_for(token),
        idem=str(uuid.uuid4()),
        replies=replies,
        editing=typed if typed is not None else (editing or {}),
        error=error,
        languages=LANGUAGES,
        placeholders=PLACEHOLDERS,
        carriers=await request.app[keys.COMMANDS].carriers(token),
    )


@html_errors(AREA)
async def canned(request: web.Request) -> web.Response:
    """The saved replies, by language and name, and the form to add or change one."""
    lead, refused = await signed_in_lead(request)
    return refused or await canned_page(request, lead)


@html_errors(AREA)
async def save_canned(request: web.Request) -> web.Response:
    """A saved reply added, or changed (``id`` in the form)."""
    lead, refused = await signed_in_lead(request)
    if refused:
        return refused
    posted = await request.post()
    reply_id = str(posted.get("id", ""))
    path, method = (f"/api/v1/canned-replies/{reply_id}", "PUT") if reply_id else ("/api/v1/canned-replies", "POST")
    sent = await send_form(request, lead[1], path, CANNED_FIELDS, method=method)
    if sent.forged:
        return message_page(request, AREA, 403, "forbidden")
    if refusal := sent.refusal():
        typed = {name: str(posted.get(name, "")) for name in ("id", *CANNED_FIELDS)}
        return await canned_page(request, lead, status=sent.answer.status, error=refusal, typed=typed)
    raise web.HTTPSeeOther("/agent/canned")


@html_errors(AREA)
async def delete_canned(request: web.Request) -> web.Response:
    lead, refused = await signed_in_lead(request)
    if refused:
        return refused
    path = f"/api/v1/canned-replies/{request.match_info['reply_id']}"
    sent = await send_form(request, lead[1], path, (), body={}, method="DELETE")
    if sent.forged:
        return message_page(request, AREA, 403, "forbidden")
    if refusal := sent.refusal():
        return await canned_page(request, lead, status=sent.answer.status, error=refusal)
    raise web.HTTPSeeOther("/agent/canned")


def add_staff_routes(app: web.Application) -> None:
    app.router.add_get("/agent/staff", staff)
    app.router.add_post("/agent/staff", add_agent)
    app.router.add_post("/agent/staff/{agent_id}/{action}", change_agent)
    app.router.add_post("/agent/staff-tokens/{token_id}/revoke", revoke_token)
    app.router.add_get("/agent/canned", canned)
    app.router.add_post("/agent/canned", save_canned)
    app.router.add_post("/agent/canned/{reply_id}/delete", delete_canned)
