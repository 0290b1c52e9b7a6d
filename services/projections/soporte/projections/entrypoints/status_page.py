"""The customer status page (``/tickets/{id}``): a ticket's public thread for its customer, and a reply form.

Opened from the link in any mail (its ``?token=`` is moved into a cookie scoped
to this ticket's pages and dropped from the address bar, history and Referer),
from "my tickets" (the account cookie), or with email + order number (a guest
session from intake). A link that no longer works (expired, or revoked by an
agent) leads to a page that offers to mail a fresh one to the ticket's own
address, without showing it. Someone else's ticket and a ticket that does not
exist answer the same page, after the same wait: nothing confirms that a
ticket exists.
"""

from __future__ import annotations

import uuid

from aiohttp import web

from soporte.platform.guards import body_limit, same_site_only
from soporte.platform.http import posted_form, routed
from soporte.projections import keys
from soporte.projections.domain.tickets import TicketView
from soporte.projections.entrypoints.pages import (
    answer_to_form,
    client_of,
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
from soporte.words import LANGUAGES, too_many_attempts

AREA = "status_page"
ACCESS_COOKIE = "soporte_access"  # one ticket's pages
ACCOUNT_COOKIE = "soporte_account"  # a shop customer's: "my tickets" and each of their tickets


def ticket_path(ticket_id: str) -> str:
    return f"/tickets/{ticket_id}"


def keep_customer_token(request: web.Request, response: web.StreamResponse, name: str, token: str, path: str) -> None:
    # Lax, not Strict: the link is followed from a mail client (another site), and the cookie set then must go
    # with the redirect that follows; forms still carry a CSRF field, and Lax keeps other sites' posts out.
    set_token_cookie(request, response, name, token, path, same_site="Lax")


def with_lang(request: web.Request, path: str) -> str:
    lang = request.query.get("lang")
    return path + (f"?lang={lang}" if lang in LANGUAGES else "")


def not_found(request: web.Request) -> web.Response:
    return message_page(request, AREA, 404, "not_found", hint=True)


def wait_of(request: web.Request, answer_body: dict) -> str:
    """What a throttled person reads: how long to wait, in minutes (from intake's answer)."""
    seconds = int(answer_body.get("retry_after_seconds") or 60)
    return too_many_attempts(max(1, -(-seconds // 60)), page_language(request))


def access_page(
    request: web.Request,
    ticket_id: str,
    *,
    status: int = 401,
    error: bool = False,
    expired: bool = False,
    sent: bool = False,
    wait: str | None = None,
) -> web.Response:
    """How to reach a ticket without a working link: a fresh link by mail, or email + order number."""
    context = {"error": error, "expired": expired, "sent": sent, "wait": wait}
    return render(request, "customer_access.html.j2", area=AREA, status=status, ticket_id=ticket_id, **context)


async def readable(request: web.Request, *, wait: bool = False) -> tuple[str, TicketView] | None:
    """The token and the ticket, when the holder of the ticket's cookie (or of the account cookie) may read it
    (after the page's wait, if asked)."""
    ticket_id = request.match_info["ticket_id"]
    for token in (request.cookies.get(ACCESS_COOKIE), request.cookies.get(ACCOUNT_COOKIE)):
        principal = await principal_of(request, token)
        if principal is None:
            continue
        ticket = await request.app[keys.READ_MODELS].readable_ticket(
            principal,
            ticket_id,
            min_version=min_version_of(request) if wait else None,
            wait_seconds=request.app[keys.SETTINGS].read_your_writes_seconds,
        )
        if ticket is not None:
            return token or "", ticket
    return None


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
    """A ticket's public thread for its customer (a link's token, the account, or email + order number)."""
    ticket_id = request.match_info["ticket_id"]
    if request.query.get("token"):
        response = web.HTTPSeeOther(with_lang(request, ticket_path(ticket_id)))
        keep_customer_token(request, response, ACCESS_COOKIE, request.query["token"], ticket_path(ticket_id))
        raise response
    found = await readable(request, wait=True)
    if found is not None:
        return await customer_page(request, *found)
    link = request.cookies.get(ACCESS_COOKIE)
    if link and await principal_of(request, link):
        return not_found(request)  # a working link to another ticket
    return access_page(request, ticket_id, expired=bool(link))


@html_errors(AREA)
async def status_access(request: web.Request) -> web.Response:
    """Email + order number: intake opens a guest session; the page then shows the ticket if it is theirs."""
    ticket_id = request.match_info["ticket_id"]
    posted = await posted_form(request)
    body = {"email": str(posted.get("email", "")).strip(), "order_number": str(posted.get("order_number", "")).strip()}
    answer = await request.app[keys.COMMANDS].post(
        "/api/v1/guest-sessions", None, json_body=body, client=client_of(request)
    )
    if answer.status == 429:
        return access_page(request, ticket_id, status=429, wait=wait_of(request, answer.body))
    if answer.status != 201 or "guest_token" not in answer.body:
        return access_page(request, ticket_id, status=401 if answer.status < 500 else 503, error=True)
    response = web.HTTPSeeOther(ticket_path(ticket_id))
    keep_customer_token(request, response, ACCESS_COOKIE, answer.body["guest_token"], ticket_path(ticket_id))
    raise response


@html_errors(AREA)
async def fresh_link(request: web.Request) -> web.Response:
    """A fresh link mailed to the ticket's own address (never shown); the same answer whether it exists or not."""
    ticket_id = request.match_info["ticket_id"]
    body = {"ticket_id": ticket_id, "language": page_language(request)}
    answer = await request.app[keys.COMMANDS].post(
        "/api/v1/access-links", None, json_body=body, client=client_of(request)
    )
    if answer.status == 429:
        return access_page(request, ticket_id, status=429, wait=wait_of(request, answer.body))
    return access_page(request, ticket_id, status=200, sent=True)


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
    """A file of the customer's own ticket (a photo, the return label)."""
    found = await readable(request)
    if found is None:
        return not_found(request)
    return await proxy_attachment(request, found[0], lambda: not_found(request))


def add_status_page_routes(app: web.Application) -> None:
    app.router.add_get(routed("/tickets/{ticket_id}"), status_page)
    app.router.add_post(routed("/tickets/{ticket_id}/access"), same_site_only(status_access))
    app.router.add_post(routed("/tickets/{ticket_id}/fresh-link"), same_site_only(fresh_link))
    app.router.add_post(routed("/tickets/{ticket_id}/reply"), same_site_only(body_limit("upload")(customer_reply)))
    app.router.add_get(routed("/tickets/{ticket_id}/attachments/{sha256}"), customer_attachment)
