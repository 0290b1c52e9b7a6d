"""The leads' pages: the team's agents (``/agent/staff``) and the saved replies (``/agent/canned``).

Intake owns both: these pages list what intake answers and send each form to it
with the lead's session (intake refuses anyone but a lead). A password the desk
makes for a new agent, or after a reset, is shown once on the page that answers
the form, never put in an address or a redirect.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aiohttp import web

from soporte.platform.guards import same_site_only
from soporte.platform.http import posted_form
from soporte.projections import keys
from soporte.projections.domain.access import Principal
from soporte.projections.entrypoints.pages import answer_to_form, message_page, send_form
from soporte.projections.entrypoints.presenters import Refusal
from soporte.projections.entrypoints.staff_session import AREA, Again, for_leads, render_console
from soporte.ticketrules import PLACEHOLDERS
from soporte.words import LANGUAGES

AGENT_ACTIONS = {"disable": "disable", "enable": "enable", "new-password": "password-reset"}
CANNED_FIELDS = ("name", "language", "body", "action", "carrier")


def _when(raw: str | None) -> datetime | None:
    return datetime.fromisoformat(raw) if raw else None


async def staff_page(
    request: web.Request,
    principal: Principal,
    token: str,
    again: Again = Again(),
    shown: dict[str, str] | None = None,
) -> web.Response:
    agents = await request.app[keys.COMMANDS].items("/api/v1/agents", token)
    for agent in agents:
        agent["last"] = _when(agent.get("last_signed_in_at"))
    return render_console(
        request,
        "agent_staff.html.j2",
        principal,
        token,
        again,
        agents=agents,
        shown=shown,
    )


async def staff(request: web.Request, principal: Principal, token: str) -> web.Response:
    """The team's agents: role, whether they can sign in, their last sign-in, their integrations' tokens."""
    return await staff_page(request, principal, token)


async def lead_form(request: web.Request, principal: Principal, token: str, path: str, **options) -> web.StreamResponse:
    """A leads' form on the agents page sent to intake: a password intake made is shown once, here; a refusal shows
    the page again with what was typed; anything else goes back to the page."""
    sent = await send_form(request, token, path, options.pop("fields", ()), **options)

    async def again(status: int, refusal: Refusal) -> web.Response:
        typed = await Again.as_typed(request, ("name", "email", "role"), status, refusal)
        return await staff_page(request, principal, token, typed)

    async def done(answer: dict[str, Any]) -> web.StreamResponse:
        if "password" not in answer:
            raise web.HTTPSeeOther("/agent/staff")
        shown = {"name": answer["agent"]["name"], "password": answer["password"]}
        return await staff_page(request, principal, token, shown=shown)

    return await answer_to_form(request, AREA, sent, done, again)


async def add_agent(request: web.Request, principal: Principal, token: str) -> web.StreamResponse:
    """A new agent; their first password is shown once, here."""
    return await lead_form(request, principal, token, "/api/v1/agents", fields=("name", "email", "role"))


async def change_agent(request: web.Request, principal: Principal, token: str) -> web.StreamResponse:
    """Disable an agent (their sessions and tokens end at once), enable them, or give them a new password."""
    action, agent_id = request.match_info["action"], request.match_info["agent_id"]
    if action not in AGENT_ACTIONS:
        return message_page(request, AREA, 404, "not_found")
    return await lead_form(request, principal, token, f"/api/v1/agents/{agent_id}/{AGENT_ACTIONS[action]}", body={})


async def revoke_token(request: web.Request, principal: Principal, token: str) -> web.StreamResponse:
    """An integration's token revoked: it stops working at once."""
    path = f"/api/v1/agent-tokens/{request.match_info['token_id']}/revoke"
    return await lead_form(request, principal, token, path, body={})


async def canned_page(
    request: web.Request,
    principal: Principal,
    token: str,
    again: Again = Again(),
) -> web.Response:
    replies = await request.app[keys.COMMANDS].items("/api/v1/canned-replies", token)
    editing = next((r for r in replies if r.get("id") == request.query.get("edit")), None)
    return render_console(
        request,
        "agent_canned.html.j2",
        principal,
        token,
        again,
        replies=replies,
        editing=again.typed if again.error else (editing or {}),
        languages=LANGUAGES,
        placeholders=PLACEHOLDERS,
        carriers=await request.app[keys.COMMANDS].carriers(token),
    )


async def canned(request: web.Request, principal: Principal, token: str) -> web.Response:
    """The saved replies, by language and name, and the form to add or change one."""
    return await canned_page(request, principal, token)


async def canned_form(
    request: web.Request, principal: Principal, token: str, path: str, **options
) -> web.StreamResponse:
    """A saved reply's form sent to intake; a refusal shows the page again as typed."""
    sent = await send_form(request, token, path, options.pop("fields", ()), **options)

    async def again(status: int, refusal: Refusal) -> web.Response:
        return await canned_page(
            request, principal, token, await Again.as_typed(request, ("id", *CANNED_FIELDS), status, refusal)
        )

    async def done(_: dict[str, Any]) -> web.StreamResponse:
        raise web.HTTPSeeOther("/agent/canned")

    return await answer_to_form(request, AREA, sent, done, again)


async def save_canned(request: web.Request, principal: Principal, token: str) -> web.StreamResponse:
    """A saved reply added, or changed (``id`` in the form)."""
    reply_id = str((await posted_form(request)).get("id", ""))
    if reply_id:
        return await canned_form(
            request, principal, token, f"/api/v1/canned-replies/{reply_id}", method="PUT", fields=CANNED_FIELDS
        )
    return await canned_form(request, principal, token, "/api/v1/canned-replies", fields=CANNED_FIELDS)


async def delete_canned(request: web.Request, principal: Principal, token: str) -> web.StreamResponse:
    path = f"/api/v1/canned-replies/{request.match_info['reply_id']}"
    return await canned_form(request, principal, token, path, body={}, method="DELETE")


def add_staff_routes(app: web.Application) -> None:
    for method, path, handler in (
        ("GET", "/agent/staff", staff),
        ("POST", "/agent/staff", add_agent),
        ("POST", "/agent/staff/{agent_id}/{action}", change_agent),
        ("POST", "/agent/staff-tokens/{token_id}/revoke", revoke_token),
        ("GET", "/agent/canned", canned),
        ("POST", "/agent/canned", save_canned),
        ("POST", "/agent/canned/{reply_id}/delete", delete_canned),
    ):
        guarded = for_leads(handler)
        app.router.add_route(method, path, same_site_only(guarded) if method == "POST" else guarded)
