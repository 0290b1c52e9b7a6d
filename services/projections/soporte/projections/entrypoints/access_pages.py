"""Pages for customers without a working link: "send me a link" (``/access``) and "my tickets" (``/my/tickets``).

``/access`` takes an address and asks intake to mail it links to its open and
recent tickets; it answers the same whether or not the desk has any (nothing
to enumerate), and says how long to wait when intake's limits were reached.
``/my/tickets`` lists a shop customer's tickets with their status and last
activity; it is opened with the shop's customer token (``?customer_token=``)
or the account link the desk mails (``?token=``), kept in the account cookie,
which also opens each of those tickets' pages.
"""

from __future__ import annotations

from aiohttp import web

from soporte.platform.guards import same_site_only
from soporte.platform.http import posted_form
from soporte.projections import keys
from soporte.projections.entrypoints.pages import client_of, html_errors, page_language, principal_of, render
from soporte.projections.entrypoints.status_page import ACCOUNT_COOKIE, AREA, keep_customer_token, wait_of, with_lang

MY_TICKETS = "/my/tickets"


def access_request_page(
    request: web.Request, *, status: int = 200, email: str = "", invalid: bool = False, sent: bool = False, wait=None
) -> web.Response:
    context = {"email": email, "invalid": invalid, "sent": sent, "wait": wait}
    return render(request, "access_request.html.j2", area=AREA, status=status, **context)


async def ask_for_links(request: web.Request) -> web.Response:
    """The form: an address to mail links to."""
    return access_request_page(request)


@html_errors(AREA)
async def send_links(request: web.Request) -> web.Response:
    """Links mailed to the address if it has tickets; the same answer if it has none."""
    email = str((await posted_form(request)).get("email", "")).strip()[:254]
    answer = await request.app[keys.COMMANDS].post(
        "/api/v1/access-links",
        None,
        json_body={"email": email, "language": page_language(request)},
        client=client_of(request),
    )
    if answer.status == 429:
        return access_request_page(request, status=429, email=email, wait=wait_of(request, answer.body))
    if answer.status == 422:
        return access_request_page(request, status=422, email=email, invalid=True)
    return access_request_page(request, status=200, sent=True)


@html_errors(AREA)
async def my_tickets(request: web.Request) -> web.Response:
    """A shop customer's tickets, the newest first, with their status and last activity."""
    if token := request.query.get("token") or request.query.get("customer_token"):
        response = web.HTTPSeeOther(with_lang(request, MY_TICKETS))
        keep_customer_token(request, response, ACCOUNT_COOKIE, token, "/")
        raise response
    principal = await principal_of(request, request.cookies.get(ACCOUNT_COOKIE))
    if principal is None or principal.kind != "customer":
        return render(request, "my_tickets.html.j2", area=AREA, status=401, tickets=None)
    tickets = await request.app[keys.READ_MODELS].customer_tickets(principal)
    return render(request, "my_tickets.html.j2", area=AREA, tickets=tickets, name=principal.name)


def add_access_routes(app: web.Application) -> None:
    app.router.add_get("/access", ask_for_links)
    app.router.add_post("/access", same_site_only(send_links))
    app.router.add_get(MY_TICKETS, my_tickets)
