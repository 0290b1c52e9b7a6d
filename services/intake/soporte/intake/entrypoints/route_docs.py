"""What intake's routes take and answer, for its OpenAPI document (``soporte.platform.openapi``).

The document is built from the router, so a route missing here still appears;
these entries add the request models, the answers and which routes are public.
"""

from __future__ import annotations

from typing import Any

from soporte.platform.openapi import Doc, json_response

from . import bodies
from .api import TICKET

IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "schema": {"type": "string", "maxLength": 200},
}

COMMAND_ANSWERS = {
    "201": json_response("CommandAccepted", "events appended"),
    "200": json_response("CommandAccepted", "nothing to change (the same assignee again)"),
}
_HTML = {"text/html": {"schema": {"type": "string"}}}
HTML_PAGE = {
    "200": {"description": "an HTML page", "content": _HTML},
    "303": {"description": "on to the next step of the form"},
}
# The form again, saying what to fix (a refusal of the edge, such as a body too large, is a problem).
HTML_REFUSAL = {
    "description": "the page again with what to fix, or a problem",
    "content": {**_HTML, "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}},
}
FILE = {
    "200": {
        "description": "the file, with the type judged from its content",
        "content": {
            "application/octet-stream": {"schema": {"type": "string", "contentMediaType": "application/octet-stream"}}
        },
    }
}

PHOTO = {
    "200": {
        "description": "the photo upright, without metadata: JPEG, or PNG when it has transparency",
        "content": {"image/jpeg": {"schema": {"type": "string", "contentMediaType": "image/jpeg"}}},
    }
}


def _command(body: type[bodies.Body], *, files: bool = False) -> Doc:
    return Doc(body=body, files=files, responses=COMMAND_ANSWERS, parameters=[IDEMPOTENCY_KEY])


_PUBLIC_PAGE = Doc(responses=HTML_PAGE, public=True, problems=False)
_FORM_POST = Doc(responses={**HTML_PAGE, "201": HTML_PAGE["200"], "4XX": HTML_REFUSAL}, public=True, problems=False)
_PLAIN = Doc(public=True, problems=False)

DOCS: dict[tuple[str, str], Doc] = {
    ("POST", "/api/v1/guest-sessions"): Doc(
        body=bodies.GuestSessionBody, responses={"201": json_response("GuestSession")}, public=True
    ),
    ("POST", "/api/v1/access-links"): Doc(
        body=bodies.AccessLinkBody, responses={"202": json_response("AccessLinkRequestTaken")}, public=True
    ),
    ("GET", "/api/v1/carriers"): Doc(responses={"200": json_response("Carriers")}),
    ("GET", "/api/v1/whoami"): Doc(responses={"200": json_response("WhoAmI")}),
    ("GET", "/api/v1/publication"): Doc(responses={"200": json_response("Publication")}, public=True),
    ("GET", "/api/v1/me/orders"): Doc(responses={"200": json_response("MyOrders")}),
    ("POST", "/api/v1/tickets"): Doc(
        body=bodies.SubmitTicketBody,
        files=True,
        responses={"201": json_response("TicketCreated")},
        parameters=[IDEMPOTENCY_KEY],
    ),
    ("POST", f"{TICKET}/messages"): _command(bodies.MessageBody, files=True),
    ("POST", f"{TICKET}/responses"): _command(bodies.ResponseBody, files=True),
    ("POST", f"{TICKET}/notes"): _command(bodies.MessageBody),
    ("POST", f"{TICKET}/clarification-requests"): _command(bodies.ClarificationBody),
    ("POST", f"{TICKET}/resolve"): _command(bodies.ResolveBody),
    ("POST", f"{TICKET}/reopen"): _command(bodies.ReopenBody),
    ("POST", f"{TICKET}/assignment"): _command(bodies.AssignBody),
    ("POST", f"{TICKET}/return-labels"): _command(bodies.ReturnLabelBody),
    ("POST", f"{TICKET}/courier-claims"): _command(bodies.CourierClaimBody),
    ("POST", f"{TICKET}/sla-deadline-changes"): _command(bodies.DeadlineChangeBody),
    ("POST", f"{TICKET}/link-revocations"): _command(bodies.RevokeLinksBody),
    ("GET", f"{TICKET}/attachments/{{sha256}}"): Doc(
        responses=FILE, parameters=[{"name": "disposition", "in": "query", "schema": {"enum": ["inline"]}}]
    ),
    ("GET", f"{TICKET}/attachments/{{sha256}}/views/{{size}}"): Doc(responses=PHOTO),
    ("GET", "/"): _PUBLIC_PAGE,
    ("POST", "/form/guest"): _FORM_POST,
    ("POST", "/form/tickets"): _FORM_POST,
    ("GET", "/api/openapi.json"): _PLAIN,
    ("GET", "/healthz"): _PLAIN,
    ("GET", "/readyz"): _PLAIN,
    ("GET", "/metrics"): _PLAIN,
}

_ID = {"type": "string"}


def listed(item: dict[str, Any]) -> dict[str, Any]:
    """A JSON answer holding ``items``, each like ``item``."""
    return {"type": "object", "properties": {"items": {"type": "array", "items": item}}, "required": ["items"]}


ORDER = {
    "type": "object",
    "properties": {
        "order_number": _ID,
        "placed_at": {"type": "string", "format": "date-time"},
        "customer_name": {"type": ["string", "null"]},
        "email": {"type": "string"},
        "items": {"type": "array", "items": {"type": "object"}},
    },
    "required": ["order_number", "placed_at", "items"],
}
SCHEMAS: dict[str, Any] = {
    "CommandAccepted": {
        "type": "object",
        "properties": {"ticket_id": _ID, "version": {"type": "integer", "minimum": 0}},
        "required": ["ticket_id", "version"],
    },
    "TicketCreated": {
        "type": "object",
        "properties": {
            "ticket_id": {"type": "string", "examples": ["T-7F3K2M9QXA"]},
            "version": {"type": "integer"},
            "access_token": {"type": "string", "description": "ticket-access token for the status page and replies"},
            "status_url": {"type": "string", "format": "uri"},
            "actionability": {
                "type": "object",
                "properties": {
                    "actionable": {"type": "boolean"},
                    "missing": {"type": "array", "items": {"type": "string"}},
                    "priority": {"type": "string"},
                },
            },
            "expected_answer_by": {
                "type": ["string", "null"],
                "format": "date-time",
                "description": "the earlier of the first-response and the 24-hour deadlines (null: attended live)",
            },
        },
        "required": ["ticket_id", "version", "access_token", "status_url"],
    },
    "AccessLinkRequestTaken": {
        "type": "object",
        "description": "the same answer whether or not the desk had anything to mail",
        "properties": {"status": {"const": "accepted"}},
        "required": ["status"],
    },
    "Carriers": listed({"type": "string"}),
    "Publication": {
        "type": "object",
        "description": "every ticket event that occurred before this is on Kafka (the SLA worker's timers wait)",
        "properties": {"unpublished_since": {"type": ["string", "null"], "format": "date-time"}},
        "required": ["unpublished_since"],
    },
    "GuestSession": {
        "type": "object",
        "properties": {"guest_token": _ID, "order_number": _ID},
        "required": ["guest_token", "order_number"],
    },
    "WhoAmI": {
        "type": "object",
        "properties": {
            "kind": {"enum": ["agent", "customer", "guest", "ticket"]},
            "id": _ID,
            "name": {"type": ["string", "null"]},
            "email": {"type": ["string", "null"]},
            "customer_id": _ID,
            "ticket_id": _ID,
            "order_number": _ID,
            "role": {"enum": ["agent", "lead"], "description": "agents only: a lead also reads the reports"},
        },
        "required": ["kind", "id", "name", "email"],
    },
    "MyOrders": listed(ORDER),
}
