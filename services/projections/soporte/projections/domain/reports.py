"""SLA reports (pure): which days a request covers, and the figures made of the counts the read models add up.

A report covers whole days of the desk's timezone, ``first_day`` to
``last_day`` included. Tickets count on the day they were created (the day's
cohort): their first responses, the share answered in time and the share
attended within 24 hours. Warnings and breaches count on the day they were
raised. Rows group by day (every day of the range, empty ones too), by the
agent who gave the first response, or by category.

- average first response: business minutes, over the tickets whose first
  response was measured (as the SLA worker's KPI: tickets opened during a
  call or chat have none);
- answered in time: measured first responses below their clock's target;
- attended within 24 h: tickets whose attention ended before its deadline,
  out of those whose outcome is known (ended, or the deadline passed).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from datetime import date, datetime, time, timedelta, tzinfo

from soporte.events import Category
from soporte.projections.domain.queues import BadQuery, QueryErrors
from soporte.projections.domain.sla_facts import BacklogMove
from soporte.ticketrules import Status

GROUPINGS = ("day", "agent", "category")
DEFAULT_DAYS = 30
MAX_DAYS = 366
OPEN_STATUSES = tuple(s.value for s in Status if s is not Status.RESOLVED)
CATEGORIES = tuple(c.value for c in Category)


@dataclass(frozen=True)
class ReportQuery:
    """A validated report request: whole days of the desk, a grouping, and perhaps one category."""

    first_day: date
    last_day: date
    group_by: str = "day"
    category: str | None = None

    def bounds(self, tz: tzinfo) -> tuple[datetime, datetime]:
        """The instants the range starts and ends at (the end excluded), in the desk's timezone."""
        return day_start(self.first_day, tz), day_start(self.last_day + timedelta(days=1), tz)

    def days(self) -> list[date]:
        return [self.first_day + timedelta(days=n) for n in range((self.last_day - self.first_day).days + 1)]


def day_start(day: date, tz: tzinfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=tz)


def parse_report_query(params: Mapping[str, str], today: date) -> ReportQuery:
    """``from`` and ``to`` (YYYY-MM-DD, the desk's days, both included; the last 30 days by default),
    ``group_by`` and ``category``; every problem names its field."""
    errors: list[BadQuery] = []

    def day(name: str, default: date) -> date:
        raw = params.get(name)
        if not raw:
            return default
        try:
            return date.fromisoformat(raw)
        except ValueError:
            errors.append(BadQuery(name, "a day as YYYY-MM-DD"))
            return default

    last = day("to", today)
    first = day("from", last - timedelta(days=DEFAULT_DAYS - 1))
    if not errors and first > last:
        errors.append(BadQuery("from", "must not be after to"))
    elif not errors and (last - first).days >= MAX_DAYS:
        errors.append(BadQuery("from", f"a report covers at most {MAX_DAYS} days"))
    group_by = params.get("group_by") or "day"
    if group_by not in GROUPINGS:
        errors.append(BadQuery("group_by", f"must be one of {', '.join(GROUPINGS)}"))
    category = params.get("category") or None
    if category is not None and category not in CATEGORIES:
        errors.append(BadQuery("category", f"must be one of {', '.join(CATEGORIES)}"))
    if errors:
        raise QueryErrors(errors)
    return ReportQuery(first, last, group_by, category)


@dataclass(frozen=True)
class Tally:
    """What the read models add up for a set of tickets (and the escalations raised in a range)."""

    tickets: int = 0  # with a first-response clock
    opened_by_agents: int = 0  # during a call or chat: no clock
    first_responses: int = 0  # measured
    first_response_seconds: int = 0  # business seconds, added up
    answered_in_time: int = 0
    attention_met: int = 0
    attention_missed: int = 0
    warnings: int = 0
    breaches: int = 0

    def __add__(self, other: Tally) -> Tally:
        return Tally(*(getattr(self, f.name) + getattr(other, f.name) for f in fields(self)))

    @property
    def average_first_response_minutes(self) -> float | None:
        return self.first_response_seconds / self.first_responses / 60 if self.first_responses else None

    @property
    def share_answered_in_time(self) -> float | None:
        return self.answered_in_time / self.first_responses if self.first_responses else None

    @property
    def share_attended_in_time(self) -> float | None:
        known = self.attention_met + self.attention_missed
        return self.attention_met / known if known else None


@dataclass(frozen=True)
class ReportRow:
    """One group: a day (ISO), an agent's id (``label``: their name) or a category code."""

    key: str
    tally: Tally
    label: str | None = None


@dataclass(frozen=True)
class SlaReport:
    query: ReportQuery
    target_minutes: float  # the promise: the default first-response target
    rows: tuple[ReportRow, ...]
    totals: Tally


def sla_report(
    query: ReportQuery,
    tallies: Mapping[str, Tally],
    target_minutes: float,
    labels: Mapping[str, str | None] | None = None,
) -> SlaReport:
    """The report's rows: every day of the range (empty ones too), every category, or each agent who gave a
    first response (most first responses first); the totals over the rows."""
    labels = labels or {}
    if query.group_by == "day":
        keys = [d.isoformat() for d in query.days()]
    elif query.group_by == "category":
        keys = [query.category] if query.category else list(CATEGORIES)
    else:
        keys = sorted(tallies, key=lambda k: (-tallies[k].first_responses, labels.get(k) or "", k))
    rows = tuple(ReportRow(key, tallies.get(key, Tally()), labels.get(key)) for key in keys)
    return SlaReport(query, target_minutes, rows, sum((row.tally for row in rows), Tally()))


@dataclass(frozen=True)
class BacklogDay:
    """Open tickets at the end of a day, by status and by category."""

    day: date
    by_status: Mapping[str, int]
    by_category: Mapping[str, int]

    @property
    def total(self) -> int:
        return sum(self.by_status.values())


def backlog_series(moves: Iterable[BacklogMove], first_day: date, last_day: date) -> list[BacklogDay]:
    """The open backlog at the end of each day of the range, from every move up to its last day."""
    by_day: dict[date, list[BacklogMove]] = {}
    for move in moves:
        if move.day <= last_day:
            by_day.setdefault(max(move.day, first_day), []).append(move)
    status = dict.fromkeys(OPEN_STATUSES, 0)
    category: dict[str, int] = {}
    series = []
    for n in range((last_day - first_day).days + 1):
        day = first_day + timedelta(days=n)
        for move in by_day.get(day, ()):
            status[move.status] = status.get(move.status, 0) + move.moved
            category[move.category] = category.get(move.category, 0) + move.moved
        series.append(BacklogDay(day, dict(status), {k: v for k, v in sorted(category.items()) if v}))
    return series
