"""An OpenAPI 3.1 document built from an aiohttp app's own routes, so it cannot fall behind them.

Every route the router serves is in the document: its path parameters come from
the path, its summary from the handler's docstring (first line). What a router
cannot know, a service says per route with a ``Doc``: the request model (its
JSON Schema goes into ``components``), the answers, whether the route is public.
Errors are RFC 9457 problems (``soporte.platform.http``): unless a ``Doc`` says
otherwise, a route answers 4XX with the shared ``Problem`` schema.

    DOCS = {
        ("POST", "/api/v1/tickets"): Doc(body=SubmitTicketBody, responses={"201": json_response("TicketCreated")}),
        ("GET", "/healthz"): Doc(public=True, problems=False),
    }
    app[OPENAPI] = build_openapi(served_routes(app.router), title="Soporte intake", docs=DOCS, schemas=SCHEMAS)

Build it once every route is registered (the end of ``create_app``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from pydantic import BaseModel

Route = tuple[str, str, Callable[..., Any]]  # (method, path, handler)

PROBLEM_SCHEMA: dict[str, Any] = {
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
}
_PATH_PARAMETER = re.compile(r"{(\w+)(?::[^}]*)?}")


def json_response(schema: str, description: str | None = None) -> dict[str, Any]:
    """A response object whose JSON body is ``#/components/schemas/<schema>``."""
    return {"description": description or schema, "content": {"application/json": {"schema": _ref(schema)}}}


def problem_response(description: str) -> dict[str, Any]:
    """A response object for one problem status a route names (``401``, ``404``...)."""
    return {"description": description, "content": {"application/problem+json": {"schema": _ref("Problem")}}}


@dataclass(frozen=True)
class Doc:
    """What a route's handler cannot say about itself; every field has the common case as its default."""

    body: type[BaseModel] | None = None  # the JSON request body, validated with this model
    files: bool = False  # the body may also come as multipart/form-data, files in repeated "files" parts
    responses: Mapping[str, Mapping[str, Any]] = field(default_factory=lambda: {"200": {"description": "OK"}})
    parameters: Sequence[Mapping[str, Any]] = ()  # query and header parameters (path ones come from the path)
    public: bool = False  # no bearer token needed
    problems: bool = True  # 4XX answered as problem+json


def served_routes(router: web.UrlDispatcher) -> list[Route]:
    """(method, path, handler) of every route a router serves (HEAD comes with GET)."""
    return [
        (r.method, r.resource.canonical, r.handler)
        for r in router.routes()
        if r.method != "HEAD" and r.resource is not None
    ]


def build_openapi(
    routes: Iterable[Route],
    *,
    title: str,
    description: str = "",
    version: str = "1",
    docs: Mapping[tuple[str, str], Doc] | None = None,
    schemas: Mapping[str, Mapping[str, Any]] | None = None,
) -> dict[str, Any]:
    """The document of ``routes``, each described by ``docs[(METHOD, path)]`` or by ``Doc()``.

    ``schemas`` are the response schemas the docs refer to (``json_response``); the
    request models' schemas and ``Problem`` are added.
    """
    docs = docs or {}
    components: dict[str, Any] = {"Problem": PROBLEM_SCHEMA, **(schemas or {})}
    paths: dict[str, Any] = {}
    for method, path, handler in routes:
        doc = docs.get((method.upper(), path), Doc())
        operation: dict[str, Any] = {
            "operationId": f"{method.lower()}_{handler.__name__}",
            "summary": (handler.__doc__ or handler.__name__.replace("_", " ")).strip().splitlines()[0],
            "responses": dict(doc.responses),
            "security": [] if doc.public else [{"bearer": []}],
        }
        if doc.problems:
            operation["responses"]["4XX"] = {
                "description": "an RFC 9457 problem",
                "content": {"application/problem+json": {"schema": _ref("Problem")}},
            }
        parameters = [
            {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
            for name in _PATH_PARAMETER.findall(path)
        ]
        parameters += [dict(p) for p in doc.parameters]
        if doc.body is not None:
            operation["requestBody"] = {"required": True, "content": _request_content(doc, components)}
        if parameters:
            operation["parameters"] = parameters
        paths.setdefault(path, {})[method.lower()] = operation
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": version, "description": description},
        "paths": paths,
        "components": {"schemas": components, "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
    }


def _request_content(doc: Doc, components: dict[str, Any]) -> dict[str, Any]:
    model = doc.body
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
    components.update(schema.pop("$defs", {}))
    components[model.__name__] = schema
    content: dict[str, Any] = {"application/json": {"schema": _ref(model.__name__)}}
    if doc.files:
        files = {"type": "array", "items": {"type": "string", "contentMediaType": "application/octet-stream"}}
        content["multipart/form-data"] = {
            "schema": {"allOf": [_ref(model.__name__), {"type": "object", "properties": {"files": files}}]}
        }
    return content


def _ref(schema: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{schema}"}
