"""The customer status page (``/tickets/{id}``): a ticket's public thread for its customer, and a reply form.

Opened from the link in the acknowledgement (its ``?token=`` is moved into a
cookie scoped to this ticket's pages and dropped from the address bar, history
and Referer) or with email + order number (a guest session from intake).
Someone else's ticket and a ticket that does not exist answer the same page,
after the same wait: nothing confirms that a ticket exists.
"""

from __future__ import annotations

import uuid

from aiohttp import web

from soporte.projections import keys
from soporte.projections.domain.tickets import TicketView
from soporte.projections.entrypoints.pages import (
    answer_to_form,
    csrf_for,
    html_errors,
    message_page,
    min_version_of,
    page_language,
    principal_of,
    proxy_attachment,
    render,
    send_form,
    set_token_cookie,
)
from soporte.projections.entrypoints.presenters import Refusal
from soporte.words import LANGUAGES

AREA = "status_page"
ACCESS_COOKIE = "soporte_access"


def ticket_path(ticket_id: str) -> str:
    return f"/tickets/{ticket_id}"


def not_found(request: web.Request) -> web.Response:
    return message_page(request, AREA, 404, "not_found", hint=True)


def access_page(request: web.Request, ticket_id: str, *, status: int = 401, error: bool = False) -> web.Response:
    return render(request, "customer_access.html.j2", area=AREA, status=status, ticket_id=ticket_id, error=error)


async def readable(request: web.Request, *, wait: bool = False) -> tuple[str, TicketView] | None:
    """The caller's token and the ticket, when the cookie's holder may read it (after the page's wait, if asked)."""
    token = request.cookies.get(ACCESS_COOKIE)
    principal = await principal_of(request, token)
    min_version = min_version_of(request) if wait else None
    ticket = await request.app[keys.READ_MODELS].readable_ticket(
        principal,
        request.match_info["ticket_id"],
        min_version=min_version,
        wait_seconds=request.app[keys.SETTINGS].read_your_writes_seconds,
    )
    return (token or "", ticket) if ticket is not None else None


async def customer_page(
    request: web.Request, token: str, ticket: TicketView, *, status: int = 200, error: Refusal | None = None
) -> web.Response:
    return render(
        request,
        "customer_ticket.html.j2",
        area=AREA,
        status=status,
        lang=page_language(request, ticket_language=ticket.language),
        ticket=ticket,
        thread=await request.app[keys.READ_MODELS].public_thread(ticket.ticket_id),
        csrf=csrf_for(token),
        idem=str(uuid.uuid4()),
        error=error,
    )


@html_errors(AREA)
async def status_page(request: web.Request) -> web.Response:
    """A ticket's public thread for its customer (a status link's token, or email + order number)."""
    ticket_id = request.match_info["ticket_id"]
    if request.query.get("token"):
        lang = request.query.get("lang")
        response = web.HTTPSeeOther(ticket_path(ticket_id) + (f"?lang={lang}" if lang in LANGUAGES else ""))
        set_token_cookie(request, response, ACCESS_COOKIE, request.query["token"], ticket_path(ticket_id))
        raise response
    found = await readable(request, wait=True)
    if found is None:
        if await principal_of(request, request.cookies.get(ACCESS_COOKIE)):
            return not_found(request)
        return access_page(request, ticket_id)
    return await customer_page(request, *found)


@html_errors(AREA)
async def status_access(request: web.Request) -> web.Response:
    """Email + order number: intake opens a guest session; the page then shows the ticket if it is theirs."""
    ticket_id = request.match_info["ticket_id"]
    posted = await request.post()
    body = {"email": str(posted.get("email", "")).strip(), "order_number": str(posted.get("order_number", "")).strip()}
    answer = await request.app[keys.COMMANDS].post("/api/v1/guest-sessions", None, json_body=body)
    if answer.status != 201 or "guest_token" not in answer.body:
        return access_page(request, ticket_id, status=401 if answer.status < 429 else answer.status, error=True)
    response = web.HTTPSeeOther(ticket_path(ticket_id))
    set_token_cookie(request, response, ACCESS_COOKIE, answer.body["guest_token"], ticket_path(ticket_id))
    raise response


@html_errors(AREA)
async def customer_reply(request: web.Request) -> web.Response:
    """The customer's reply (with files), sent to intake with their own token."""
    found = await readable(request)
    if found is None:
        return not_found(request)
    token, ticket = found
    path = f"/api/v1/tickets/{ticket.ticket_id}/messages"
    sent = await send_form(request, token, path, ("body",), with_files=True)

    async def again(status: int, refusal: Refusal) -> web.Response:
        return await customer_page(request, token, ticket, status=status, error=refusal)

    return await answer_to_form(request, AREA, sent, ticket_path(ticket.ticket_id), again)


@html_errors(AREA)
async def customer_attachment(request: web.Request) -> web.StreamResponse:
    """A file of the customer's own ticket."""
    found = await readable(request)
    if found is None:
        return not_found(request)
    return await proxy_attachment(request, found[0], lambda: not_found(request))


def add_status_page_routes(app: web.Application) -> None:
    app.router.add_get("/tickets/{ticket_id}", status_page)
    app.router.add_post("/tickets/{ticket_id}/access", status_access)
    app.router.add_post("/tickets/{ticket_id}/reply", customer_reply)
    app.router.add_get("/tickets/{ticket_id}/attachments/{sha256}", customer_attachment)
