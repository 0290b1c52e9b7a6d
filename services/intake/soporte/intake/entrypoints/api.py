"""The intake HTTP API: routes in one place, handlers thin (parse, decide, persist, answer)."""

from __future__ import annotations

import secrets
from datetime import timedelta
from urllib.parse import quote

from aiohttp import web
from pydantic import BaseModel, ValidationError

from soporte.events import new_ticket_id
from soporte.events import types as t
from soporte.intake.adapters.store import ConcurrencyConflict
from soporte.intake.domain import tickets as domain
from soporte.intake.entrypoints.auth import Principal
from soporte.intake.entrypoints.bodies import (
    AssignBody,
    ClarificationBody,
    CourierClaimBody,
    GuestSessionBody,
    MessageBody,
    ReopenBody,
    ResolveBody,
    ReturnLabelBody,
    SubmitTicketBody,
)
from soporte.intake.service import CommandResult
from soporte.platform.http import CORRELATION_ID, FieldError, Problem, problem_response, validation_problem
from soporte.platform.tokens import sign_token

from . import keys
from .uploads import Upload, files_kept_on_success, read_multipart


def map_domain_error(exc: Exception) -> Problem | None:
    """Domain errors to HTTP, once, at the edge."""
    if isinstance(exc, domain.TicketNotFound):
        return Problem(404, "not-found", "No such ticket")
    if isinstance(exc, domain.NotAllowed):
        return Problem(403, "forbidden", "Not allowed", detail=str(exc))
    if isinstance(exc, domain.InvalidTransition):
        return Problem(409, "invalid-transition", "Not possible in the ticket's current state", detail=str(exc))
    if isinstance(exc, ConcurrencyConflict):
        return Problem(
            409,
            "version-conflict",
            "The ticket changed since you read it",
            detail=str(exc),
            extra={"current_version": exc.actual} if exc.actual is not None else {},
        )
    return None


async def parse_with_files(request: web.Request, model: type[BaseModel]) -> tuple[BaseModel, Upload]:
    """JSON, or multipart/form-data with files (stored now: run the command in ``files_kept_on_success``)."""
    if request.content_type != "multipart/form-data":
        return await parse(request, model), Upload()
    store = request.app[keys.FILES]
    upload = await read_multipart(request, store, request.app[keys.UPLOAD_LIMITS])
    try:
        return model.model_validate(present_fields(model, upload.fields)), upload
    except ValidationError as exc:
        await upload.discard(store)
        raise validation_problem(exc) from exc


def present_fields(model: type[BaseModel], fields: dict[str, str]) -> dict[str, str]:
    """Form fields as a body: an empty optional field counts as absent (browsers send every input)."""
    return {
        k: v for k, v in fields.items() if v != "" or (k in model.model_fields and model.model_fields[k].is_required())
    }


async def parse(request: web.Request, model: type[BaseModel]) -> BaseModel:
    if request.content_type != "application/json":
        raise Problem(
            415,
            "unsupported-media-type",
            "Send JSON",
            detail="Content-Type must be application/json or multipart/form-data",
        )
    if request.content_length is not None and request.content_length > request.app[keys.SETTINGS].max_body_bytes:
        raise Problem(413, "payload-too-large", "Request body too large")
    try:
        raw = await request.json()
    except ValueError as exc:
        raise Problem(400, "bad-request", "The body is not valid JSON") from exc
    if not isinstance(raw, dict):
        raise Problem(
            422,
            "validation-error",
            "The request has invalid fields",
            errors=[FieldError("body", "must be a JSON object")],
        )
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        raise validation_problem(exc) from exc


def idempotency(request: web.Request, principal: Principal | None) -> tuple[str, str] | None:
    key = request.headers.get("Idempotency-Key")
    if not key:
        return None
    if len(key) > 200:
        raise Problem(400, "bad-request", "Idempotency-Key is too long")
    return (principal.key if principal else f"anonymous:{request.remote}", key)


def answer(result: CommandResult) -> web.Response:
    return web.json_response(result.body, status=result.status)


# --- auth-related endpoints ------------------------------------------------------------


async def create_guest_session(request: web.Request) -> web.Response:
    """A guest session for a known email + order number pair (one 401 for any mismatch; 429 when over the limits)."""
    body = await parse(request, GuestSessionBody)
    try:
        token = await create_guest_session_for(request, str(body.email), body.order_number)
    except Problem as problem:
        if problem.status != 429:
            raise
        response = problem_response(problem, request.path)
        response.headers["Retry-After"] = str(problem.extra["retry_after_seconds"])
        return response
    return web.json_response({"guest_token": token, "order_number": body.order_number.strip()}, status=201)


async def create_guest_session_for(request: web.Request, email: str, order_number: str) -> str:
    """A guest token when email + order match a known order (rate-limited; one answer for any mismatch)."""
    app = request.app
    try:
        body = GuestSessionBody(email=email, order_number=order_number)
    except ValidationError as exc:
        raise validation_problem(exc) from exc
    per_client, per_order = app[keys.CLIENT_LIMITER], app[keys.ORDER_LIMITER]
    if not per_client.hit(request.remote or "?") or not per_order.hit(body.order_number.strip().lower()):
        raise Problem(
            429,
            "too-many-requests",
            "Too many attempts, try again later",
            extra={"retry_after_seconds": app[keys.SETTINGS].guest_attempt_window_seconds},
        )
    if not await app[keys.ORDERS].matches(str(body.email), body.order_number):
        # Same answer whether the email or the order is wrong: no probing of either.
        raise Problem(401, "guest-verification-failed", "We could not find an order with that email and order number")
    settings = app[keys.SETTINGS]
    return sign_token(
        {"kind": "guest", "email": str(body.email).lower(), "order_number": body.order_number.strip()},
        settings.desk_secret,
        expires_at=app[keys.CLOCK]() + timedelta(minutes=settings.guest_session_minutes),
    )


async def whoami(request: web.Request) -> web.Response:
    """Who a token stands for: agent, customer, guest or ticket (401 for anything else)."""
    principal = await request.app[keys.AUTH].require(request)
    return web.json_response(principal.as_json())


async def my_orders(request: web.Request) -> web.Response:
    """The signed-in customer's own orders (the form's dropdown)."""
    principal = await request.app[keys.AUTH].require(request, "customer")
    return web.json_response({"items": await request.app[keys.ORDERS].of_customer(principal.customer_id)})


# --- commands ----------------------------------------------------------------------------


async def submit_ticket(request: web.Request) -> web.Response:
    """Submit a ticket (JSON or multipart with files); agents open one for a customer with the channel recorded."""
    app = request.app
    principal = await app[keys.AUTH].require(request, "customer", "guest", "agent")
    body, upload = await parse_with_files(request, SubmitTicketBody)
    async with files_kept_on_success(upload, app[keys.FILES]):
        return await _submit(request, principal, body, upload)


async def _submit(request: web.Request, principal: Principal, body: SubmitTicketBody, upload: Upload) -> web.Response:
    app = request.app
    order_number = body.order_number
    if principal.kind == "agent":
        if not body.customer_email:
            raise Problem(
                422,
                "validation-error",
                "The request has invalid fields",
                errors=[FieldError("customer_email", "agents open tickets for a customer: give their email")],
            )
        email = str(body.customer_email).lower()
        # A caller's known order links the ticket to their shop account (their own pages then list it).
        customer_id = await app[keys.ORDERS].customer_of(order_number, email) if order_number else None
    else:
        if body.customer_email:
            raise Problem(
                422,
                "validation-error",
                "The request has invalid fields",
                errors=[FieldError("customer_email", "only agents set the customer's email")],
            )
        email, customer_id = principal.email or "", principal.customer_id
        if principal.kind == "guest":
            order_number = order_number or principal.order_number
            if order_number != principal.order_number:
                raise Problem(
                    422,
                    "validation-error",
                    "The request has invalid fields",
                    errors=[FieldError("order_number", "guests open tickets about the order they verified")],
                )
        elif order_number and not await app[keys.ORDERS].belongs_to(order_number, principal.customer_id):
            raise Problem(
                422,
                "validation-error",
                "The request has invalid fields",
                errors=[FieldError("order_number", "not one of your orders")],
            )
    customer = t.CustomerRef(name=body.customer_name, email=email, customer_id=customer_id, language=body.language)
    ticket_id = new_ticket_id()
    settings = app[keys.SETTINGS]

    def respond(state, events) -> CommandResult:
        access = sign_token(
            {"kind": "ticket", "ticket_id": ticket_id, "email": email},
            settings.desk_secret,
            expires_at=app[keys.CLOCK]() + timedelta(days=settings.ticket_token_days),
        )
        return CommandResult(
            201,
            {
                "ticket_id": ticket_id,
                "version": events[-1].version,
                "access_token": access,
                "status_url": f"{settings.portal_url.rstrip('/')}/tickets/{ticket_id}?token={access}",
                "actionability": events[0].data.actionability.model_dump(mode="json"),
            },
        )

    result = await app[keys.SERVICE].execute(
        ticket_id,
        principal.actor,
        lambda state: domain.decide_submit(
            state,
            category=body.category,
            description=body.description,
            customer=customer,
            order_number=order_number,
            attachments=upload.attachments,
            channel=body.channel,
            actor=principal.actor,
        ),
        idempotency=idempotency(request, principal),
        respond=respond,
        correlation_id=request.get(CORRELATION_ID),
    )
    return answer(result)


async def _ticket_command(
    request: web.Request, model, decide, *kinds: str, lookup=None, files: bool = False
) -> web.Response:
    """Shared flow of the commands on an existing ticket: who, which ticket, what they may see, decide.

    ``lookup(body)`` may fetch what the decision needs beforehand (the assignee's name);
    with ``files`` the command also takes multipart uploads, handed to ``decide`` as attachments.
    """
    app = request.app
    principal = await app[keys.AUTH].require(request, *kinds)
    body, upload = await parse_with_files(request, model) if files else (await parse(request, model), Upload())
    async with files_kept_on_success(upload, app[keys.FILES]):
        extra = await lookup(body) if lookup else upload.attachments
        ticket_id = request.match_info["ticket_id"]
        service = app[keys.SERVICE]
        state = await service.state(ticket_id)
        if not principal.can_see(state):
            raise domain.TicketNotFound(ticket_id)  # 404, never confirm someone else's ticket exists
        result = await service.execute(
            ticket_id,
            principal.actor,
            lambda s: decide(s, body, principal, extra),
            state=state,
            expected_version=body.expected_version,
            idempotency=idempotency(request, principal),
            correlation_id=request.get(CORRELATION_ID),
        )
    return answer(result)


async def customer_message(request):
    """A customer's reply (reopens a resolved ticket); JSON or multipart with files."""
    return await _ticket_command(
        request,
        MessageBody,
        lambda s, b, p, files: domain.decide_customer_reply(s, b.body, files, p.actor),
        "customer",
        "guest",
        "ticket",
        files=True,
    )


async def agent_response(request):
    """An agent's public response, mailed to the customer."""
    return await _ticket_command(
        request,
        MessageBody,
        lambda s, b, p, files: domain.decide_agent_reply(s, b.body, files, p.actor),
        "agent",
        files=True,
    )


async def internal_note(request):
    """An internal note, seen by agents only."""
    return await _ticket_command(
        request, MessageBody, lambda s, b, p, _: domain.decide_note(s, b.body, p.actor), "agent"
    )


async def clarification_request(request):
    """Ask the customer for more (the ticket then waits on them)."""
    return await _ticket_command(
        request, ClarificationBody, lambda s, b, p, _: domain.decide_clarification(s, b.question, p.actor), "agent"
    )


async def resolve(request):
    """Resolve the ticket."""
    return await _ticket_command(
        request, ResolveBody, lambda s, b, p, _: domain.decide_resolve(s, b.resolution, p.actor), "agent"
    )


async def reopen(request):
    """Reopen a resolved ticket."""
    return await _ticket_command(request, ReopenBody, lambda s, b, p, _: domain.decide_reopen(s, p.actor), "agent")


async def assignment(request):
    """Assign the ticket to an agent (or nobody)."""

    async def assignee_name(body: AssignBody) -> str | None:
        # Only known agents can be assignees; their names travel in the event for the queues.
        if body.assignee_id is None:
            return None
        agent = await request.app[keys.AGENTS].get(body.assignee_id)
        if agent is None:
            raise Problem(
                422,
                "validation-error",
                "The request has invalid fields",
                errors=[FieldError("assignee_id", "no such agent")],
            )
        return agent.name

    return await _ticket_command(
        request,
        AssignBody,
        lambda s, b, p, name: domain.decide_assign(s, b.assignee_id, name, p.actor),
        "agent",
        lookup=assignee_name,
    )


async def return_label(request):
    """Issue a free return label."""
    return await _ticket_command(
        request,
        ReturnLabelBody,
        lambda s, b, p, _: domain.decide_return_label(
            s,
            "RL-" + secrets.token_hex(4).upper(),
            b.carrier,
            b.tracking_number or "RT" + secrets.token_hex(5).upper(),
            p.actor,
        ),
        "agent",
    )


async def courier_claim(request):
    """Open a claim with the courier."""
    return await _ticket_command(
        request,
        CourierClaimBody,
        lambda s, b, p, _: domain.decide_courier_claim(
            s, "CC-" + secrets.token_hex(4).upper(), b.carrier, b.tracking_number, b.reason, p.actor
        ),
        "agent",
    )


async def download_attachment(request: web.Request) -> web.StreamResponse:
    """A ticket's file, for whoever may see the ticket; the name is for display only."""
    app = request.app
    principal = await app[keys.AUTH].require(request)
    ticket_id, sha = request.match_info["ticket_id"], request.match_info["sha256"]
    state = await app[keys.SERVICE].state(ticket_id)
    path = app[keys.FILES].path_of(sha)
    if not principal.can_see(state) or sha not in state.attachments or path is None:
        raise Problem(404, "not-found", "No such file")
    ref = next(
        a
        for e in await app[keys.SERVICE].store.load(ticket_id)
        for a in getattr(e.data, "attachments", [])
        if a.sha256 == sha
    )
    return web.FileResponse(
        path,
        headers={
            "Content-Type": ref.content_type,
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(ref.filename)}",
            "X-Content-Type-Options": "nosniff",
        },
    )


ROUTES = [
    ("POST", "/api/v1/guest-sessions", create_guest_session),
    ("GET", "/api/v1/whoami", whoami),
    ("GET", "/api/v1/me/orders", my_orders),
    ("POST", "/api/v1/tickets", submit_ticket),
    ("POST", "/api/v1/tickets/{ticket_id}/messages", customer_message),
    ("POST", "/api/v1/tickets/{ticket_id}/responses", agent_response),
    ("POST", "/api/v1/tickets/{ticket_id}/notes", internal_note),
    ("POST", "/api/v1/tickets/{ticket_id}/clarification-requests", clarification_request),
    ("POST", "/api/v1/tickets/{ticket_id}/resolve", resolve),
    ("POST", "/api/v1/tickets/{ticket_id}/reopen", reopen),
    ("POST", "/api/v1/tickets/{ticket_id}/assignment", assignment),
    ("POST", "/api/v1/tickets/{ticket_id}/return-labels", return_label),
    ("POST", "/api/v1/tickets/{ticket_id}/courier-claims", courier_claim),
    ("GET", "/api/v1/tickets/{ticket_id}/attachments/{sha256}", download_attachment),
]
