"""The OpenAPI document, health, readiness and metrics of the projections service."""

from __future__ import annotations

from soporte.events import TICKET_EVENTS
from soporte.projections import keys
from soporte.projections.entrypoints import api

from .conftest import at, eventually, guest_stream, wait_projected


async def test_openapi_lists_every_route_and_health_readiness_metrics_answer(client, produce, db, settings):
    response = await client.get("/api/openapi.json")
    assert response.status == 200
    document = await response.json()
    assert document["openapi"].startswith("3.")
    documented = {(method.upper(), path) for path, operations in document["paths"].items() for method in operations}
    assert documented == {(method, path) for method, path, _ in api.ROUTES}
    for method, path, _ in api.ROUTES:
        operation = document["paths"][path][method.lower()]
        assert operation["summary"] and operation["security"] == [{"bearer": []}]
        assert {"200", "401", "403"} <= set(operation["responses"])
        assert "404" in operation["responses"] or path.startswith("/api/v1/reports/")  # reports name no ticket
    queue_params = {p["name"] for p in document["paths"]["/api/v1/queues/{view}"]["get"]["parameters"]}
    assert queue_params == {"view", "limit", "cursor", "category", "status", "assignee", "sla_state"}
    assert "min_version" in {p["name"] for p in document["paths"]["/api/v1/tickets/{ticket_id}"]["get"]["parameters"]}

    assert (await client.get("/healthz")).status == 200

    async def ready():  # the reader counts once its partitions are assigned and positioned
        response = await client.get("/readyz")
        return response.status == 200 and await response.json()

    assert (await eventually(ready))["checks"] == {"started": "ok", "database": "ok", "reader": "ok"}

    stream = guest_stream()
    await produce(TICKET_EVENTS, stream.submitted(at(1)), stream.agent_replied(at(2), "Hola"))
    await wait_projected(db, 2)
    metrics = await (await client.get("/metrics")).text()
    topic = TICKET_EVENTS.name(settings.topic_prefix)
    assert f'soporte_projections_events_applied_total{{topic="{topic}"}} 2.0' in metrics
    assert "soporte_projections_dead_lettered_total 0.0" in metrics

    # A reader whose reading keeps failing makes the service unready (the database check alone would not say).
    client.app[keys.READER].failing = True
    unready = await client.get("/readyz")
    assert unready.status == 503 and "failing" in (await unready.json())["checks"]["reader"]

    missing = await client.get("/api/v1/nothing-here")
    assert missing.status == 404 and missing.content_type == "application/problem+json"
