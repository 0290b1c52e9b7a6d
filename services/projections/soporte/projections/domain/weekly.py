"""The desk's week (pure): which ISO week is over and due a summary, and the summary event made of its report.

A week is an ISO week of the desk's timezone (Monday to Sunday). It is due a
summary once it ended more than ``delay`` ago (late events of its last minutes
have come in by then); only the last such week is summarized: a desk that was
down for a month does not send a month of mails when it starts. The event's id
is derived from the week, so the same week summarized twice is the same event.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo

from soporte.events import Actor, ActorKind, Event, deterministic_id
from soporte.events import types as t
from soporte.projections.domain.reports import ReportQuery, Tally

SUMMARIES = Actor(kind=ActorKind.SYSTEM, id="projections", name="Desk reports")
WORST = 5  # tickets the summary names


@dataclass(frozen=True)
class Week:
    monday: date

    @property
    def sunday(self) -> date:
        return self.monday + timedelta(days=6)

    @property
    def name(self) -> str:
        """``2026-W11``: the ISO year and week number."""
        year, number, _ = self.monday.isocalendar()
        return f"{year}-W{number:02d}"

    def query(self) -> ReportQuery:
        return ReportQuery(self.monday, self.sunday)


def week_of(day: date) -> Week:
    return Week(day - timedelta(days=day.weekday()))


def week_due(now: datetime, tz: tzinfo, delay: timedelta) -> Week:
    """The last desk week that ended at least ``delay`` before ``now``."""
    return Week(week_of((now - delay).astimezone(tz).date()).monday - timedelta(days=7))


def summary_id(week: Week):
    return deterministic_id("sla-week-summary", week.name)


def week_summarized(
    week: Week, totals: Tally, target_seconds: int, worst: Sequence[t.WorstTicket], time_zone: str, now: datetime
) -> Event:
    """The ``SlaWeekSummarized`` of ``week``: its report's totals and its worst tickets."""
    data = t.SlaWeekSummarizedData(
        week=week.name,
        first_day=week.monday,
        last_day=week.sunday,
        time_zone=time_zone,
        target_first_response_seconds=target_seconds,
        tickets=totals.tickets,
        opened_by_agents=totals.opened_by_agents,
        first_responses=totals.first_responses,
        first_response_seconds=totals.first_response_seconds,
        answered_in_time=totals.answered_in_time,
        attention_met=totals.attention_met,
        attention_missed=totals.attention_missed,
        warnings=totals.warnings,
        breaches=totals.breaches,
        worst=list(worst[:WORST]),
    )
    return t.SlaWeekSummarized.create(data=data, actor=SUMMARIES, occurred_at=now, event_id=summary_id(week))
