"""SLA reports for leads: the JSON report, the per-ticket CSV export and the breach forecast, over the read models.

The API (``/api/v1/reports/...``, a lead's bearer token) and the dashboard's
pages (the console's cookie) answer from the same functions here. Everything
comes from the read models, so a rebuild recomputes every figure of the past.
Agents who are not leads get 403 (``leads-only``).
"""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Any

from aiohttp import web

from soporte.events.types import SlaClock
from soporte.platform.http import FieldError
from soporte.platform.openapi import Doc, problem_response
from soporte.projections import keys
from soporte.projections.adapters.report_queries import ReportQueries, TicketFacts
from soporte.projections.domain.forecast import Forecast, ForecastRules, forecast
from soporte.projections.domain.queues import QueryErrors
from soporte.projections.domain.reports import (
    CATEGORIES,
    GROUPINGS,
    ReportQuery,
    SlaReport,
    Tally,
    parse_report_query,
    sla_report,
)
from soporte.projections.entrypoints.callers import lead, validation_error

CSV_COLUMNS = (
    "ticket",
    "category",
    "channel",
    "created",
    "first_response_at",
    "first_response_business_minutes",
    "attention_met",
    "breaches",
    "resolved_at",
    "warnings",
    "first_responder",
)


def report_queries(app: web.Application) -> ReportQueries:
    return ReportQueries(app[keys.POOL], app[keys.CALENDAR])


def target_minutes(app: web.Application) -> float:
    """The promise: the default policy's first-response target."""
    return app[keys.RULES].policies.default.target(SlaClock.FIRST_RESPONSE).total_seconds() / 60


def parse_query(request: web.Request, params: dict[str, str] | None = None) -> ReportQuery:
    """The request's report query (the last 30 desk days by default), or 422 naming every bad field."""
    today = request.app[keys.CLOCK]().astimezone(request.app[keys.CALENDAR].tz).date()
    try:
        return parse_report_query(dict(request.query) if params is None else params, today)
    except QueryErrors as exc:
        raise validation_error(*(FieldError(e.field, e.message) for e in exc.errors)) from None


async def build_report(app: web.Application, query: ReportQuery) -> SlaReport:
    tallies, labels = await report_queries(app).tallies(query, app[keys.CLOCK]())
    return sla_report(query, tallies, target_minutes(app), labels)


async def breach_forecast(app: web.Application, rules: ForecastRules = ForecastRules()) -> Forecast:
    """Which open tickets breach within the hour if the agents on shift keep their pace (``domain.forecast``)."""
    queries, now = report_queries(app), app[keys.CLOCK]()
    activity = await queries.agent_activity(now, rules)
    return forecast(await queries.forecast_queue(now, rules, activity), activity, now, rules)


# --- JSON ------------------------------------------------------------------------------------------


def _share(value: float | None) -> float | None:
    return round(value, 4) if value is not None else None


def tally_json(tally: Tally) -> dict[str, Any]:
    average = tally.average_first_response_minutes
    return {
        **{name: getattr(tally, name) for name in Tally.__dataclass_fields__},
        "average_first_response_minutes": round(average, 2) if average is not None else None,
        "share_answered_in_time": _share(tally.share_answered_in_time),
        "share_attended_in_time": _share(tally.share_attended_in_time),
    }


def report_json(report: SlaReport, time_zone: str) -> dict[str, Any]:
    q = report.query
    rows = []
    for row in report.rows:
        head = {q.group_by: row.key} | ({"agent_name": row.label} if q.group_by == "agent" else {})
        rows.append(head | tally_json(row.tally))
    return {
        "from": q.first_day.isoformat(),
        "to": q.last_day.isoformat(),
        "group_by": q.group_by,
        "category": q.category,
        "time_zone": time_zone,
        "target_minutes": report.target_minutes,
        "rows": rows,
        "totals": tally_json(report.totals),
    }


async def sla_report_api(request: web.Request) -> web.Response:
    """The SLA report of a range of desk days, grouped by day, agent or category (leads)."""
    await lead(request)
    report = await build_report(request.app, parse_query(request))
    return web.json_response(report_json(report, request.app[keys.CALENDAR].timezone))


# --- CSV -------------------------------------------------------------------------------------------


def csv_line(row: TicketFacts, now: datetime, tz) -> list[str]:
    """A ticket's export line: times in the desk's timezone with their offset, business minutes to 2 decimals."""
    f = row.facts

    def when(moment: datetime | None) -> str:
        return moment.astimezone(tz).isoformat() if moment else ""

    minutes = f"{f.first_response_seconds / 60:.2f}" if f.first_response_seconds is not None else ""
    met = {True: "true", False: "false", None: ""}[f.attention_met(now)]
    return [
        f.ticket_id,
        f.category,
        f.channel,
        when(f.created_at),
        when(f.first_response_at),
        minutes,
        met,
        str(row.breaches),
        when(f.resolved_at),
        str(row.warnings),
        f.first_responder_name or f.first_responder_id or "",
    ]


async def csv_response(request: web.Request, query: ReportQuery) -> web.StreamResponse:
    """Every ticket created in the range, one line each, streamed as it is read."""
    name = f"sla-tickets-{query.first_day}-{query.last_day}.csv"
    response = web.StreamResponse(
        headers={"Content-Type": "text/csv; charset=utf-8", "Content-Disposition": f'attachment; filename="{name}"'}
    )
    await response.prepare(request)
    now, tz = request.app[keys.CLOCK](), request.app[keys.CALENDAR].tz
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    async for row in report_queries(request.app).ticket_facts(query):
        writer.writerow(csv_line(row, now, tz))
        if buffer.tell() > 64 * 1024:
            await response.write(buffer.getvalue().encode())
            buffer.seek(0)
            buffer.truncate()
    await response.write(buffer.getvalue().encode())
    await response.write_eof()
    return response


async def sla_tickets_csv(request: web.Request) -> web.StreamResponse:
    """Each ticket's SLA facts in a range of desk days, as CSV (leads)."""
    await lead(request)
    return await csv_response(request, parse_query(request))


# --- routes and their documentation ------------------------------------------------------------------

REPORT_ROUTES = [
    ("GET", "/api/v1/reports/sla", sla_report_api),
    ("GET", "/api/v1/reports/sla/tickets.csv", sla_tickets_csv),
]
_RANGE = [
    {"name": "from", "in": "query", "schema": {"type": "string", "format": "date"}, "description": "first desk day"},
    {"name": "to", "in": "query", "schema": {"type": "string", "format": "date"}, "description": "last desk day"},
    {"name": "category", "in": "query", "schema": {"enum": list(CATEGORIES)}},
]
_REFUSED = {
    "401": problem_response("no valid token"),
    "403": problem_response("not a lead"),
    "422": problem_response("a query parameter is invalid (the fields are named)"),
}
REPORT_DOCS = {
    ("GET", "/api/v1/reports/sla"): Doc(
        responses={
            "200": {"description": "the report", "content": {"application/json": {"schema": {"type": "object"}}}}
        }
        | _REFUSED,
        parameters=[*_RANGE, {"name": "group_by", "in": "query", "schema": {"enum": list(GROUPINGS)}}],
    ),
    ("GET", "/api/v1/reports/sla/tickets.csv"): Doc(
        responses={
            "200": {"description": ", ".join(CSV_COLUMNS), "content": {"text/csv": {"schema": {"type": "string"}}}}
        }
        | _REFUSED,
        parameters=_RANGE,
    ),
}
