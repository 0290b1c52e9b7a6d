"""Leads' SLA reports over the real Kafka and PostgreSQL: the JSON report, the CSV export, who may read them, and
the seed's own figure: the average first response the reports give is the KPI the SLA worker publishes."""

from __future__ import annotations

import csv
import io
import re
from collections import defaultdict
from datetime import date, datetime, timedelta

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from soporte.businesstime import load_calendar
from soporte.events import SLA_ESCALATIONS, TICKET_EVENTS
from soporte.events import types as t
from soporte.projections.bootstrap import create_app
from soporte.projections.entrypoints.rebuild import rebuild
from soporte.ticketrules import SlaRules, load_policies, replay_escalations
from tests.support.desk_history import CALENDAR, DeskHistory, local
from tests.unit.sla.driver import Worker

from .conftest import bearer, wait_projected

NOW = local(date(2026, 3, 11), 12)  # a Wednesday noon in Madrid
DAYS = [date(2026, 3, 2) + timedelta(days=n) for n in range(10)]  # Monday 2 to Wednesday 11 March
WHOAMI = {
    "lead-token": {"kind": "agent", "id": "agent-lead", "name": "Marta", "email": "marta@shop.test", "role": "lead"},
    "agent-token": {"kind": "agent", "id": "agent-1", "name": "Luis", "email": "luis@shop.test", "role": "agent"},
    "ana-token": {
        "kind": "customer",
        "id": "cust-1",
        "name": "Ana",
        "email": "ana@example.com",
        "customer_id": "cust-1",
    },
}


@pytest.fixture
async def whoami_peer():
    """Intake's whoami for a lead, an agent who is not one, and a customer."""

    async def whoami(request: web.Request) -> web.Response:
        body = WHOAMI.get(request.headers.get("Authorization", "")[7:])
        return web.json_response(body) if body else web.json_response({"status": 401}, status=401)

    app = web.Application()
    app.router.add_get("/api/v1/whoami", whoami)
    server = TestServer(app)
    await server.start_server()
    yield server
    await server.close()


async def projected_desk(settings, produce, db, history: DeskHistory, calendar) -> TestClient:
    """The history and the escalations it gives, on their topics, read by a projections app on ``calendar``."""
    rules = SlaRules(calendar, load_policies())
    escalations = sorted(replay_escalations(history.events, rules, NOW).values(), key=lambda e: e.occurred_at)
    await produce(TICKET_EVENTS, *history.events)
    await produce(SLA_ESCALATIONS, *escalations)
    client = TestClient(TestServer(create_app(settings, now=lambda: NOW, calendar=calendar, policies=load_policies())))
    await client.start_server()
    await wait_projected(db, len(history.events) + len(escalations), timeout=90)
    return client


LEAD_COOKIE = {"Cookie": "soporte_agent=lead-token"}


async def report(client, token: str = "lead-token", **params) -> dict:
    response = await client.get("/api/v1/reports/sla", params=params, headers=bearer(token))
    assert response.status == 200, await response.text()
    return await response.json()


async def test_the_reports_first_response_average_is_the_kpi_the_sla_worker_publishes(settings, produce, db):
    calendar = load_calendar()  # the shop's own: Madrid, 00:00-18:00 on working days, Spain's holidays
    history = DeskHistory(DAYS, 30, NOW, seed=3)  # some answers cross 18:00, when the shop closes
    worker = Worker(calendar, load_policies())  # the SLA worker's engine, as it runs on the topic
    for event in history.events:
        worker.apply(event)
    kpis = [e for e in worker.published if isinstance(e, t.FirstResponseMeasured)]
    by_day: dict[str, list[int]] = defaultdict(list)
    for kpi in kpis:
        by_day[kpi.data.submitted_at.astimezone(calendar.tz).date().isoformat()].append(kpi.data.business_seconds)
    assert len(kpis) > 200 and any(s % 60 for seconds in by_day.values() for s in seconds)  # not whole minutes

    client = await projected_desk(settings, produce, db, history, calendar)
    try:
        body = await report(client, **{"from": DAYS[0].isoformat(), "to": DAYS[-1].isoformat()})
        rows = {row["day"]: row for row in body["rows"]}
        for day, seconds in by_day.items():
            assert (rows[day]["first_responses"], rows[day]["first_response_seconds"]) == (len(seconds), sum(seconds))
            assert rows[day]["average_first_response_minutes"] == round(sum(seconds) / len(seconds) / 60, 2)
        every = [s for seconds in by_day.values() for s in seconds]
        totals = body["totals"]
        assert (totals["first_responses"], totals["first_response_seconds"]) == (len(kpis), sum(every))
        assert totals["average_first_response_minutes"] == round(sum(every) / len(every) / 60, 2)

        # The dashboard's chart of the daily average says the same, to four decimals.
        span = f"from={DAYS[0]}&to={DAYS[-1]}"
        page = await (await client.get(f"/agent/dashboard?{span}", headers=LEAD_COOKIE)).text()
        drawn = dict(
            re.findall(
                r'<tr data-key="([\d-]+)"><th scope="row">[^<]*</th><td data-column="average" data-value="([\d.]*)"',
                page,
            )
        )
        assert drawn == {day: f"{sum(s) / len(s) / 60:.4f}" for day, s in by_day.items()} | {
            d.isoformat(): "" for d in DAYS if d.isoformat() not in by_day
        }
    finally:
        await client.close()


async def test_reports_by_day_agent_and_category_and_the_csv_say_what_happened_and_a_rebuild_says_it_again(
    settings, produce, db
):
    history = DeskHistory(DAYS, 20, NOW, seed=9)
    client = await projected_desk(settings, produce, db, history, CALENDAR)
    try:
        span = {"from": DAYS[0].isoformat(), "to": DAYS[-1].isoformat()}
        by_day = await report(client, **span)
        measured = [tk for tk in history.tickets if tk.minutes is not None]
        assert by_day["time_zone"] == "Europe/Madrid" and by_day["target_minutes"] == 15
        totals = by_day["totals"]
        assert totals["first_responses"] == len(measured)
        assert totals["first_response_seconds"] == 60 * sum(tk.minutes for tk in measured)
        assert totals["answered_in_time"] == sum(tk.minutes < 15 for tk in measured)
        assert totals["breaches"] == sum(len(tk.breaches) for tk in history.tickets)
        assert totals["warnings"] == sum(len(tk.warnings) for tk in history.tickets)
        met = [tk.attention_met(NOW) for tk in history.tickets]
        assert (totals["attention_met"], totals["attention_missed"]) == (met.count(True), met.count(False))
        assert totals["opened_by_agents"] == sum(tk.channel == "phone" for tk in history.tickets)

        by_agent = await report(client, group_by="agent", **span)
        per_agent = defaultdict(int)
        for tk in measured:
            per_agent[tk.responder.id] += 1
        assert {row["agent"]: row["first_responses"] for row in by_agent["rows"]} == per_agent
        assert all(row["agent_name"] for row in by_agent["rows"])

        damaged = await report(client, group_by="category", category="damaged_item", **span)
        [row] = damaged["rows"]
        assert row["category"] == "damaged_item"
        assert row["tickets"] + row["opened_by_agents"] == sum(tk.category == "damaged_item" for tk in history.tickets)

        export = await client.get("/api/v1/reports/sla/tickets.csv", params=span, headers=bearer("lead-token"))
        assert export.status == 200 and export.headers["Content-Type"].startswith("text/csv")
        lines = list(csv.DictReader(io.StringIO(await export.text())))
        assert [line["ticket"] for line in lines] == [tk.ticket_id for tk in sorted(history.tickets, key=created)]
        truth = {tk.ticket_id: tk for tk in history.tickets}
        for line in lines:
            tk = truth[line["ticket"]]
            assert datetime.fromisoformat(line["created"]) == tk.created_at
            assert line["created"].endswith(("+01:00", "+02:00"))  # the desk's time, with its offset
            assert line["first_response_business_minutes"] == (f"{tk.minutes}.00" if tk.minutes is not None else "")
            assert int(line["breaches"]) == len(tk.breaches) and int(line["warnings"]) == len(tk.warnings)
            assert line["attention_met"] == {True: "true", False: "false", None: ""}[tk.attention_met(NOW)]

        # A rebuild replays the topics into fresh tables: the same report.
        await rebuild(settings, CALENDAR, load_policies(), lambda: NOW, out=lambda line: None)
        assert await report(client, **span) == by_day
    finally:
        await client.close()


def created(tk) -> tuple:
    return (tk.created_at, tk.ticket_id)


async def test_only_leads_read_reports_and_bad_parameters_are_named(client):
    assert (await client.get("/api/v1/reports/sla")).status == 401
    for token, kind in (("agent-token", "leads-only"), ("ana-token", "agents-only")):
        for path in ("/api/v1/reports/sla", "/api/v1/reports/sla/tickets.csv"):
            refused = await client.get(path, headers=bearer(token))
            assert refused.status == 403 and (await refused.json())["type"].endswith(kind)
    bad = await client.get(
        "/api/v1/reports/sla", params={"from": "2026-13-01", "group_by": "week"}, headers=bearer("lead-token")
    )
    assert bad.status == 422
    assert [e["field"] for e in (await bad.json())["errors"]] == ["from", "group_by"]
    document = await (await client.get("/api/openapi.json")).json()
    operation = document["paths"]["/api/v1/reports/sla"]["get"]
    assert {p["name"] for p in operation["parameters"]} == {"from", "to", "category", "group_by"}
    assert "text/csv" in document["paths"]["/api/v1/reports/sla/tickets.csv"]["get"]["responses"]["200"]["content"]


async def test_the_dashboard_opens_for_leads_only_and_its_csv_is_the_reports(client):
    page = await client.get("/agent/dashboard", headers=LEAD_COOKIE)
    html = await page.text()
    assert page.status == 200 and 'id="table-first-response"' in html and "<svg" in html
    assert html.count('role="img"') == 7 and html.count("<title id=") == 7 and html.count("<desc id=") == 7
    refused = await client.get("/agent/dashboard", headers={"Cookie": "soporte_agent=agent-token"})
    assert refused.status == 403 and "Solo los responsables del equipo" in await refused.text()
    assert (await client.get("/agent/dashboard")).status == 401  # the sign-in page
    export = await client.get("/agent/dashboard/tickets.csv?from=2026-03-01&to=2026-03-02", headers=LEAD_COOKIE)
    assert export.status == 200 and (await export.text()).startswith("ticket,category,channel,created,")
    assert (
        await client.get("/agent/dashboard/tickets.csv", headers={"Cookie": "soporte_agent=agent-token"})
    ).status == 403
