"""Report math (pure): the range a request covers, the figures made of the read models' counts, the backlog."""

from __future__ import annotations

from datetime import date

import pytest

from soporte.projections.domain.queues import QueryErrors
from soporte.projections.domain.reports import (
    CATEGORIES,
    ReportQuery,
    Tally,
    backlog_series,
    parse_report_query,
    sla_report,
)
from soporte.projections.domain.sla_facts import BacklogMove

TODAY = date(2026, 3, 31)


def fields_refused(params: dict) -> list[str]:
    with pytest.raises(QueryErrors) as refused:
        parse_report_query(params, TODAY)
    return [e.field for e in refused.value.errors]


def test_a_report_covers_the_last_30_desk_days_unless_asked_otherwise():
    assert parse_report_query({}, TODAY) == ReportQuery(date(2026, 3, 2), TODAY, "day", None)
    asked = parse_report_query({"from": "2026-02-01", "to": "2026-02-28", "group_by": "agent"}, TODAY)
    assert (asked.first_day, asked.last_day, asked.group_by, len(asked.days())) == (
        date(2026, 2, 1),
        date(2026, 2, 28),
        "agent",
        28,
    )
    assert parse_report_query({"to": "2026-01-10"}, TODAY).first_day == date(2025, 12, 12)
    assert parse_report_query({"category": "pre_sales"}, TODAY).category == "pre_sales"


def test_every_bad_parameter_is_named():
    assert fields_refused({"from": "yesterday", "group_by": "week", "category": "gossip"}) == [
        "from",
        "group_by",
        "category",
    ]
    assert fields_refused({"from": "2026-03-10", "to": "2026-03-09"}) == ["from"]
    assert fields_refused({"from": "2024-01-01", "to": "2026-01-01"}) == ["from"]  # over a year


def test_figures_come_from_the_counts_and_every_day_of_the_range_has_a_row():
    query = ReportQuery(date(2026, 3, 1), date(2026, 3, 3))
    monday = Tally(tickets=4, first_responses=4, first_response_seconds=4 * 600 + 600, answered_in_time=3)
    monday += Tally(attention_met=3, attention_missed=1, warnings=2, breaches=1)
    report = sla_report(query, {"2026-03-02": monday, "2026-03-03": Tally(opened_by_agents=2)}, 15.0)
    assert [row.key for row in report.rows] == ["2026-03-01", "2026-03-02", "2026-03-03"]
    empty, figures, _ = (row.tally for row in report.rows)
    assert empty == Tally() and empty.average_first_response_minutes is None and empty.share_attended_in_time is None
    assert figures.average_first_response_minutes == 12.5 and figures.share_answered_in_time == 0.75
    assert figures.share_attended_in_time == 0.75
    assert report.totals == monday + Tally(opened_by_agents=2) and report.target_minutes == 15.0


def test_agents_come_by_how_many_first_responses_they_gave_and_categories_all_or_the_one_asked():
    agents = {
        "agent-b": Tally(first_responses=2),
        "agent-a": Tally(first_responses=5),
        "agent-c": Tally(first_responses=2),
    }
    names = {"agent-a": "Ana", "agent-b": "Bea", "agent-c": "Carla"}
    report = sla_report(ReportQuery(TODAY, TODAY, "agent"), agents, 15.0, names)
    assert [(row.key, row.label) for row in report.rows] == [
        ("agent-a", "Ana"),
        ("agent-b", "Bea"),
        ("agent-c", "Carla"),
    ]
    every = sla_report(ReportQuery(TODAY, TODAY, "category"), {"pre_sales": Tally(tickets=1)}, 15.0)
    assert [row.key for row in every.rows] == list(CATEGORIES) and every.totals == Tally(tickets=1)
    one = sla_report(ReportQuery(TODAY, TODAY, "category", "pre_sales"), {"pre_sales": Tally(tickets=1)}, 15.0)
    assert [row.key for row in one.rows] == ["pre_sales"]


def test_the_backlog_at_each_days_end_starts_from_every_move_before_the_range():
    moves = [
        BacklogMove(date(2026, 2, 1), "pre_sales", "new", 3),
        BacklogMove(date(2026, 2, 2), "pre_sales", "new", -1),
        BacklogMove(date(2026, 2, 2), "pre_sales", "open", 1),
        BacklogMove(date(2026, 3, 2), "damaged_item", "waiting_on_customer", 2),
        BacklogMove(date(2026, 3, 3), "pre_sales", "open", -1),
        BacklogMove(date(2026, 3, 9), "pre_sales", "new", 7),  # after the range: not counted
    ]
    series = backlog_series(moves, date(2026, 3, 1), date(2026, 3, 3))
    assert [day.total for day in series] == [3, 5, 4]
    assert series[0].by_status == {"new": 2, "open": 1, "waiting_on_customer": 0}
    assert series[2].by_status == {"new": 2, "open": 0, "waiting_on_customer": 2}
    assert series[1].by_category == {"damaged_item": 2, "pre_sales": 3} and series[2].by_category["pre_sales"] == 2
