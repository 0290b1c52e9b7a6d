"""The submission form (``GET /``): server-rendered, works without JavaScript, Spanish unless asked otherwise.

Guests verify email + order number first (the order is then pre-selected); shop
customers arrive with ``?customer_token=`` (kept in a cookie) and pick one of their
orders. The form sends the same ``SubmitTicket`` the API sends, through the same
handler; errors are shown next to their fields, success shows the ticket number,
what is still missing and when to expect an answer (``form_pages``).
"""

from __future__ import annotations

from aiohttp import web
from pydantic import ValidationError

from soporte.intake.domain.access import GuestNotVerified, Throttled
from soporte.intake.domain.commands import GuestSessionOpened, OpenGuestSession, TicketCreated
from soporte.intake.domain.tickets import DomainError
from soporte.platform.guards import body_limit, page_security_headers, same_site_only
from soporte.platform.http import Problem, posted_form
from soporte.words import pick_language, words

from . import keys
from .api import client_of, status_url
from .auth import Principal
from .bodies import GuestSessionBody, SubmitTicketBody
from .form_pages import field_errors, form_page, problem_errors, refusal_errors, success_page, wait_message
from .requests import correlation_id, present_fields, submission
from .uploads import Upload, files_kept_on_success, read_multipart

GUEST_COOKIE, CUSTOMER_COOKIE = "soporte_guest", "soporte_customer"
# The pages' own inline styles and nothing else: no script runs on them, none may frame them.
PAGE_HEADERS = page_security_headers(
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; form-action 'self'"
)


def language(request: web.Request) -> str:
    """``?lang=`` first, then the browser's Accept-Language, then Spanish."""
    return pick_language(request.query.get("lang"), request.headers.get("Accept-Language"))


async def _principal(request: web.Request) -> Principal | None:
    auth = request.app[keys.AUTH]
    for cookie in (CUSTOMER_COOKIE, GUEST_COOKIE):
        token = request.cookies.get(cookie)
        if token and (principal := await auth.from_token(token)) and principal.kind in ("customer", "guest"):
            return principal
    return None


async def _page(
    request: web.Request, *, status: int = 200, principal: Principal | None = None, **shown
) -> web.Response:
    """The form page, for the principal of the cookies unless one is given."""
    principal = principal or await _principal(request)
    orders = []
    if principal and principal.kind == "customer":
        orders = await request.app[keys.ORDERS].of_customer(principal.customer_id)
    html = form_page(
        language(request), principal=principal, limits=request.app[keys.UPLOAD_LIMITS], orders=orders, **shown
    )
    return web.Response(text=html, content_type="text/html", status=status, headers=PAGE_HEADERS)


def _next_step(request: web.Request, cookie: str, token: str) -> web.HTTPSeeOther:
    response = web.HTTPSeeOther(f"/?lang={language(request)}")
    response.set_cookie(cookie, token, httponly=True, samesite="Lax", max_age=3600)
    return response


async def show_form(request: web.Request) -> web.Response:
    """The submission form."""
    if token := request.query.get("customer_token"):
        # The shop links here with a signed customer token; keep it in a cookie, drop it from the URL.
        raise _next_step(request, CUSTOMER_COOKIE, token)
    return await _page(request)


async def guest_login(request: web.Request) -> web.Response:
    """A guest's email + order number: on to the ticket form, or the reason why not (wrong pair, or the wait)."""
    form = await posted_form(request)
    values = {"email": str(form.get("email", "")).strip(), "order_number": str(form.get("order_number", "")).strip()}
    lang = language(request)
    try:
        body = GuestSessionBody(**values)
    except ValidationError as exc:
        return await _page(request, status=422, errors=field_errors(exc, lang), values=values)
    command = OpenGuestSession(email=str(body.email), order_number=body.order_number, client=client_of(request))
    try:
        opened: GuestSessionOpened = await request.app[keys.BUS].handle(command)
    except Throttled as throttled:
        return await _page(request, status=429, values=values, form_error=wait_message(throttled, lang))
    except GuestNotVerified:
        return await _page(request, status=401, values=values, form_error=words(lang).form.errors.guest)
    raise _next_step(request, GUEST_COOKIE, opened.token)


async def submit_form(request: web.Request) -> web.Response:
    """The ticket form sent: the ticket number and what follows, or the form again with what to fix."""
    principal, lang, app = await _principal(request), language(request), request.app
    said = words(lang).form.errors
    if principal is None:
        return await _page(request, status=401, form_error=said.session)
    if request.content_type != "multipart/form-data":
        # Not what the form sends (a script, a proxy that re-encoded it): say so, keeping what can be read.
        typed = await posted_form(request) if request.content_type == "application/x-www-form-urlencoded" else {}
        values = {name: str(value) for name, value in typed.items() if isinstance(value, str)}
        return await _page(request, status=415, principal=principal, values=values, form_error=said.not_possible)
    upload = Upload()  # what was typed stays here, to be shown again when something is refused

    async def refused(status: int, errors: dict[str, str]) -> web.Response:
        return await _page(
            request,
            status=status,
            principal=principal,
            errors=errors,
            values=upload.fields,
            form_error=None if errors else said.not_possible,
            files_again=upload.files_sent > 0,  # files are never kept: the page asks for them again
        )

    try:
        await read_multipart(request, app[keys.FILES], app[keys.UPLOAD_LIMITS], into=upload)
        async with files_kept_on_success(upload, app[keys.FILES]):  # nothing left behind by a refused submission
            body = SubmitTicketBody.model_validate(present_fields(SubmitTicketBody, upload.fields))
            command = submission(principal, body, upload, correlation=correlation_id(request))
            ticket: TicketCreated = await app[keys.BUS].handle(command)
    except ValidationError as exc:
        return await refused(422, field_errors(exc, lang))
    except Problem as problem:
        return await refused(problem.status, problem_errors(problem, lang, app[keys.UPLOAD_LIMITS]))
    except DomainError as exc:
        return await refused(422, refusal_errors(exc, lang))
    html = success_page(
        lang,
        ticket=ticket,
        category=body.category.value,
        email=principal.email or "",
        status_url=status_url(request, ticket),
        timezone=app[keys.SLA_RULES].calendar.tz,
    )
    return web.Response(text=html, content_type="text/html", status=201, headers=PAGE_HEADERS)


def add_form_routes(app: web.Application) -> None:
    app.router.add_get("/", show_form)
    app.router.add_post("/form/guest", same_site_only(guest_login))
    app.router.add_post("/form/tickets", same_site_only(body_limit("upload")(submit_form)))
