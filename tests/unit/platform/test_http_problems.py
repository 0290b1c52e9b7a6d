"""The shared HTTP edge: every error is problem+json with a stable type."""

import asyncpg
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from prometheus_client import CollectorRegistry
from pydantic import BaseModel, ConfigDict

from soporte.platform.guards import SMALL_BODY, health_app
from soporte.platform.http import FieldError, Problem, add_health_routes, problem_middleware


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    count: int


class TicketGone(Exception):
    pass


def make_app():
    async def validate(request):
        Body.model_validate(await request.json())
        return web.json_response({})

    async def refuse(_):
        raise Problem(409, "version-conflict", "Stale version", errors=[FieldError("expected_version", "is 3, not 2")])

    async def gone(_):
        raise TicketGone()

    async def boom(_):
        raise RuntimeError("secret detail")

    async def cut(_):  # PostgreSQL killed while a pooled connection was in use
        raise asyncpg.exceptions.InternalClientError("cannot switch to state 15; another operation (2) is in progress")

    async def unready():
        raise ConnectionError("db down")

    app = web.Application(
        middlewares=[
            problem_middleware(
                lambda exc: Problem(404, "not-found", "No such ticket") if isinstance(exc, TicketGone) else None
            )
        ]
    )
    app.router.add_post("/validate", validate)
    app.router.add_get("/refuse", refuse)
    app.router.add_get("/gone", gone)
    app.router.add_get("/boom", boom)
    app.router.add_get("/cut", cut)
    add_health_routes(app, CollectorRegistry(), [("database", unready)])
    return app


@pytest.fixture
async def client():
    async with TestClient(TestServer(make_app())) as test_client:
        yield test_client


async def test_validation_errors_name_every_field(client):
    response = await client.post("/validate", json={"name": 3, "extra": True})
    assert response.status == 422
    assert response.content_type == "application/problem+json"
    body = await response.json()
    assert body["type"].endswith("/validation-error")
    assert {e["field"] for e in body["errors"]} == {"name", "count", "extra"}


async def test_problems_domain_errors_unknown_routes_and_crashes(client):
    refused = await client.get("/refuse")
    assert refused.status == 409 and (await refused.json())["errors"][0]["field"] == "expected_version"
    gone = await client.get("/gone")
    assert gone.status == 404 and (await gone.json())["title"] == "No such ticket"
    missing = await client.get("/nowhere")
    assert missing.status == 404 and missing.content_type == "application/problem+json"
    crash = await client.get("/boom")
    body = await crash.json()
    assert crash.status == 500 and "secret detail" not in str(body)
    assert crash.headers["X-Correlation-Id"]


async def test_health_is_up_while_readiness_reports_the_failing_dependency(client):
    assert (await client.get("/healthz")).status == 200
    ready = await client.get("/readyz")
    assert ready.status == 503
    assert "db down" in (await ready.json())["checks"]["database"]
    metrics = await client.get("/metrics")
    assert metrics.status == 200


async def test_a_problem_raised_again_and_again_keeps_no_requests_frames_alive():
    shared = Problem(401, "unauthorized", "A valid token is needed")  # the shape of a module-level constant

    async def protected(_):
        payload = bytearray(100_000)  # a frame local the traceback would keep alive
        assert payload
        raise shared

    app = web.Application(middlewares=[problem_middleware()])
    app.router.add_get("/protected", protected)
    async with TestClient(TestServer(app)) as client:
        for _ in range(50):
            assert (await client.get("/protected")).status == 401
    depth, tb = 0, shared.__traceback__
    while tb is not None:
        depth, tb = depth + 1, tb.tb_next
    assert depth == 0 and shared.__context__ is None


async def test_a_connection_cut_in_the_middle_of_a_query_is_503_with_retry_after(client):
    response = await client.get("/cut")
    assert response.status == 503
    assert response.headers["Retry-After"].isdigit()


async def test_a_health_only_edge_refuses_a_large_body_before_reading_it_and_answers_problems():
    app = health_app()
    add_health_routes(app, CollectorRegistry(), [])
    async with TestClient(TestServer(app)) as edge:
        large = await edge.post("/healthz", data=b"x" * (SMALL_BODY + 1))
        assert large.status == 413 and large.content_type == "application/problem+json"
        assert (await edge.get("/healthz")).status == 200
