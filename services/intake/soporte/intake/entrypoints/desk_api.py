"""What the agents' console asks intake for besides commands: canned replies, callers and their orders.

Intake owns the canned replies (leads write them here; every agent reads them)
and the shop's orders, so the console finds a caller here by order number,
address or name, with every order and its items, and shows a ticket's order.
"""

from __future__ import annotations

from aiohttp import web

from soporte.events import Language
from soporte.intake.domain import staff_commands as sc
from soporte.intake.domain.canned import CannedReply
from soporte.intake.service_layer import views
from soporte.platform.guards import body_limit
from soporte.platform.http import FieldError, Problem
from soporte.platform.openapi import Doc, json_response

from . import bodies, keys
from .requests import parse
from .route_docs import ORDER, listed

CANNED = "/api/v1/canned-replies"
MIN_QUERY = 2


def canned_json(reply: CannedReply) -> dict:
    action = reply.action.value if reply.action else None
    return {
        "id": reply.reply_id,
        "name": reply.name,
        "language": reply.language.value,
        "body": reply.body,
        "action": action,
        "carrier": reply.carrier,
    }


async def list_canned_replies(request: web.Request) -> web.Response:
    """The canned replies (``language``: of one language; ``q``: whose name holds it), by name."""
    await request.app[keys.AUTH].require(request, "agent")
    raw = request.query.get("language")
    if raw is not None and raw not in {lang.value for lang in Language}:
        raise _invalid("language", "es or en")
    found = await views.canned_replies(
        request.app[keys.UOW](), Language(raw) if raw else None, request.query.get("q", "")
    )
    return web.json_response({"items": [canned_json(r) for r in found]})


async def _saved(request: web.Request, reply_id: str | None) -> CannedReply:
    principal = await request.app[keys.AUTH].require(request, "agent")
    body = await parse(request, bodies.CannedReplyBody)
    fields = {name: getattr(body, name) for name in type(body).model_fields}  # named as the command's
    return await request.app[keys.BUS].handle(sc.SaveCannedReply(actor=principal.staff, reply_id=reply_id, **fields))


@body_limit("command")  # a reply's text is longer than what strangers may send
async def add_canned_reply(request: web.Request) -> web.Response:
    """A new canned reply (leads): only known placeholders, a name unique in its language."""
    return web.json_response(canned_json(await _saved(request, None)), status=201)


@body_limit("command")
async def change_canned_reply(request: web.Request) -> web.Response:
    """A canned reply changed (leads)."""
    return web.json_response(canned_json(await _saved(request, request.match_info["reply_id"])))


async def remove_canned_reply(request: web.Request) -> web.Response:
    """A canned reply removed (leads)."""
    principal = await request.app[keys.AUTH].require(request, "agent")
    await request.app[keys.BUS].handle(
        sc.RemoveCannedReply(actor=principal.staff, reply_id=request.match_info["reply_id"])
    )
    return web.Response(status=204)


async def find_customers(request: web.Request) -> web.Response:
    """Callers by order number, address or part of a name (accents aside), each with their orders and items."""
    await request.app[keys.AUTH].require(request, "agent")
    query = request.query.get("q", "").strip()
    if not MIN_QUERY <= len(query) <= 320:
        raise _invalid("q", f"from {MIN_QUERY} to 320 characters")
    return web.json_response({"items": await request.app[keys.ORDERS].customers(query)})


async def get_order(request: web.Request) -> web.Response:
    """One order: its date, customer and items."""
    await request.app[keys.AUTH].require(request, "agent")
    order = await request.app[keys.ORDERS].get(request.match_info["order_number"])
    if order is None:
        raise Problem(404, "not-found", "No such order")
    return web.json_response(order)


def _invalid(field: str, message: str) -> Problem:
    return Problem(422, "validation-error", "The request has invalid fields", errors=[FieldError(field, message)])


DESK_ROUTES = [
    ("GET", CANNED, list_canned_replies),
    ("POST", CANNED, add_canned_reply),
    ("PUT", f"{CANNED}/{{reply_id}}", change_canned_reply),
    ("DELETE", f"{CANNED}/{{reply_id}}", remove_canned_reply),
    ("GET", "/api/v1/customers", find_customers),
    ("GET", "/api/v1/orders/{order_number}", get_order),
]
_QUERY = {"in": "query", "required": False, "schema": {"type": "string"}}
DESK_DOCS: dict[tuple[str, str], Doc] = {
    ("GET", CANNED): Doc(
        responses={"200": json_response("CannedReplies")},
        parameters=[{"name": "language", **_QUERY}, {"name": "q", **_QUERY}],
    ),
    ("POST", CANNED): Doc(body=bodies.CannedReplyBody, responses={"201": json_response("CannedReply")}),
    ("PUT", f"{CANNED}/{{reply_id}}"): Doc(
        body=bodies.CannedReplyBody, responses={"200": json_response("CannedReply")}
    ),
    ("DELETE", f"{CANNED}/{{reply_id}}"): Doc(responses={"204": {"description": "removed"}}),
    ("GET", "/api/v1/customers"): Doc(
        responses={"200": json_response("Customers")}, parameters=[{"name": "q", **_QUERY, "required": True}]
    ),
    ("GET", "/api/v1/orders/{order_number}"): Doc(responses={"200": json_response("Order")}),
}
_REPLY = {
    "type": "object",
    "properties": {
        "id": {"type": "string"},
        "name": {"type": "string"},
        "language": {"enum": ["es", "en"]},
        "body": {"type": "string", "description": "may hold {customer_name} {order_number} {ticket_id} {expected_by}"},
        "action": {"enum": ["return_label", "resolve", None]},
        "carrier": {"type": ["string", "null"]},
    },
    "required": ["id", "name", "language", "body"],
}
DESK_SCHEMAS = {
    "CannedReply": _REPLY,
    "CannedReplies": listed(_REPLY),
    "Order": ORDER,
    "Customers": listed(
        {
            "type": "object",
            "properties": {
                "email": {"type": "string"},
                "name": {"type": ["string", "null"]},
                "customer_id": {"type": ["string", "null"]},
                "orders": {"type": "array", "items": ORDER},
            },
        }
    ),
}
