"""The OpenAPI document lists every route the app serves, with the request models' schemas."""

from __future__ import annotations

from soporte.intake.bootstrap import OPENAPI, create_app
from soporte.intake.entrypoints.api import ROUTES
from soporte.intake.settings import IntakeSettings


def test_every_route_of_the_app_is_in_the_document():
    app = create_app(IntakeSettings())  # nothing connects before start-up
    document = app[OPENAPI]
    assert document["openapi"] == "3.1.0"
    served = {(r.method.lower(), r.resource.canonical) for r in app.router.routes() if r.method != "HEAD"}
    documented = {(method, path) for path, operations in document["paths"].items() for method in operations}
    assert served == documented
    assert {(m.lower(), p) for m, p, _ in ROUTES} <= documented
    assert {"/", "/api/openapi.json", "/healthz", "/readyz", "/metrics"} <= set(document["paths"])


def test_commands_carry_their_request_schema_and_problem_answers():
    paths = create_app(IntakeSettings())[OPENAPI]["paths"]
    submit = paths["/api/v1/tickets"]["post"]
    assert set(submit["requestBody"]["content"]) == {"application/json", "multipart/form-data"}
    assert submit["responses"]["201"]["content"]["application/json"]["schema"]["$ref"].endswith("/TicketCreated")
    assert submit["responses"]["4XX"]["content"]["application/problem+json"]
    resolve = paths["/api/v1/tickets/{ticket_id}/resolve"]["post"]
    assert [p["name"] for p in resolve["parameters"]] == ["ticket_id", "Idempotency-Key"]
    assert paths["/api/v1/guest-sessions"]["post"]["security"] == [] and paths["/api/v1/whoami"]["get"]["security"]


def test_request_schemas_refuse_unknown_fields_like_the_handlers_do():
    schemas = create_app(IntakeSettings())[OPENAPI]["components"]["schemas"]
    assert schemas["SubmitTicketBody"]["additionalProperties"] is False
    assert set(schemas["SubmitTicketBody"]["required"]) == {"category", "description", "customer_name"}
