"""The leads' dashboard (``/agent/dashboard``) and its CSV download, behind the console's sign-in.

Only a lead opens it (intake's ``whoami`` says the role); another agent gets a
page saying so (403). A range or category that cannot be read shows the last
30 days of every category, as the console shows its default queue. The figures
are the reports' (``entrypoints.reports``), the charts are drawn here on the
server (``charts``), and the breach forecast is listed under them.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from soporte.projections import keys
from soporte.projections.domain.access import Principal
from soporte.projections.domain.forecast import Forecast
from soporte.projections.domain.queues import QueryErrors
from soporte.projections.domain.reports import (
    CATEGORIES,
    BacklogDay,
    ReportQuery,
    SlaReport,
    backlog_series,
    parse_report_query,
)
from soporte.projections.entrypoints.charts import svg_chart
from soporte.projections.entrypoints.console import sign_in_page, signed_in_agent
from soporte.projections.entrypoints.dashboard_view import DashboardView
from soporte.projections.entrypoints.pages import html_errors, message_page, page_language, render
from soporte.projections.entrypoints.presenters import Presenter
from soporte.projections.entrypoints.reports import breach_forecast, build_report, csv_response, report_queries

AREA = "dashboard"
PARAMETERS = ("from", "to", "category")


def asked_query(request: web.Request) -> ReportQuery:
    """The range and category asked for; the default (the last 30 days, every category) if they cannot be read."""
    today = request.app[keys.CLOCK]().astimezone(request.app[keys.CALENDAR].tz).date()
    params = {name: request.query[name] for name in PARAMETERS if request.query.get(name)}
    try:
        return parse_report_query(params, today)
    except QueryErrors:
        return parse_report_query({}, today)


async def signed_in_lead(request: web.Request) -> tuple[Principal | None, web.Response | None]:
    """The lead whose token is in the console's cookie, or the page to answer instead (sign in; only leads)."""
    signed_in = await signed_in_agent(request)
    if signed_in is None:
        return None, sign_in_page(request, status=401)
    if not signed_in[0].is_lead:
        return None, message_page(request, AREA, 403, "leads_only", hint=True)
    return signed_in[0], None


@html_errors(AREA)
async def dashboard(request: web.Request) -> web.Response:
    """The promise in charts for a range of days and a category, each chart with its numbers, and the forecast."""
    lead, refused = await signed_in_lead(request)
    if refused is not None:
        return refused
    app, query = request.app, asked_query(request)
    by_day = await build_report(app, query)
    by_agent = await build_report(app, replace(query, group_by="agent"))
    backlog = backlog_series(await report_queries(app).backlog_moves(query), query.first_day, query.last_day)
    lang = page_language(request)
    view = DashboardView(Presenter(lang, app[keys.CALENDAR], AREA))
    predicted = await breach_forecast(app)
    context = dashboard_context(view, query, by_day, by_agent, backlog, predicted)
    return render(request, "agent_dashboard.html.j2", area=AREA, lang=lang, agent=lead, **context)


def dashboard_context(
    view: DashboardView,
    query: ReportQuery,
    by_day: SlaReport,
    by_agent: SlaReport,
    backlog: list[BacklogDay],
    predicted: Forecast,
) -> dict[str, Any]:
    """What the dashboard's template shows (pure): the summary, each chart drawn with its table, the forecast."""
    wanted = {"from": query.first_day.isoformat(), "to": query.last_day.isoformat()}
    wanted |= {"category": query.category} if query.category else {}
    charts = view.charts(by_day, by_agent, backlog)
    return {
        "query": query,
        "categories": CATEGORIES,
        "totals": by_day.totals,
        "target": by_day.target_minutes,
        "charts": [(chart, svg_chart(chart)) for chart in charts],
        "forecast": predicted,
        "view": view,
        "csv_url": "/agent/dashboard/tickets.csv?" + urlencode(wanted),
    }


@html_errors(AREA)
async def dashboard_csv(request: web.Request) -> web.StreamResponse:
    """Each ticket's SLA facts for the dashboard's range and category, as CSV."""
    _, refused = await signed_in_lead(request)
    return refused if refused is not None else await csv_response(request, asked_query(request))


def add_dashboard_routes(app: web.Application) -> None:
    app.router.add_get("/agent/dashboard", dashboard)
    app.router.add_get("/agent/dashboard/tickets.csv", dashboard_csv)
