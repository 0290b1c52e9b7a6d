"""The OpenAPI 3.1 document, built from the app's own routes and the request models.

Built once every route is registered, so a route added without a description here
still appears (with its handler's docstring); a test compares it with the router.
"""

from __future__ import annotations

from collections.abc import Iterable

from soporte.intake.entrypoints import bodies

REQUEST_MODELS = {
    "/api/v1/guest-sessions": bodies.GuestSessionBody,
    "/api/v1/tickets": bodies.SubmitTicketBody,
    "/api/v1/tickets/{ticket_id}/messages": bodies.MessageBody,
    "/api/v1/tickets/{ticket_id}/responses": bodies.MessageBody,
    "/api/v1/tickets/{ticket_id}/notes": bodies.MessageBody,
    "/api/v1/tickets/{ticket_id}/clarification-requests": bodies.ClarificationBody,
    "/api/v1/tickets/{ticket_id}/resolve": bodies.ResolveBody,
    "/api/v1/tickets/{ticket_id}/reopen": bodies.ReopenBody,
    "/api/v1/tickets/{ticket_id}/assignment": bodies.AssignBody,
    "/api/v1/tickets/{ticket_id}/return-labels": bodies.ReturnLabelBody,
    "/api/v1/tickets/{ticket_id}/courier-claims": bodies.CourierClaimBody,
}
# Requests that may also come as multipart/form-data, with the files in repeated "files" parts.
MULTIPART = {"/api/v1/tickets", "/api/v1/tickets/{ticket_id}/messages", "/api/v1/tickets/{ticket_id}/responses"}
PUBLIC = {
    "/api/v1/guest-sessions",
    "/api/openapi.json",
    "/healthz",
    "/readyz",
    "/metrics",
    "/",
    "/form/guest",
    "/form/tickets",
}
HTML = {"/", "/form/guest", "/form/tickets"}

PROBLEM = {
    "description": "an RFC 9457 problem",
    "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}},
}
RESPONSE_SCHEMAS: dict = {
    "Problem": {
        "type": "object",
        "properties": {
            "type": {"type": "string"},
            "title": {"type": "string"},
            "status": {"type": "integer"},
            "detail": {"type": "string"},
            "instance": {"type": "string"},
            "errors": {
                "type": "array",
                "items": {"type": "object", "properties": {"field": {"type": "string"}, "message": {"type": "string"}}},
            },
        },
        "required": ["type", "title", "status"],
    },
    "CommandAccepted": {
        "type": "object",
        "properties": {"ticket_id": {"type": "string"}, "version": {"type": "integer", "minimum": 0}},
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
        },
        "required": ["ticket_id", "version", "access_token", "status_url"],
    },
    "GuestSession": {
        "type": "object",
        "properties": {"guest_token": {"type": "string"}, "order_number": {"type": "string"}},
        "required": ["guest_token", "order_number"],
    },
    "WhoAmI": {
        "type": "object",
        "properties": {
            "kind": {"enum": ["agent", "customer", "guest", "ticket"]},
            "id": {"type": "string"},
            "name": {"type": ["string", "null"]},
            "email": {"type": ["string", "null"]},
            "customer_id": {"type": "string"},
            "ticket_id": {"type": "string"},
            "order_number": {"type": "string"},
        },
        "required": ["kind", "id", "name", "email"],
    },
    "MyOrders": {
        "type": "object",
        "properties": {
            "items": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "order_number": {"type": "string"},
                        "placed_at": {"type": "string", "format": "date-time"},
                        "items": {"type": "array", "items": {"type": "object"}},
                    },
                },
            }
        },
        "required": ["items"],
    },
}
SUCCESS = {
    "/api/v1/guest-sessions": ("201", "GuestSession"),
    "/api/v1/tickets": ("201", "TicketCreated"),
    "/api/v1/whoami": ("200", "WhoAmI"),
    "/api/v1/me/orders": ("200", "MyOrders"),
}


def _json(ref: str) -> dict:
    return {"application/json": {"schema": {"$ref": f"#/components/schemas/{ref}"}}}


def _success(method: str, path: str) -> dict:
    if path in SUCCESS:
        status, ref = SUCCESS[path]
        return {status: {"description": ref, "content": _json(ref)}}
    if path in HTML:
        return {
            "200": {"description": "an HTML page", "content": {"text/html": {"schema": {"type": "string"}}}},
            "303": {"description": "on to the next step of the form"},
        }
    if path.endswith("/attachments/{sha256}"):
        return {
            "200": {
                "description": "the file, with the type judged from its content",
                "content": {
                    "application/octet-stream": {
                        "schema": {"type": "string", "contentMediaType": "application/octet-stream"}
                    }
                },
            }
        }
    if path.startswith("/api/v1/tickets/") and method == "POST":
        return {
            "201": {"description": "events appended", "content": _json("CommandAccepted")},
            "200": {"description": "nothing to change (the same assignee again)", "content": _json("CommandAccepted")},
        }
    return {"200": {"description": "OK"}}


def build_openapi(routes: Iterable[tuple[str, str, object]]) -> dict:
    """Every (method, path, handler) given, with request schemas, answers and the problem responses."""
    paths: dict = {}
    schemas: dict = dict(RESPONSE_SCHEMAS)
    for method, path, handler in routes:
        responses = _success(method, path)
        if path.startswith("/api/v1/"):
            responses["4XX"] = PROBLEM
        operation: dict = {
            "operationId": f"{method.lower()}_{handler.__name__}",
            "summary": (handler.__doc__ or handler.__name__.replace("_", " ")).strip().splitlines()[0],
            "responses": responses,
            "security": [] if path in PUBLIC else [{"bearer": []}],
        }
        parameters = [
            {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
            for name in ("ticket_id", "sha256")
            if f"{{{name}}}" in path
        ]
        model = REQUEST_MODELS.get(path)
        if model is not None and method == "POST":
            schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
            schemas.update(schema.pop("$defs", {}))
            schemas[model.__name__] = schema
            content = {"application/json": {"schema": {"$ref": f"#/components/schemas/{model.__name__}"}}}
            if path in MULTIPART:
                content["multipart/form-data"] = {
                    "schema": {
                        "allOf": [
                            {"$ref": f"#/components/schemas/{model.__name__}"},
                            {
                                "type": "object",
                                "properties": {
                                    "files": {
                                        "type": "array",
                                        "items": {"type": "string", "contentMediaType": "application/octet-stream"},
                                    }
                                },
                            },
                        ]
                    }
                }
            operation["requestBody"] = {"required": True, "content": content}
            parameters.append(
                {
                    "name": "Idempotency-Key",
                    "in": "header",
                    "required": False,
                    "schema": {"type": "string", "maxLength": 200},
                }
            )
        if parameters:
            operation["parameters"] = parameters
        paths.setdefault(path, {})[method.lower()] = operation
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Soporte intake",
            "version": "1",
            "description": "Ticket commands: every change is an event.",
        },
        "paths": paths,
        "components": {"schemas": schemas, "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
    }


def app_routes(router) -> list[tuple[str, str, object]]:
    """(method, path, handler) of every route an aiohttp router serves (HEAD comes with GET)."""
    return [
        (r.method, r.resource.canonical, r.handler)
        for r in router.routes()
        if r.method != "HEAD" and r.resource is not None
    ]
