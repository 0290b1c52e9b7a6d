"""From a request to a command: the body read and validated, and who the ticket is for.

Shared by the API and the form, so both send the same ``SubmitTicket`` for the
same person and the same words. Refusals here are problems (the request is
malformed, or names a customer the caller may not name); what needs the
database to decide (is this order the customer's own?) is the handler's.
"""

from __future__ import annotations

import uuid

from aiohttp import web
from pydantic import BaseModel, ValidationError

from soporte.events import new_ticket_id
from soporte.events import types as t
from soporte.intake.domain.commands import IdempotencyKey, SubmitTicket
from soporte.platform.http import CORRELATION_ID, FieldError, Problem, validation_problem

from . import keys
from .auth import Principal
from .bodies import SubmitTicketBody
from .uploads import Upload, read_multipart


async def parse(request: web.Request, model: type[BaseModel]) -> BaseModel:
    """A JSON body validated with ``model`` (415, 413, 400 or 422 otherwise)."""
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
        raise _invalid("body", "must be a JSON object")
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        raise validation_problem(exc) from exc


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


def correlation_id(request: web.Request) -> uuid.UUID | None:
    """The request's correlation id, when it is one the events can carry (a UUID)."""
    try:
        return uuid.UUID(request.get(CORRELATION_ID) or "")
    except ValueError:
        return None


def submission(
    principal: Principal,
    body: SubmitTicketBody,
    upload: Upload,
    *,
    idempotency_key: IdempotencyKey | None = None,
    correlation: uuid.UUID | None = None,
) -> SubmitTicket:
    """The ``SubmitTicket`` a principal sends: customers and guests for themselves, agents for a caller."""
    order_number = body.order_number
    if principal.kind == "agent":
        if not body.customer_email:
            raise _invalid("customer_email", "agents open tickets for a customer: give their email")
        email, customer_id = str(body.customer_email).lower(), None  # the handler links a known order's account
    else:
        if body.customer_email:
            raise _invalid("customer_email", "only agents set the customer's email")
        email, customer_id = principal.email or "", principal.customer_id
        if principal.kind == "guest":
            order_number = order_number or principal.order_number
            if order_number != principal.order_number:
                raise _invalid("order_number", "guests open tickets about the order they verified")
    return SubmitTicket(
        actor=principal.actor,
        ticket_id=new_ticket_id(),
        category=body.category,
        description=body.description,
        customer=t.CustomerRef(name=body.customer_name, email=email, customer_id=customer_id, language=body.language),
        order_number=order_number,
        channel=body.channel,
        attachments=tuple(upload.attachments),
        idempotency_key=idempotency_key,
        correlation_id=correlation,
    )


def _invalid(field: str, message: str) -> Problem:
    return Problem(422, "validation-error", "The request has invalid fields", errors=[FieldError(field, message)])
