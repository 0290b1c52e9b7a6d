"""The leads' dashboard and the console's forecast banner, rendered in Spanish and English, read as one language;
every chart is an image with a title and a description, and its table holds every number it draws."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date, timedelta

import pytest

from soporte.businesstime import calendar_from_dict
from soporte.projections.adapters.queries import Figures
from soporte.projections.domain.access import Principal
from soporte.projections.domain.forecast import AgentActivity, QueuedTicket, forecast
from soporte.projections.domain.reports import CATEGORIES, OPEN_STATUSES, BacklogDay, ReportQuery, Tally, sla_report
from soporte.projections.entrypoints.charts import nice_top, svg_chart
from soporte.projections.entrypoints.dashboard import AREA, dashboard_context
from soporte.projections.entrypoints.dashboard_view import DashboardView
from soporte.projections.entrypoints.pages import page_templates, render_page
from soporte.projections.entrypoints.presenters import Presenter
from soporte.words import LANGUAGES, words
from tests.support.language import assert_reads_as, visible_text
from tests.support.samples import T0
from tests.support.scenario import MINUTE

CALENDAR = calendar_from_dict({"timezone": "Europe/Madrid", "weekly": {"monday": ["08:00-20:00"]}})
LEAD = Principal("agent", "agent-lead", name="Marta", role="lead")
TYPED = ("Marta", "Luis", "Nora", "agent-2", "T-0000000001", "T-0000000002")  # names and ids: data
QUERY = ReportQuery(date(2026, 3, 1), date(2026, 3, 4))
DAY = Tally(tickets=4, first_responses=3, first_response_seconds=1900, answered_in_time=2, attention_met=3)
DAY += Tally(attention_missed=1, warnings=2, breaches=1, opened_by_agents=1)
BY_DAY = sla_report(QUERY, {"2026-03-02": DAY, "2026-03-03": DAY + DAY}, 15.0)
BY_AGENT = sla_report(
    replace(QUERY, group_by="agent"),
    {"agent-1": Tally(first_responses=5, first_response_seconds=3000), "agent-2": DAY},
    15.0,
    {"agent-1": "Luis"},
)
BACKLOG = [
    BacklogDay(QUERY.first_day + timedelta(days=n), dict.fromkeys(OPEN_STATUSES, n), dict.fromkeys(CATEGORIES, n))
    for n in range(4)
]
TEAM = [AgentActivity("agent-1", "Luis", T0, 6), AgentActivity("agent-3", "Nora", T0, 0)]
QUEUE = [QueuedTicket(f"T-000000000{n}", (0, T0 + n * MINUTE), T0 + n * MINUTE) for n in (1, 2)]


def dashboard(lang: str, predicted) -> str:
    view = DashboardView(Presenter(lang, CALENDAR, AREA))
    context = dashboard_context(view, QUERY, BY_DAY, BY_AGENT, BACKLOG, predicted)
    html = render_page(
        page_templates(), "agent_dashboard.html.j2", lang=lang, calendar=CALENDAR, area=AREA, agent=LEAD, **context
    )
    assert_reads_as(lang, visible_text(html), typed=TYPED, where="agent_dashboard.html.j2")
    return html


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_dashboard_reads_as_one_language_with_and_without_predicted_breaches(lang):
    vocabulary = words(lang).vocabulary
    html = dashboard(lang, forecast(QUEUE, TEAM, T0))  # Luis answers every 10 min: both tickets breach
    assert html.count('data-ticket="T-000000000') == 2
    assert all(vocabulary.categories[c] in html for c in CATEGORIES)
    assert all(vocabulary.statuses[s] in html for s in OPEN_STATUSES)
    quiet = dashboard(lang, forecast([], TEAM, T0))
    assert words(lang).dashboard.forecast.none in quiet
    nobody = dashboard(lang, forecast(QUEUE, [], T0))
    assert words(lang).dashboard.forecast.nobody in nobody
    refusal = render_page(
        page_templates(),
        "message.html.j2",
        lang=lang,
        calendar=CALENDAR,
        area=AREA,
        message_key="leads_only",
        hint_key="leads_only_hint",
    )
    assert_reads_as(lang, visible_text(refusal), where="leads_only")
    assert words(lang).dashboard.leads_only in refusal


def test_numbers_read_in_the_pages_language_and_every_drawn_number_is_in_a_table():
    spanish = dashboard("es", forecast([], TEAM, T0))
    assert '<td data-column="average" data-value="10.5556">10,6 min</td>' in spanish  # 1900 s over 3 answers
    assert '<td data-column="share" data-value="0.6667">67 %</td>' in spanish
    english = dashboard("en", forecast([], TEAM, T0))
    assert '<td data-column="average" data-value="10.5556">10.6 min</td>' in english
    for key in ("first-response", "answered-in-time", "attended", "escalations", "backlog-status", "backlog-category"):
        rows = re.findall(rf'<table id="table-{key}">.*?</table>', english, re.S)[0].count('<tr data-key="')
        assert rows == 4, key  # every day of the range
    agents = re.findall(r'<table id="table-agents">.*?</table>', english, re.S)[0]
    assert agents.index("Luis") < agents.index("agent-2")  # most first responses first; no name: the id


def test_each_chart_is_an_image_with_its_title_and_description():
    view = DashboardView(Presenter("en", CALENDAR, AREA))
    for chart in view.charts(BY_DAY, BY_AGENT, BACKLOG):
        svg = str(svg_chart(chart))
        assert svg.startswith("<svg") and 'role="img"' in svg
        assert f'aria-labelledby="chart-{chart.key}-title chart-{chart.key}-desc"' in svg
        assert f'<title id="chart-{chart.key}-title">{chart.title}</title>' in svg
    first = view.first_response(BY_DAY)
    assert 'class="target"' in str(svg_chart(first)) and first.target == 15.0
    assert [nice_top(v) for v in (0, 1, 3, 15, 21, 99, 100, 101)] == [1, 1, 5, 20, 50, 100, 100, 200]


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_consoles_banner_says_how_many_tickets_breach_and_when(lang):
    console = words(lang).console
    for queue, expected in (
        (QUEUE[:1], console.forecast_one.format(minutes=1)),
        (QUEUE, console.forecast_many.format(count=2, minutes=2)),
    ):
        html = render_page(
            page_templates(),
            "agent_queue.html.j2",
            lang=lang,
            calendar=CALENDAR,
            area="console",
            agent=LEAD,
            figures=Figures(date(2026, 3, 2), 3, 1, 12.5, 4),
            forecast=forecast(queue, [], T0),
            view="unassigned",
            views=("unassigned",),
            tickets=[],
            next_url=None,
            paged=False,
            refresh_seconds=5,
        )
        text = visible_text(html)
        assert_reads_as(lang, text, typed=TYPED, where="agent_queue.html.j2")
        assert expected in text and console.dashboard in text  # a lead also finds the dashboard
