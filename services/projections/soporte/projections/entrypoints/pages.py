"""What the agent console and the customer status page share: templates, words, cookies, forms, files.

Pages read the read models directly and send every action to intake's command
API with the caller's own token, so intake stays the only judge of who may do
what. Tokens live in HttpOnly, SameSite=Strict cookies scoped to their pages;
every form carries a token-derived CSRF field (a form without it sends nothing)
and an idempotency key, so a double-clicked button acts once. Everything a page
shows goes through a ``Presenter``: words from the one catalogue, times in the
desk's timezone; the language is negotiated once, by ``soporte.words``.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import aiohttp
import jinja2
from aiohttp import web

from soporte.businesstime import BusinessCalendar
from soporte.platform.guards import page_security_headers
from soporte.platform.http import Problem, client_address, posted_form
from soporte.projections import keys
from soporte.projections.adapters.intake import IntakeAnswer
from soporte.projections.domain.access import Principal
from soporte.projections.domain.queues import whole_number
from soporte.projections.entrypoints.presenters import Presenter, Refusal
from soporte.words import LANGUAGES, pick_language

PACKAGE = Path(__file__).resolve().parents[1]
JINJA = web.AppKey("page_templates", jinja2.Environment)
LANG_COOKIE = "soporte_lang"
SECURITY_HEADERS = page_security_headers(
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; form-action 'self'"
)


def page_templates() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(PACKAGE / "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def add_page_templates(app: web.Application) -> None:
    app[JINJA] = page_templates()


def render_page(
    templates: jinja2.Environment,
    template: str,
    *,
    lang: str,
    calendar: BusinessCalendar,
    area: str,
    now: datetime | None = None,
    **context: Any,
) -> str:
    """A page's HTML; templates read their area's words as ``t`` and everything else through ``show`` (``now``:
    when the page is drawn, for its countdowns)."""
    show = Presenter(lang, calendar, area, now)
    return templates.get_template(template).render(lang=lang, t=show.page, show=show, **context)


def page_language(request: web.Request, ticket_language: str | None = None) -> str:
    """``?lang=`` or the cookie first; then the ticket's language, or else the browser's; then the desk's default."""
    explicit = request.query.get("lang") or request.cookies.get(LANG_COOKIE)
    accept = None if ticket_language else request.headers.get("Accept-Language")
    chosen = explicit if explicit in LANGUAGES else ticket_language
    return pick_language(chosen, accept, request.app[keys.SETTINGS].language)


def render(
    request: web.Request, template: str, *, area: str, status: int = 200, lang: str | None = None, **context: Any
) -> web.Response:
    html = render_page(
        request.app[JINJA],
        template,
        lang=lang or page_language(request),
        calendar=request.app[keys.CALENDAR],
        area=area,
        now=request.app[keys.CLOCK](),
        **context,
    )
    response = web.Response(
        text=html, status=status, content_type="text/html", charset="utf-8", headers=SECURITY_HEADERS
    )
    if request.query.get("lang") in LANGUAGES:
        response.set_cookie(LANG_COOKIE, request.query["lang"], max_age=365 * 86400, httponly=True, samesite="Lax")
    return response


def message_page(request: web.Request, area: str, status: int, message: str, *, hint: bool = False) -> web.Response:
    """A page that only says ``message`` (a key of the area's words), e.g. ``not_found``."""
    hint_key = f"{message}_hint" if hint else None
    return render(request, "message.html.j2", area=area, status=status, message_key=message, hint_key=hint_key)


def html_errors(area: str):
    """Pages answer in HTML even when intake is away (the API answers problem+json)."""

    def decorate(handler: Callable[[web.Request], Awaitable[web.StreamResponse]]):
        async def wrapped(request: web.Request) -> web.StreamResponse:
            try:
                return await handler(request)
            except Problem as problem:
                if problem.status < 500:
                    raise
                return message_page(request, area, problem.status, "unavailable")

        wrapped.__doc__ = handler.__doc__
        return wrapped

    return decorate


# --- who is asking ---------------------------------------------------------------------------------


def set_token_cookie(
    request: web.Request,
    response: web.StreamResponse,
    name: str,
    token: str,
    path: str,
    *,
    same_site: str = "Strict",
    max_age: int = 12 * 3600,
) -> None:
    secure = request.app[keys.SETTINGS].cookie_secure
    response.set_cookie(name, token, path=path, httponly=True, samesite=same_site, secure=secure, max_age=max_age)


def client_of(request: web.Request) -> str:
    """The person's address (through the proxies this service trusts), told to intake for its limits."""
    return client_address(request, request.app[keys.SETTINGS].proxy_networks)


async def principal_of(request: web.Request, token: str | None) -> Principal | None:
    if not token:
        return None
    return await request.app[keys.PRINCIPALS].resolve(f"Bearer {token}")


def csrf_for(token: str) -> str:
    """A form field only someone who holds the token's cookie can produce."""
    return hmac.new(token.encode(), b"soporte-form", hashlib.sha256).hexdigest()[:32]


def min_version_of(request: web.Request) -> int | None:
    """The version a page waits for after an action (``?v=``, set by the redirect after it)."""
    return whole_number(request.query.get("v", ""))


# --- forms sent on to intake -----------------------------------------------------------------------


@dataclass(frozen=True)
class Sent:
    """What intake answered to a forwarded form (``answer`` None: the CSRF field was wrong, nothing was sent)."""

    answer: IntakeAnswer | None

    @property
    def forged(self) -> bool:
        return self.answer is None

    def refusal(self) -> Refusal | None:
        """Why intake refused it (its problem type and the fields it names), or None if it was done."""
        if self.answer is None or self.answer.status < 400:
            return None
        body = self.answer.body
        fields = [str(e.get("field", "")) for e in body.get("errors") or [] if isinstance(e, dict)]
        return Refusal(str(body.get("type", "")).rsplit("/", 1)[-1], tuple(fields))


async def send_form(
    request: web.Request,
    token: str,
    path: str,
    fields: tuple[str, ...],
    *,
    with_files: bool = False,
    body: dict[str, Any] | None = None,
    method: str = "POST",
) -> Sent:
    """The posted form (its ``fields``, and files when asked) sent to intake's ``path`` with the caller's token,
    under the form's idempotency key; ``body`` replaces the fields when given."""
    posted = await posted_form(request)
    if not hmac.compare_digest(str(posted.get("csrf", "")), csrf_for(token)):
        return Sent(None)
    values = {name: str(posted.get(name, "")).strip() for name in fields}
    form = None
    files = [f for f in posted.getall("files", []) if isinstance(f, web.FileField) and f.filename] if with_files else []
    if files:
        form = aiohttp.FormData()
        for name, value in values.items():
            form.add_field(name, value)
        for f in files:
            form.add_field("files", f.file, filename=f.filename, content_type=f.content_type)
    if body is None:
        # An empty optional field is left out; the texts intake requires go even empty (intake then says so).
        body = {k: v for k, v in values.items() if v or k in ("body", "question", "reason")}
        if body.get("expected_version", "").isdigit():  # intake takes a JSON version as a number only
            body["expected_version"] = int(body["expected_version"])
    answer = await request.app[keys.COMMANDS].call(
        method,
        path,
        token,
        json_body=body,
        form=form,
        idempotency_key=str(posted.get("idem", "")) or None,
        client=client_of(request),
    )
    return Sent(answer)


async def answer_to_form(
    request: web.Request,
    area: str,
    sent: Sent,
    done: str | Callable[[dict[str, Any]], Awaitable[web.StreamResponse]],
    again: Callable[[int, Refusal], Awaitable[web.Response]],
) -> web.StreamResponse:
    """A forged form is refused; a form intake refused shows its page ``again`` with the reasons; a form intake
    took sends the browser to ``done`` (a page's address) at the version intake answered, which the page waits
    for, or is answered by ``done(intake's answer)``."""
    if sent.forged:
        return message_page(request, area, 403, "forbidden")
    refusal = sent.refusal()
    if refusal:
        return await again(sent.answer.status, refusal)
    if callable(done):
        return await done(sent.answer.body)
    raise web.HTTPSeeOther(f"{done}?v={sent.answer.body.get('version', '')}")


async def proxy_attachment(
    request: web.Request,
    token: str,
    not_found: Callable[[], web.Response],
    *,
    view: str | None = None,
    inline: bool = False,
) -> web.StreamResponse:
    """A ticket's file (or a photo's ``view``) streamed from intake, fetched with the caller's token (intake decides
    who may have it, and whether a PDF opens ``inline``)."""
    ticket_id, sha = request.match_info["ticket_id"], request.match_info["sha256"]
    upstream = await request.app[keys.COMMANDS].attachment(ticket_id, sha, token, view=view, inline=inline)
    try:
        if upstream.status != 200:
            return not_found()
        response = web.StreamResponse(
            headers={
                name: upstream.headers[name]
                for name in ("Content-Type", "Content-Disposition", "Content-Length", "Cache-Control")
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
