"""Who is signed in to the console: an agent's session, kept by the browser in an HttpOnly cookie.

Intake owns who is who. Signing in sends the email and password to intake, which
answers a session token; the cookie holds it (HttpOnly, SameSite=Strict, scoped
to ``/agent``, ending when the session does). Every console request asks intake's
``whoami`` with it, uncached for staff (``adapters.intake``): a disabled agent's
or an ended session's next request gets the sign-in page. Forms carry a CSRF
field derived from the session token (``pages.csrf_for``).
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from aiohttp import web

from soporte.platform.http import Problem, posted_form
from soporte.projections import keys
from soporte.projections.domain.access import Principal
from soporte.projections.entrypoints.pages import (
    client_of,
    csrf_for,
    html_errors,
    message_page,
    page_language,
    principal_of,
    render,
    set_token_cookie,
)
from soporte.projections.entrypoints.presenters import Refusal
from soporte.words import too_many_attempts

AREA = "console"
AGENT_COOKIE = "soporte_agent"


async def signed_in_agent(request: web.Request) -> tuple[Principal, str] | None:
    """The agent whose session is in the console's cookie, and its token; None for anyone else."""
    token = request.cookies.get(AGENT_COOKIE)
    principal = await principal_of(request, token)
    if principal is None or not principal.is_agent:
        return None
    return principal, token or ""


async def signed_in_lead(
    request: web.Request, area: str = AREA
) -> tuple[tuple[Principal, str] | None, web.Response | None]:
    """The signed-in lead and their token, or the page to answer instead (sign in; only leads)."""
    signed_in = await signed_in_agent(request)
    if signed_in is None:
        return None, sign_in_page(request, status=401)
    if not signed_in[0].is_lead:
        return None, message_page(request, area, 403, "leads_only", hint=True)
    return signed_in, None


ConsoleHandler = Callable[[web.Request, Principal, str], Awaitable[web.StreamResponse]]


def _refused_page(request: web.Request) -> web.Response:
    return sign_in_page(request, status=401)


def for_agents(
    handler: ConsoleHandler, *, refused: Callable[[web.Request], web.Response] = _refused_page
) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """A console handler ``handler(request, agent, session token)`` for signed-in agents; anyone else gets
    ``refused`` (the sign-in page, 401)."""

    @html_errors(AREA)
    @functools.wraps(handler)
    async def wrapped(request: web.Request) -> web.StreamResponse:
        signed_in = await signed_in_agent(request)
        return refused(request) if signed_in is None else await handler(request, *signed_in)

    return wrapped


def for_leads(handler: ConsoleHandler) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """A console handler for signed-in leads; other agents are told it is for leads (403)."""

    @html_errors(AREA)
    @functools.wraps(handler)
    async def wrapped(request: web.Request) -> web.StreamResponse:
        lead, refused = await signed_in_lead(request)
        return refused if refused is not None else await handler(request, *lead)

    return wrapped


def bare_401(_: web.Request) -> web.Response:
    """For what a page's script fetches: no page, just the status (the script reloads into the sign-in page)."""
    return web.Response(status=401)


@dataclass(frozen=True)
class Again:
    """How a console page is shown: at first (the defaults), or again after intake refused its form (the status
    intake answered, why, and what was typed, to be kept)."""

    status: int = 200
    error: Refusal | None = None
    typed: dict[str, str] = field(default_factory=dict)

    def filled(self, defaults: dict[str, str]) -> Again:
        """The page with ``defaults`` in the fields nothing was typed in."""
        return replace(self, typed={**defaults, **self.typed})

    @classmethod
    async def as_typed(cls, request: web.Request, names: tuple[str, ...], status: int, error: Refusal) -> Again:
        posted = await posted_form(request)
        return cls(status, error, {name: str(posted.get(name, "")) for name in names})


def render_console(
    request: web.Request, template: str, agent: Principal, token: str, again: Again = Again(), **context: Any
) -> web.Response:
    """A console page for ``agent``: its forms carry the session's CSRF field and a fresh idempotency key."""
    csrf, idem = csrf_for(token), str(uuid.uuid4())
    context = {"error": again.error, "typed": again.typed, **context}
    return render(request, template, area=AREA, status=again.status, agent=agent, csrf=csrf, idem=idem, **context)


def sign_in_page(
    request: web.Request, status: int = 200, error: bool = False, wait: str | None = None, email: str = ""
) -> web.Response:
    return render(request, "agent_sign_in.html.j2", area=AREA, status=status, error=error, wait=wait, email=email)


@html_errors(AREA)
async def sign_in(request: web.Request) -> web.Response:
    """Email and password checked by intake; the session it opens is kept in the console's cookie."""
    posted = await posted_form(request)
    email, password = str(posted.get("email", "")).strip(), str(posted.get("password", ""))
    answer = await request.app[keys.COMMANDS].post(
        "/api/v1/agent-sessions", None, json_body={"email": email, "password": password}, client=client_of(request)
    )
    if answer.status == 429:
        minutes = -(-int(answer.body.get("retry_after_seconds", 60)) // 60)
        wait = too_many_attempts(minutes, page_language(request))
        return sign_in_page(request, status=429, wait=wait, email=email)
    if answer.status != 201:
        return sign_in_page(request, status=401, error=True, email=email)
    expires = datetime.fromisoformat(answer.body["expires_at"])
    seconds = max(60, int((expires - request.app[keys.CLOCK]()).total_seconds()))
    response = web.HTTPSeeOther("/agent")
    set_token_cookie(request, response, AGENT_COOKIE, answer.body["session_token"], "/agent", max_age=seconds)
    raise response


async def sign_out(request: web.Request) -> web.Response:
    """The session ends at intake, and the cookie goes."""
    token = request.cookies.get(AGENT_COOKIE)
    if token:
        try:
            await request.app[keys.COMMANDS].call("DELETE", "/api/v1/agent-sessions/current", token)
        except Problem:
            pass  # intake away: the cookie goes anyway, and the session ends on its own at its expiry
    response = web.HTTPSeeOther("/agent")
    response.del_cookie(AGENT_COOKIE, path="/agent")
    raise response
