"""The agent console (``/agent``) and the customer status page (``/tickets/{id}``): server-rendered HTML.

Pages read the read models directly and send every action to intake's command
API with the caller's own token, so intake stays the only judge of who may do
what. Tokens live in HttpOnly, SameSite=Strict cookies scoped to their pages
(the ``?token=`` of a status link is moved into a cookie and dropped from the
URL); every form carries a token-derived CSRF field and an idempotency key, so
a double-clicked button acts once. After an action the page asks the read model
for the version intake answered (read-your-writes), so the change is on screen.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
import jinja2
from aiohttp import web

from soporte.platform.http import Problem
from soporte.projections import keys
from soporte.projections.adapters.intake import IntakeAnswer
from soporte.projections.adapters.store import ownership, row_sort_key, ticket_json
from soporte.projections.domain.access import Principal, may_read
from soporte.projections.domain.queues import VIEWS, QueryErrors, encode_cursor, parse_queue_query

from .api import wait_for_version
from .page_text import TEXT, pick_language

PACKAGE = Path(__file__).resolve().parents[1]
JINJA = web.AppKey("page_templates", jinja2.Environment)
AGENT_COOKIE, ACCESS_COOKIE, LANG_COOKIE = "soporte_agent", "soporte_access", "soporte_lang"

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
}


# --- helpers -------------------------------------------------------------------------------------


def csrf_for(token: str) -> str:
    """A form field only someone who holds the token's cookie can produce."""
    return hmac.new(token.encode(), b"soporte-form", hashlib.sha256).hexdigest()[:32]


def _language(request: web.Request) -> str:
    explicit = request.query.get("lang") or request.cookies.get(LANG_COOKIE)
    return pick_language(explicit, request.headers.get("Accept-Language"), request.app[keys.SETTINGS].language)


def _local(request: web.Request) -> Callable[[Any], str]:
    """Formats a timestamp (datetime or ISO text) in the desk's time zone."""
    tz = request.app[keys.CALENDAR].tz

    def fmt(value: Any) -> str:
        if not value:
            return ""
        moment = datetime.fromisoformat(value) if isinstance(value, str) else value
        return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M")

    return fmt


def render(request: web.Request, template: str, status: int = 200, **context: Any) -> web.Response:
    lang = context.pop("lang", None) or _language(request)
    html = (
        request.app[JINJA]
        .get_template(template)
        .render(
            lang=lang,
            t=TEXT[lang],
            local=_local(request),
            time_zone=request.app[keys.CALENDAR].timezone,
            path=request.path,
            **context,
        )
    )
    response = web.Response(text=html, status=status, content_type="text/html", charset="utf-8")
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'"
    )
    response.headers["Referrer-Policy"] = "no-referrer"
    if request.query.get("lang") in TEXT:
        response.set_cookie(LANG_COOKIE, request.query["lang"], max_age=365 * 86400, httponly=True, samesite="Lax")
    return response


def _set_token_cookie(request: web.Request, response: web.StreamResponse, name: str, token: str, path: str) -> None:
    response.set_cookie(
        name,
        token,
        path=path,
        httponly=True,
        samesite="Strict",
        secure=request.app[keys.SETTINGS].cookie_secure,
        max_age=12 * 3600,
    )


async def _principal(request: web.Request, token: str | None) -> Principal | None:
    if not token:
        return None
    return await request.app[keys.PRINCIPALS].resolve(f"Bearer {token}")


def _problem_message(answer: IntakeAnswer, t: dict) -> str:
    """Intake's problem as one line for a person: its title and the fields it names."""
    body = answer.body
    title = str(body.get("title") or t["failed"])
    fields = "; ".join(f"{e.get('field')}: {e.get('message')}" for e in body.get("errors") or [] if isinstance(e, dict))
    return f"{title} ({fields})" if fields else title


async def _forward_form(
    request: web.Request, fields: tuple[str, ...], with_files: bool
) -> tuple[dict[str, str], aiohttp.FormData | None, str, str | None]:
    """The posted form: named text fields, the files (multipart, to forward), the CSRF field and the idempotency key."""
    posted = await request.post()
    values = {name: str(posted.get(name, "")).strip() for name in fields}
    form = None
    if with_files:
        files = [f for f in posted.getall("files", []) if isinstance(f, web.FileField) and f.filename]
        if files:
            form = aiohttp.FormData()
            for name, value in values.items():
                form.add_field(name, value)
            for f in files:
                form.add_field("files", f.file, filename=f.filename, content_type=f.content_type)
    return values, form, str(posted.get("csrf", "")), str(posted.get("idem", "")) or None


def _json_body(values: dict[str, str]) -> dict[str, Any]:
    """Form fields as intake's JSON body: an empty optional field is left out."""
    return {k: v for k, v in values.items() if v != "" or k in ("body", "question", "reason")}


async def _proxy_attachment(
    request: web.Request, token: str, not_found: Callable[[], web.Response]
) -> web.StreamResponse:
    ticket_id, sha = request.match_info["ticket_id"], request.match_info["sha256"]
    upstream = await request.app[keys.COMMANDS].attachment(ticket_id, sha, token)
    try:
        if upstream.status != 200:
            return not_found()
        response = web.StreamResponse(
            headers={
                name: upstream.headers[name]
                for name in ("Content-Type", "Content-Disposition", "Content-Length")
                if name in upstream.headers
            }
        )
        response.headers["X-Content-Type-Options"] = "nosniff"
        await response.prepare(request)
        async for chunk in upstream.content.iter_chunked(64 * 1024):
            await response.write(chunk)
        await response.write_eof()
        return response
    finally:
        upstream.release()


def _html_errors(handler: Callable[[web.Request], Awaitable[web.StreamResponse]]):
    """Pages answer in HTML even when intake is away (the API answers problem+json)."""

    async def wrapped(request: web.Request) -> web.StreamResponse:
        try:
            return await handler(request)
        except Problem as problem:
            if problem.status < 500:
                raise
            return render(request, "message.html.j2", status=problem.status, message_key="unavailable")

    wrapped.__doc__ = handler.__doc__
    return wrapped


# --- agent console -------------------------------------------------------------------------------


async def _agent(request: web.Request) -> tuple[Principal, str] | None:
    token = request.cookies.get(AGENT_COOKIE)
    principal = await _principal(request, token)
    if principal is None or not principal.is_agent:
        return None
    return principal, token or ""


def _sign_in_page(request: web.Request, status: int = 200, error: bool = False) -> web.Response:
    return render(request, "agent_sign_in.html.j2", status=status, error=error)


async def _queue_context(request: web.Request, principal: Principal) -> dict[str, Any]:
    view = request.query.get("view", "unassigned")
    params = {
        k: v
        for k, v in request.query.items()
        if k in ("limit", "cursor", "category", "status", "assignee", "sla_state") and v
    }
    try:
        query = parse_queue_query(view, principal.id, params)
    except QueryErrors:
        query = parse_queue_query("unassigned", principal.id, {})
    rows = await request.app[keys.READ_MODELS].queue(query)
    page, more = rows[: query.limit], len(rows) > query.limit
    next_url = None
    if more:
        next_url = "/agent?" + urlencode(
            {**params, "view": query.view, "cursor": encode_cursor(row_sort_key(page[-1]))}
        )
    return {
        "view": query.view,
        "views": VIEWS,
        "tickets": [ticket_json(r) for r in page],
        "next_url": next_url,
        "paged": bool(query.after),
        "refresh_seconds": request.app[keys.SETTINGS].console_refresh_seconds,
    }


@_html_errors
async def console(request: web.Request) -> web.Response:
    """The agent console: sign-in, or the queue (actionable first, then SLA due time) with live countdowns."""
    signed_in = await _agent(request)
    if signed_in is None:
        return _sign_in_page(request)
    principal, token = signed_in
    models = request.app[keys.READ_MODELS]
    now = request.app[keys.CLOCK]()
    calendar = request.app[keys.CALENDAR]
    day_start = datetime.combine(now.astimezone(calendar.tz).date(), datetime.min.time(), tzinfo=calendar.tz)
    return render(
        request,
        "agent_queue.html.j2",
        agent=principal,
        csrf=csrf_for(token),
        figures=await models.figures(day_start),
        **await _queue_context(request, principal),
    )


@_html_errors
async def queue_rows(request: web.Request) -> web.Response:
    """The queue's rows alone (the console's polling refresh)."""
    signed_in = await _agent(request)
    if signed_in is None:
        return web.Response(status=401, text="")
    return render(request, "agent_queue_rows.html.j2", **await _queue_context(request, signed_in[0]))


@_html_errors
async def sign_in(request: web.Request) -> web.Response:
    """Checks the token with intake; an agent's is kept in a cookie for the console."""
    posted = await request.post()
    token = str(posted.get("token", "")).strip()
    principal = await _principal(request, token)
    if principal is None or not principal.is_agent:
        return _sign_in_page(request, status=401, error=True)
    response = web.HTTPSeeOther("/agent")
    _set_token_cookie(request, response, AGENT_COOKIE, token, "/agent")
    raise response


async def sign_out(request: web.Request) -> web.Response:
    response = web.HTTPSeeOther("/agent")
    response.del_cookie(AGENT_COOKIE, path="/agent")
    raise response


async def _agent_ticket_page(
    request: web.Request,
    principal: Principal,
    token: str,
    *,
    status: int = 200,
    error: str | None = None,
    min_version: int | None = None,
) -> web.Response:
    ticket_id = request.match_info["ticket_id"]
    models = request.app[keys.READ_MODELS]
    await wait_for_version(request, ticket_id, min_version, principal)
    row = await models.ticket(ticket_id)
    if row is None:
        return render(request, "message.html.j2", status=404, message_key="not_found", hint_key="not_found_hint")
    return render(
        request,
        "agent_ticket.html.j2",
        status=status,
        agent=principal,
        csrf=csrf_for(token),
        idem=str(uuid.uuid4()),
        ticket=ticket_json(row),
        thread=await models.public_thread(ticket_id),
        timeline=await models.timeline(ticket_id),
        escalations=await models.escalations(ticket_id),
        notifications=await models.notifications(ticket_id),
        error=error,
        refresh_seconds=request.app[keys.SETTINGS].console_refresh_seconds,
    )


def _min_version(request: web.Request) -> int | None:
    raw = request.query.get("v", "")
    return int(raw) if raw.isdigit() else None


@_html_errors
async def agent_ticket(request: web.Request) -> web.Response:
    """One ticket for an agent: thread with attachments, audit timeline, escalations, mails sent, and the actions."""
    signed_in = await _agent(request)
    if signed_in is None:
        return _sign_in_page(request, status=401)
    return await _agent_ticket_page(request, *signed_in, min_version=_min_version(request))


@_html_errors
async def agent_action(request: web.Request) -> web.Response:
    """A console action, sent to intake with the agent's token; the page then shows the new version."""
    signed_in = await _agent(request)
    if signed_in is None:
        return _sign_in_page(request, status=401)
    principal, token = signed_in
    action = request.match_info["action"]
    if action not in AGENT_ACTIONS:
        return render(request, "message.html.j2", status=404, message_key="not_found")
    path, fields, with_files = AGENT_ACTIONS[action]
    values, form, csrf, idem = await _forward_form(request, fields, with_files)
    if not hmac.compare_digest(csrf, csrf_for(token)):
        return render(request, "message.html.j2", status=403, message_key="forbidden")
    body = _json_body(values)
    if action == "assign-me":
        body = {"assignee_id": principal.id}
    ticket_id = request.match_info["ticket_id"]
    answer = await request.app[keys.COMMANDS].post(
        f"/api/v1/tickets/{ticket_id}/{path}", token, json_body=body, form=form, idempotency_key=idem
    )
    if answer.status >= 400:
        t = TEXT[_language(request)]
        return await _agent_ticket_page(
            request, principal, token, status=answer.status, error=_problem_message(answer, t)
        )
    raise web.HTTPSeeOther(f"/agent/tickets/{ticket_id}?v={answer.body.get('version', '')}")


@_html_errors
async def agent_attachment(request: web.Request) -> web.StreamResponse:
    """A file of the ticket, fetched from intake with the agent's token."""
    signed_in = await _agent(request)
    if signed_in is None:
        return _sign_in_page(request, status=401)
    return await _proxy_attachment(
        request, signed_in[1], lambda: render(request, "message.html.j2", status=404, message_key="not_found")
    )


# --- customer status page ------------------------------------------------------------------------


def _ticket_path(ticket_id: str) -> str:
    return f"/tickets/{ticket_id}"


def _not_found(request: web.Request) -> web.Response:
    # The same page whether the ticket does not exist or is someone else's: nothing is confirmed.
    return render(request, "message.html.j2", status=404, message_key="not_found", hint_key="not_found_hint")


async def _customer(request: web.Request) -> tuple[Principal, str, Any] | None:
    """The caller of a status page and the ticket row, when they may read it."""
    token = request.cookies.get(ACCESS_COOKIE)
    principal = await _principal(request, token)
    if principal is None:
        return None
    row = await request.app[keys.READ_MODELS].ticket(request.match_info["ticket_id"])
    if row is None or not may_read(principal, ownership(row)):
        return None
    return principal, token or "", row


@_html_errors
async def status_page(request: web.Request) -> web.Response:
    """A ticket's public thread for its customer (a status link's token, or email + order number)."""
    ticket_id = request.match_info["ticket_id"]
    if request.query.get("token"):
        # Keep the token out of the address bar, history and Referer: into a cookie for this ticket's pages.
        response = web.HTTPSeeOther(
            _ticket_path(ticket_id) + (f"?lang={request.query['lang']}" if request.query.get("lang") in TEXT else "")
        )
        _set_token_cookie(request, response, ACCESS_COOKIE, request.query["token"], _ticket_path(ticket_id))
        raise response
    # With the caller: someone else's ticket waits as long as a missing one (no existence leak).
    await wait_for_version(
        request, ticket_id, _min_version(request), await _principal(request, request.cookies.get(ACCESS_COOKIE))
    )
    found = await _customer(request)
    if found is None:
        if request.cookies.get(ACCESS_COOKIE) and await _principal(request, request.cookies.get(ACCESS_COOKIE)):
            return _not_found(request)
        return render(request, "customer_access.html.j2", status=401, ticket_id=ticket_id, error=False)
    return await _customer_page(request, *found)


async def _customer_page(
    request: web.Request, principal: Principal, token: str, row, *, status: int = 200, error: str | None = None
) -> web.Response:
    ticket = ticket_json(row)
    thread = await request.app[keys.READ_MODELS].public_thread(ticket["ticket_id"])
    explicit = request.query.get("lang") or request.cookies.get(LANG_COOKIE)
    lang = pick_language(explicit or ticket["language"], None, request.app[keys.SETTINGS].language)
    return render(
        request,
        "customer_ticket.html.j2",
        status=status,
        lang=lang,
        ticket=ticket,
        thread=thread,
        csrf=csrf_for(token),
        idem=str(uuid.uuid4()),
        error=error,
    )


@_html_errors
async def status_access(request: web.Request) -> web.Response:
    """Email + order number: intake opens a guest session; the page then shows the ticket if it is theirs."""
    ticket_id = request.match_info["ticket_id"]
    posted = await request.post()
    body = {"email": str(posted.get("email", "")).strip(), "order_number": str(posted.get("order_number", "")).strip()}
    answer = await request.app[keys.COMMANDS].post("/api/v1/guest-sessions", None, json_body=body)
    if answer.status != 201 or "guest_token" not in answer.body:
        return render(
            request,
            "customer_access.html.j2",
            status=401 if answer.status < 429 else answer.status,
            ticket_id=ticket_id,
            error=True,
        )
    response = web.HTTPSeeOther(_ticket_path(ticket_id))
    _set_token_cookie(request, response, ACCESS_COOKIE, answer.body["guest_token"], _ticket_path(ticket_id))
    raise response


@_html_errors
async def customer_reply(request: web.Request) -> web.Response:
    """The customer's reply (with files), sent to intake with their own token."""
    found = await _customer(request)
    if found is None:
        return _not_found(request)
    principal, token, row = found
    values, form, csrf, idem = await _forward_form(request, ("body",), True)
    if not hmac.compare_digest(csrf, csrf_for(token)):
        return render(request, "message.html.j2", status=403, message_key="forbidden")
    ticket_id = row["ticket_id"]
    answer = await request.app[keys.COMMANDS].post(
        f"/api/v1/tickets/{ticket_id}/messages", token, json_body=_json_body(values), form=form, idempotency_key=idem
    )
    if answer.status >= 400:
        return await _customer_page(
            request,
            principal,
            token,
            row,
            status=answer.status,
            error=_problem_message(answer, TEXT[_language(request)]),
        )
    raise web.HTTPSeeOther(f"{_ticket_path(ticket_id)}?v={answer.body.get('version', '')}")


@_html_errors
async def customer_attachment(request: web.Request) -> web.StreamResponse:
    """A file of the customer's own ticket."""
    found = await _customer(request)
    if found is None:
        return _not_found(request)
    return await _proxy_attachment(request, found[1], lambda: _not_found(request))


async def console_script(request: web.Request) -> web.FileResponse:
    return web.FileResponse(PACKAGE / "static" / "console.js", headers={"Cache-Control": "max-age=300"})


PAGE_ROUTES = [
    ("GET", "/agent", console),
    ("GET", "/agent/queue-rows", queue_rows),
    ("POST", "/agent/sign-in", sign_in),
    ("POST", "/agent/sign-out", sign_out),
    ("GET", "/agent/tickets/{ticket_id}", agent_ticket),
    ("POST", "/agent/tickets/{ticket_id}/{action}", agent_action),
    ("GET", "/agent/tickets/{ticket_id}/attachments/{sha256}", agent_attachment),
    ("GET", "/tickets/{ticket_id}", status_page),
    ("POST", "/tickets/{ticket_id}/access", status_access),
    ("POST", "/tickets/{ticket_id}/reply", customer_reply),
    ("GET", "/tickets/{ticket_id}/attachments/{sha256}", customer_attachment),
    ("GET", "/static/console.js", console_script),
]


def add_page_routes(app: web.Application) -> None:
    app[JINJA] = jinja2.Environment(
        loader=jinja2.FileSystemLoader(PACKAGE / "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    for method, path, handler in PAGE_ROUTES:
        app.router.add_route(method, path, handler)
    app.router.add_get("/", to_console)


async def to_console(_: web.Request) -> web.Response:
    raise web.HTTPFound("/agent")
