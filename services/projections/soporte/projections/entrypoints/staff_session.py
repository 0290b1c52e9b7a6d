"""Who is signed in to the console: an agent's session, kept by the browser in an HttpOnly cookie.

Intake owns who is who. Signing in sends the email and password to intake, which
answers a session token; the cookie holds it (HttpOnly, SameSite=Strict, scoped
to ``/agent``, ending when the session does). Every console request asks intake's
``whoami`` with it, uncached for staff (``adapters.intake``): a disabled agent's
or an ended session's next request gets the sign-in page. Forms carry a CSRF
field derived from the session token (``pages.csrf_for``).
"""

from __future__ import annotations

from datetime import datetime

from aiohttp import web

from soporte.platform.http import Problem
from soporte.projections import keys
from soporte.projections.domain.access import Principal
from soporte.projections.entrypoints.pages import (
    client_of,
    html_errors,
    message_page,
    page_language,
    principal_of,
    render,
    set_token_cookie,
)
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


def sign_in_page(
    request: web.Request, status: int = 200, error: bool = False, wait: str | None = None, email: str = ""
) -> web.Response:
    return render(request, "agent_sign_in.html.j2", area=AREA, status=status, error=error, wait=wait, email=email)


@html_errors(AREA)
async def sign_in(request: web.Request) -> web.Response:
    """Email and password checked by intake; the session it opens is kept in the console's cookie."""
    posted = await request.post()
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
