"""The intake HTTP API: routes in one place, handlers thin.

A command handler here reads who asks and what they sent, builds the command,
hands it to the message bus (``service_layer.handlers`` does the rest: decide,
append, commit; the relay publishes) and renders the outcome it gets back.
Domain errors become problems once, in ``map_domain_error``.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from urllib.parse import quote

from aiohttp import web
from pydantic import BaseModel

from soporte.intake.adapters.images import SIZES
from soporte.intake.domain import access, canned, staff
from soporte.intake.domain import commands as c
from soporte.intake.domain import tickets as domain
from soporte.intake.service_layer import views
from soporte.platform.guards import body_limit
from soporte.platform.http import FieldError, Problem, client_address

from . import keys
from .auth import Principal
from .bodies import (
    AccessLinkBody,
    AssignBody,
    ClarificationBody,
    CourierClaimBody,
    DeadlineChangeBody,
    GuestSessionBody,
    MessageBody,
    ReopenBody,
    ResolveBody,
    ResponseBody,
    ReturnLabelBody,
    RevokeLinksBody,
    SubmitTicketBody,
)
from .requests import correlation_id, parse, parse_with_files, submission
from .uploads import Upload, files_kept_on_success


def map_domain_error(exc: Exception) -> Problem | None:
    """Domain errors to HTTP, once, at the edge."""
    if isinstance(exc, access.Throttled):
        return Problem(
            429,
            "too-many-requests",
            "Too many attempts, try again later",
            extra={"retry_after_seconds": exc.seconds},
            headers={"Retry-After": str(exc.seconds)},
        )
    if isinstance(exc, access.GuestNotVerified):
        # Same answer whether the email or the order is wrong: no probing of either.
        return Problem(401, "guest-verification-failed", "We could not find an order with that email and order number")
    if isinstance(exc, staff.SignInRefused):
        # Same answer for an unknown address, a wrong password and a disabled account.
        return Problem(401, "sign-in-failed", "Wrong email or password")
    if isinstance(exc, staff.AccountNotFound):
        return Problem(404, "not-found", "No such agent")
    if isinstance(exc, canned.CannedReplyNotFound):
        return Problem(404, "not-found", "No such canned reply")
    if isinstance(exc, domain.TicketNotFound):
        return Problem(404, "not-found", "No such ticket")
    if isinstance(exc, domain.NotAllowed):
        return Problem(403, "forbidden", "Not allowed", detail=str(exc))
    if isinstance(exc, domain.InvalidTransition):
        return Problem(409, "invalid-transition", "Not possible in the ticket's current state", detail=str(exc))
    if isinstance(exc, domain.UnacceptableValue):
        return Problem(
            422, "validation-error", "The request has invalid fields", errors=[FieldError(exc.field, str(exc))]
        )
    if isinstance(exc, c.IdempotencyKeyReused):
        return Problem(
            422,
            "idempotency-key-reused",
            "This Idempotency-Key was sent before with another request",
            detail="nothing was done: send a new key for a new request",
            errors=[FieldError("Idempotency-Key", "already used for another request")],
        )
    if isinstance(exc, domain.ConcurrencyConflict):
        return Problem(
            409,
            "version-conflict",
            "The ticket changed since you read it",
            detail=str(exc),
            extra={"current_version": exc.actual} if exc.actual is not None else {},
        )
    return None


def answer(request: web.Request, outcome: c.Outcome) -> web.Response:
    """The JSON answer to an outcome; a stored outcome (an idempotent retry) is answered the same way."""
    if isinstance(outcome, c.TicketCreated):
        body = {
            "ticket_id": outcome.ticket_id,
            "version": outcome.version,
            "access_token": outcome.access_token,
            "status_url": status_url(request, outcome),
            "actionability": outcome.actionability.model_dump(mode="json"),
            "expected_answer_by": outcome.expected_answer_by.isoformat() if outcome.expected_answer_by else None,
        }
        return web.json_response(body, status=201)
    status = 200 if isinstance(outcome, c.TicketUnchanged) else 201
    return web.json_response({"ticket_id": outcome.ticket_id, "version": outcome.version}, status=status)


def status_url(request: web.Request, ticket: c.TicketCreated) -> str:
    """Where the customer follows the ticket (the portal's status page, with the ticket-access token)."""
    portal = request.app[keys.SETTINGS].portal_url.rstrip("/")
    return f"{portal}/tickets/{ticket.ticket_id}?token={ticket.access_token}"


# --- who asks ------------------------------------------------------------------------------


def client_of(request: web.Request) -> str:
    """The asker's address (through the proxies intake trusts, ``SOPORTE_TRUSTED_PROXIES``)."""
    return client_address(request, request.app[keys.SETTINGS].proxy_networks)


async def create_guest_session(request: web.Request) -> web.Response:
    """A guest session for a known email + order number pair (one 401 for any mismatch; 429 + Retry-After when
    too many wrong pairs came for the email, the order or the client)."""
    body = await parse(request, GuestSessionBody)
    command = c.OpenGuestSession(email=str(body.email), order_number=body.order_number, client=client_of(request))
    opened: c.GuestSessionOpened = await request.app[keys.BUS].handle(command)
    return web.json_response({"guest_token": opened.token, "order_number": opened.order_number}, status=201)


async def request_access_links(request: web.Request) -> web.Response:
    """Mail links to the open and recent tickets of an address, or a fresh link to a ticket's own address: 202
    whether or not there is anything to mail (429 + Retry-After over the limits)."""
    body = await parse(request, AccessLinkBody)
    command = c.RequestAccessLink(
        client=client_of(request),
        language=body.language,
        email=str(body.email) if body.email else None,
        ticket_id=body.ticket_id,
    )
    await request.app[keys.BUS].handle(command)
    return web.json_response({"status": "accepted"}, status=202)


async def carriers(request: web.Request) -> web.Response:
    """The carriers an agent may issue a return label with (``SOPORTE_INTAKE_CARRIERS``)."""
    await request.app[keys.AUTH].require(request, "agent")
    return web.json_response({"items": list(request.app[keys.SETTINGS].carrier_names)})


async def whoami(request: web.Request) -> web.Response:
    """Who a token stands for: agent, customer, guest or ticket (401 for anything else)."""
    principal = await request.app[keys.AUTH].require(request)
    return web.json_response(principal.as_json())


async def publication(request: web.Request) -> web.Response:
    """How far publication to Kafka has come: when the oldest ticket event still waiting occurred (null: none)."""
    since = await views.unpublished_since(request.app[keys.UOW]())
    return web.json_response({"unpublished_since": since.isoformat() if since else None})


async def my_orders(request: web.Request) -> web.Response:
    """The signed-in customer's own orders (the form's dropdown)."""
    principal = await request.app[keys.AUTH].require(request, "customer")
    return web.json_response({"items": await request.app[keys.ORDERS].of_customer(principal.customer_id)})


# --- commands ----------------------------------------------------------------------------


@body_limit("upload")
async def submit_ticket(request: web.Request) -> web.Response:
    """Submit a ticket (JSON or multipart with files); agents open one for a customer with the channel recorded."""
    app = request.app
    principal = await app[keys.AUTH].require(request, "customer", "guest", "agent")
    body, upload = await parse_with_files(request, SubmitTicketBody)
    async with files_kept_on_success(upload, app[keys.FILES]):
        key = principal.idempotency_key(request.headers.get("Idempotency-Key"))
        command = submission(principal, body, upload, idempotency_key=key, correlation=correlation_id(request))
        outcome = await app[keys.BUS].handle(c.keyed_to_its_request(command))
    return answer(request, outcome)


def on_ticket(
    command: type[c.TicketCommand], model: type[BaseModel], *senders: str, files: bool = False
) -> Callable[[web.Request], Awaitable[web.Response]]:
    """The handler of a command on an existing ticket, named and documented after the command.

    The body's fields (and with ``files``, the uploaded files) become the command's
    data; ``senders`` are the kinds of token that may send it (agents by default).
    """

    async def handler(request: web.Request) -> web.Response:
        app = request.app
        principal = await app[keys.AUTH].require(request, *(senders or ("agent",)))
        body, upload = await parse_with_files(request, model) if files else (await parse(request, model), Upload())
        # Named as the command's fields (attributes, not a dump: nested models stay models).
        data = {name: getattr(body, name) for name in type(body).model_fields if name != "expected_version"}
        if files:
            data["attachments"] = tuple(upload.attachments)
        async with files_kept_on_success(upload, app[keys.FILES]):
            sent = command(
                actor=principal.actor,
                access=principal.access,
                ticket_id=request.match_info["ticket_id"],
                expected_version=body.expected_version,
                idempotency_key=principal.idempotency_key(request.headers.get("Idempotency-Key")),
                correlation_id=correlation_id(request),
                **data,
            )
            outcome = await app[keys.BUS].handle(c.keyed_to_its_request(sent))
        return answer(request, outcome)

    handler.__name__ = re.sub(r"(?<!^)(?=[A-Z])", "_", command.__name__).lower()  # AddInternalNote: add_internal_note
    handler.__doc__ = command.__doc__
    return body_limit("upload" if files else "command")(handler)


async def _reachable_file(request: web.Request):
    """The file of the route's ticket and hash, if the asker may see the ticket (one 404 otherwise, alike)."""
    app = request.app
    principal: Principal = await app[keys.AUTH].require(request)
    ticket_id, sha = request.match_info["ticket_id"], request.match_info["sha256"]
    ref = await views.attachment(app[keys.UOW](), ticket_id, sha, principal.access)
    path = app[keys.FILES].path_of(sha)
    if ref is None or path is None:
        raise Problem(404, "not-found", "No such file")
    return ref, path


async def download_attachment(request: web.Request) -> web.StreamResponse:
    """A ticket's file, for whoever may see the ticket; the name is for display only. ``?disposition=inline``
    opens a PDF in the browser; anything else is always a download."""
    ref, path = await _reachable_file(request)
    inline = request.query.get("disposition") == "inline" and ref.content_type == "application/pdf"
    return web.FileResponse(
        path,
        headers={
            "Content-Type": ref.content_type,
            "Content-Disposition": f"{'inline' if inline else 'attachment'}; filename*=UTF-8''{quote(ref.filename)}",
            "X-Content-Type-Options": "nosniff",
        },
    )


async def view_photo(request: web.Request) -> web.StreamResponse:
    """A photo of the ticket as agents look at it (``thumb`` or ``full``): upright, without its metadata (no GPS
    position), HEIC/HEIF included; 404 for a file that is not a photo."""
    ref, path = await _reachable_file(request)
    size = request.match_info["size"]
    view = None
    if size in SIZES and ref.content_type.startswith("image/"):
        view = await request.app[keys.IMAGES].view(path, ref.sha256, size)
    if view is None:
        raise Problem(404, "not-found", "No such view")
    return web.FileResponse(
        view[0], headers={"Content-Type": view[1], "X-Content-Type-Options": "nosniff", "Cache-Control": "private"}
    )


TICKET = "/api/v1/tickets/{ticket_id}"
ROUTES = [
    ("POST", "/api/v1/guest-sessions", create_guest_session),
    ("POST", "/api/v1/access-links", request_access_links),
    ("GET", "/api/v1/carriers", carriers),
    ("GET", "/api/v1/whoami", whoami),
    ("GET", "/api/v1/publication", publication),
    ("GET", "/api/v1/me/orders", my_orders),
    ("POST", "/api/v1/tickets", submit_ticket),
    (
        "POST",
        f"{TICKET}/messages",
        on_ticket(c.ReplyAsCustomer, MessageBody, "customer", "guest", "ticket", files=True),
    ),
    ("POST", f"{TICKET}/responses", on_ticket(c.RespondAsAgent, ResponseBody, files=True)),
    ("POST", f"{TICKET}/notes", on_ticket(c.AddInternalNote, MessageBody)),
    ("POST", f"{TICKET}/clarification-requests", on_ticket(c.RequestClarification, ClarificationBody)),
    ("POST", f"{TICKET}/resolve", on_ticket(c.ResolveTicket, ResolveBody)),
    ("POST", f"{TICKET}/reopen", on_ticket(c.ReopenTicket, ReopenBody)),
    ("POST", f"{TICKET}/assignment", on_ticket(c.AssignTicket, AssignBody)),
    ("POST", f"{TICKET}/return-labels", on_ticket(c.IssueReturnLabel, ReturnLabelBody)),
    ("POST", f"{TICKET}/courier-claims", on_ticket(c.OpenCourierClaim, CourierClaimBody)),
    ("POST", f"{TICKET}/sla-deadline-changes", on_ticket(c.RecordDeadlineChange, DeadlineChangeBody)),
    ("POST", f"{TICKET}/link-revocations", on_ticket(c.RevokeTicketLinks, RevokeLinksBody)),
    ("GET", f"{TICKET}/attachments/{{sha256}}", download_attachment),
    ("GET", f"{TICKET}/attachments/{{sha256}}/views/{{size}}", view_photo),
]
