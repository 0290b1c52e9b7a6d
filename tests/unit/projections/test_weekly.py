"""Which desk week is due its summary, and the summary event (pure)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from soporte.projections.domain.reports import Tally
from soporte.projections.domain.weekly import Week, week_due, week_of, week_summarized

MADRID = ZoneInfo("Europe/Madrid")
HOUR = timedelta(hours=1)


def madrid(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=MADRID).astimezone(UTC)


def test_a_week_is_due_once_it_ended_an_hour_ago_in_the_desks_timezone():
    monday = date(2026, 3, 16)
    assert week_due(madrid(monday, 0, 30), MADRID, HOUR) == Week(date(2026, 3, 2))  # 9-15 March not over an hour
    assert week_due(madrid(monday, 1, 0), MADRID, HOUR) == Week(date(2026, 3, 9))
    assert week_due(madrid(date(2026, 3, 21), 12), MADRID, HOUR).name == "2026-W11"  # any later day of the week
    assert week_due(datetime(2026, 3, 16, 0, 30, tzinfo=UTC), MADRID, HOUR).name == "2026-W11"  # 01:30 in Madrid


def test_weeks_are_named_as_iso_weeks_across_the_new_year():
    assert week_of(date(2026, 12, 31)).name == "2026-W53" and week_of(date(2027, 1, 3)).monday == date(2026, 12, 28)
    assert week_of(date(2025, 12, 31)).name == "2026-W01"
    week = Week(date(2026, 3, 9))
    assert (week.sunday, week.query().first_day, week.query().last_day) == (date(2026, 3, 15), week.monday, week.sunday)


def test_the_same_week_summarized_twice_is_the_same_event():
    week, now = Week(date(2026, 3, 9)), madrid(date(2026, 3, 16), 2)
    first = week_summarized(week, Tally(tickets=3, breaches=1), 900, [], "Europe/Madrid", now)
    again = week_summarized(week, Tally(tickets=4), 900, [], "Europe/Madrid", now + HOUR)
    assert first.event_id == again.event_id and first.ticket_id is None
    assert (first.data.week, first.data.first_day, first.data.tickets, first.data.breaches) == (
        "2026-W11",
        week.monday,
        3,
        1,
    )
    other = week_summarized(Week(date(2026, 3, 16)), Tally(), 900, [], "Europe/Madrid", now)
    assert other.event_id != first.event_id
