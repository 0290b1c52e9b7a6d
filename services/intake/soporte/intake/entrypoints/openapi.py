"""The OpenAPI 3.1 document, built from the route table and the request models."""

from __future__ import annotations

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
PROBLEM = {"description": "an RFC 9457 problem", "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}


def build_openapi(routes: list[tuple[str, str, object]]) -> dict:
    """Every route of the app, with its request schema and the problem answers."""
    paths: dict = {}
    schemas: dict = {
        "Problem": {
            "type": "object",
            "properties": {
                "type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"},
                "detail": {"type": "string"},
                "errors": {"type": "array", "items": {"type": "object", "properties": {"field": {"type": "string"}, "message": {"type": "string"}}}},
            },
            "required": ["type", "title", "status"],
        }
    }
    for method, path, handler in routes:
        operation: dict = {
            "operationId": handler.__name__,
            "summary": (handler.__doc__ or handler.__name__.replace("_", " ")).strip().splitlines()[0],
            "responses": {"200": {"description": "OK"}, "201": {"description": "Created"}, "4XX": PROBLEM},
            "security": [] if path == "/api/v1/guest-sessions" or not path.startswith("/api/") else [{"bearer": []}],
        }
        if "{ticket_id}" in path:
            operation["parameters"] = [{"name": "ticket_id", "in": "path", "required": True, "schema": {"type": "string"}}]
        model = REQUEST_MODELS.get(path)
        if model is not None and method == "POST":
            schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
            schemas.update(schema.pop("$defs", {}))
            schemas[model.__name__] = schema
            operation["requestBody"] = {"required": True, "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{model.__name__}"}}}}
            operation["parameters"] = operation.get("parameters", []) + [
                {"name": "Idempotency-Key", "in": "header", "required": False, "schema": {"type": "string", "maxLength": 200}}
            ]
        paths.setdefault(path, {})[method.lower()] = operation
    return {
        "openapi": "3.1.0",
        "info": {"title": "Soporte intake", "version": "1", "description": "Ticket commands: every change is an event."},
        "paths": paths,
        "components": {"schemas": schemas, "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
    }
