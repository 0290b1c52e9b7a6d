"""From a request to a command: the body read and validated, and who the ticket is for.

Shared by the API and the form, so both send the same ``SubmitTicket`` for the
same person and the same words. Refusals here are problems (the request is
malformed, or names a customer the caller may not name); what needs the
database to decide (is this order the customer's own?) is the handler's.
"""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

from aiohttp import web
from pydantic import BaseModel, ValidationError

from soporte.events import new_ticket_id
from soporte.events import types as t
from soporte.intake.domain.commands import IdempotencyKey, SubmitTicket
from soporte.platform.guards import too_large
from soporte.platform.http import CORRELATION_ID, FieldError, Problem, validation_problem

from . import keys
from .auth import Principal
from .bodies import SubmitTicketBody
from .uploads import Upload, read_multipart

MAX_JSON_DEPTH = 16  # bodies are flat; the deepest (a deadline change) is two levels
_STRINGS = re.compile(r'"(?:[^"\\]|\\.)*"')
_BRACKETS = re.compile(r"[\[\]{}]")


async def parse(request: web.Request, model: type[BaseModel]) -> BaseModel:
    """A JSON body validated strictly with ``model`` (415, 413, 400 or 422 otherwise)."""
    if request.content_type != "application/json":
        raise Problem(
            415,
            "unsupported-media-type",
            "Send JSON",
            detail="Content-Type must be application/json or multipart/form-data",
        )
    raw = await read_capped(request, request.app[keys.SETTINGS].max_body_bytes)
    data = strict_json(raw)
    if not isinstance(data, dict):
        raise _invalid("body", "must be a JSON object")
    if (where := nul_in(data)) is not None:
        raise _invalid(where, "must not contain NUL characters")
    try:
        # Strict: JSON's types as they are (true is no version number, "3" no count); enums and times from text.
        return model.model_validate_json(raw, strict=True)
    except ValidationError as exc:
        raise validation_problem(exc) from exc


async def read_capped(request: web.Request, limit: int) -> bytes:
    """The body, refused (413) as soon as it is longer than ``limit`` (or the route's own limit, when smaller),
    before the rest is read."""
    limit = min(limit, request.client_max_size)
    if request.content_length is not None and request.content_length > limit:
        raise too_large(limit)
    body = bytearray()
    async for chunk in request.content.iter_chunked(64 * 1024):
        body += chunk
        if len(body) > limit:
            raise too_large(limit)
    return bytes(body)


def strict_json(raw: bytes) -> Any:
    """JSON as RFC 8259 has it, or 400: UTF-8 only, no key twice in an object (parsers differ on which wins), no
    NaN or Infinity, nested at most ``MAX_JSON_DEPTH`` deep (a deep one would exhaust the parser's stack)."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _unreadable("the body is not UTF-8") from exc
    depth = deepest = 0
    for bracket in _BRACKETS.findall(_STRINGS.sub("", text)):
        depth += 1 if bracket in "[{" else -1
        deepest = max(deepest, depth)
    if deepest > MAX_JSON_DEPTH:
        raise _unreadable(f"nested deeper than {MAX_JSON_DEPTH} levels")
    try:
        return json.loads(text, object_pairs_hook=_one_value_per_key, parse_constant=_no_constant)
    except (ValueError, RecursionError) as exc:
        raise _unreadable(str(exc)[:200]) from exc


def _one_value_per_key(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys_seen = [key for key, _ in pairs]
    if len(set(keys_seen)) != len(keys_seen):
        raise ValueError(f"a key appears twice: {next(k for k in keys_seen if keys_seen.count(k) > 1)!r}")
    return dict(pairs)


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _unreadable(detail: str) -> Problem:
    return Problem(400, "bad-request", "The body is not valid JSON", detail=detail)


def nul_in(value: Any, path: str = "") -> str | None:
    """The dotted path of the first string (or key) holding a NUL character (PostgreSQL stores no NUL), or None."""
    if isinstance(value, str):
        return (path or "body") if "\x00" in value else None
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, item in items:
        where = f"{path}.{key}" if path else str(key)
        if "\x00" in str(key):
            return where
        if (found := nul_in(item, where)) is not None:
            return found
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
