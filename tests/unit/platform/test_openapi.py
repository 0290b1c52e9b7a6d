"""The shared OpenAPI builder: every route the router serves, described by what a service adds."""

from __future__ import annotations

from aiohttp import web
from pydantic import BaseModel, ConfigDict

from soporte.platform.openapi import Doc, build_openapi, json_response, served_routes


class NoteBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    body: str


async def add_note(request: web.Request) -> web.Response:
    """Add a note to a ticket.

    More text that is not the summary.
    """
    return web.json_response({})


async def healthz(request: web.Request) -> web.Response:
    return web.json_response({})


def app() -> web.Application:
    app = web.Application()
    app.router.add_post("/api/tickets/{ticket_id}/notes", add_note)
    app.router.add_get("/healthz", healthz)
    return app


def test_every_served_route_is_in_the_document_even_undocumented():
    document = build_openapi(served_routes(app().router), title="Test")
    assert set(document["paths"]) == {"/api/tickets/{ticket_id}/notes", "/healthz"}
    note = document["paths"]["/api/tickets/{ticket_id}/notes"]["post"]
    assert note["summary"] == "Add a note to a ticket." and note["operationId"] == "post_add_note"
    assert [p["name"] for p in note["parameters"]] == ["ticket_id"]
    assert note["security"] == [{"bearer": []}] and "4XX" in note["responses"]
    assert document["paths"]["/healthz"]["get"]["summary"] == "healthz"  # no docstring: the handler's name
    assert document["components"]["schemas"]["Problem"]["required"] == ["type", "title", "status"]


def test_a_doc_adds_the_request_model_files_answers_and_public_access():
    docs = {
        ("POST", "/api/tickets/{ticket_id}/notes"): Doc(
            body=NoteBody,
            files=True,
            responses={"201": json_response("Accepted")},
            parameters=[{"name": "Idempotency-Key", "in": "header", "schema": {"type": "string"}}],
        ),
        ("GET", "/healthz"): Doc(public=True, problems=False),
    }
    schemas = {"Accepted": {"type": "object"}}
    document = build_openapi(served_routes(app().router), title="Test", docs=docs, schemas=schemas)
    note = document["paths"]["/api/tickets/{ticket_id}/notes"]["post"]
    assert set(note["requestBody"]["content"]) == {"application/json", "multipart/form-data"}
    assert [p["name"] for p in note["parameters"]] == ["ticket_id", "Idempotency-Key"]
    assert note["responses"]["201"]["content"]["application/json"]["schema"]["$ref"].endswith("/Accepted")
    assert document["components"]["schemas"]["NoteBody"]["additionalProperties"] is False
    health = document["paths"]["/healthz"]["get"]
    assert health["security"] == [] and "4XX" not in health["responses"]
