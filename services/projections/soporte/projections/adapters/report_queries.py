"""Queries for the reports, the dashboard, the export and the breach forecast, on the live read models.

PostgreSQL adds up (counts and sums per group, the desk's days from ``AT TIME
ZONE``); what the counts mean is the domain's (``domain.reports``,
``domain.forecast``). Like ``queries.py``, every query names the live tables,
so after a rebuild's swap it reads the new ones.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from soporte.businesstime import BusinessCalendar
from soporte.events import types as t
from soporte.projections.adapters.rows import columns_of, from_record
from soporte.projections.adapters.tables import LIVE
from soporte.projections.domain.forecast import AgentActivity, ForecastRules, QueuedTicket, capacity, on_shift
from soporte.projections.domain.queues import sort_key
from soporte.projections.domain.reports import ReportQuery, Tally
from soporte.projections.domain.sla_facts import BacklogMove, SlaFact
from soporte.ticketrules import PUBLIC_AGENT_RESPONSES

# Events that answer a ticket (or end it): what an agent's pace counts.
ANSWERS = [cls.model_fields["type"].default for cls in PUBLIC_AGENT_RESPONSES] + ["TicketResolved"]
_FACT_SUMS = """count(*) FILTER (WHERE NOT f.attended_live) AS tickets,
       count(*) FILTER (WHERE f.attended_live) AS opened_by_agents,
       count(f.first_response_seconds) AS first_responses,
       coalesce(sum(f.first_response_seconds), 0)::bigint AS first_response_seconds,
       count(*) FILTER (WHERE f.first_response_seconds < f.first_response_target_seconds) AS answered_in_time,
       count(*) FILTER (WHERE f.attended_at < f.attention_due) AS attention_met,
       count(*) FILTER (WHERE f.attended_at >= f.attention_due
                           OR (f.attended_at IS NULL AND f.attention_due <= $now)) AS attention_missed"""


@dataclass(frozen=True)
class TicketFacts:
    """A ticket's row of the export: its facts and the escalations raised for it."""

    facts: SlaFact
    warnings: int
    breaches: int


def _tally(row: asyncpg.Record) -> Tally:
    return Tally(**{name: row[name] for name in row.keys() if name not in ("key", "label")})


class Params(list):
    """A query's arguments: ``params.add(value)`` keeps it and answers its placeholder (``$n``)."""

    def add(self, value: object) -> str:
        self.append(value)
        return f"${len(self)}"


class ReportQueries:
    """Reads the live tables through ``pool`` for reports; days are the desk's (``calendar``'s timezone)."""

    def __init__(self, pool: asyncpg.Pool, calendar: BusinessCalendar) -> None:
        self.pool, self.tz, self.zone = pool, calendar.tz, calendar.timezone

    async def tallies(self, q: ReportQuery, now: datetime) -> tuple[dict[str, Tally], dict[str, str | None]]:
        """The counts of each group of ``q`` (tickets by the day they were created, escalations by the day they
        were raised), and the agents' names when grouped by agent."""
        start, end = q.bounds(self.tz)
        p = Params()
        where = f"f.created_at >= {p.add(start)} AND f.created_at < {p.add(end)}"
        sums = _FACT_SUMS.replace("$now", p.add(now))
        if q.category:
            where += f" AND f.category = {p.add(q.category)}"
        if q.group_by == "day":
            key, label = f"to_char(f.created_at AT TIME ZONE {p.add(self.zone)}, 'YYYY-MM-DD')", "NULL"
        elif q.group_by == "agent":
            key, label = "f.first_responder_id", "max(f.first_responder_name)"
            where += " AND f.first_response_seconds IS NOT NULL"
        else:
            key, label = "f.category", "NULL"
        rows = await self.pool.fetch(
            f"SELECT {key} AS key, {label} AS label, {sums} FROM {LIVE.sla_facts} f WHERE {where} GROUP BY 1", *p
        )
        tallies = {row["key"]: _tally(row) for row in rows}
        labels = {row["key"]: row["label"] for row in rows}
        if q.group_by != "agent":
            for key, raised in (await self._escalations(q, start, end)).items():
                tallies[key] = tallies.get(key, Tally()) + raised
        return tallies, labels

    async def _escalations(self, q: ReportQuery, start: datetime, end: datetime) -> dict[str, Tally]:
        """Warnings and breaches raised in the range, by the day they were raised or their ticket's category."""
        p = Params()
        join, where = "", f"e.occurred_at >= {p.add(start)} AND e.occurred_at < {p.add(end)}"
        if q.category or q.group_by == "category":
            join = f"JOIN {LIVE.sla_facts} f ON f.ticket_id = e.ticket_id"
        if q.category:
            where += f" AND f.category = {p.add(q.category)}"
        key = (
            f"to_char(e.occurred_at AT TIME ZONE {p.add(self.zone)}, 'YYYY-MM-DD')"
            if q.group_by == "day"
            else "f.category"
        )
        rows = await self.pool.fetch(
            f"""SELECT {key} AS key, count(*) FILTER (WHERE NOT e.breached) AS warnings,
                       count(*) FILTER (WHERE e.breached) AS breaches
                  FROM {LIVE.escalations} e {join} WHERE {where} GROUP BY 1""",
            *p,
        )
        return {row["key"]: Tally(warnings=row["warnings"], breaches=row["breaches"]) for row in rows}

    async def backlog_moves(self, q: ReportQuery) -> list[BacklogMove]:
        """The moves of each day of the range, those before it added up on its first day (the opening backlog)."""
        sql = f"""SELECT greatest(day, $1) AS day, category, status, sum(moved)::int AS moved
                    FROM {LIVE.backlog_moves} WHERE day <= $2 AND ($3::text IS NULL OR category = $3)
                   GROUP BY 1, 2, 3"""
        rows = await self.pool.fetch(sql, q.first_day, q.last_day, q.category)
        return [BacklogMove(r["day"], r["category"], r["status"], r["moved"]) for r in rows]

    async def ticket_facts(self, q: ReportQuery) -> AsyncIterator[TicketFacts]:
        """Each ticket created in the range (oldest first), with its escalations, read through a cursor."""
        start, end = q.bounds(self.tz)
        columns = ", ".join(f"f.{c}" for c in columns_of(SlaFact))
        sql = f"""SELECT {columns},
                         (SELECT count(*) FROM {LIVE.escalations} e WHERE e.ticket_id = f.ticket_id
                             AND NOT e.breached) AS warnings,
                         (SELECT count(*) FROM {LIVE.escalations} e WHERE e.ticket_id = f.ticket_id
                             AND e.breached) AS breaches
                    FROM {LIVE.sla_facts} f
                   WHERE f.created_at >= $1 AND f.created_at < $2 AND ($3::text IS NULL OR f.category = $3)
                   ORDER BY f.created_at, f.ticket_id"""
        async with self.pool.acquire() as conn, conn.transaction():
            async for row in conn.cursor(sql, start, end, q.category, prefetch=500):
                yield TicketFacts(from_record(SlaFact, row), row["warnings"], row["breaches"])

    async def worst_tickets(self, q: ReportQuery, limit: int) -> list[t.WorstTicket]:
        """The range's tickets that missed a deadline or were answered late: most breaches, then longest first."""
        start, end = q.bounds(self.tz)
        rows = await self.pool.fetch(
            f"""SELECT * FROM (
                    SELECT f.ticket_id, f.category, f.created_at, f.first_response_seconds,
                           f.first_response_target_seconds AS target,
                           (SELECT count(*) FROM {LIVE.escalations} e
                             WHERE e.ticket_id = f.ticket_id AND e.breached) AS breaches
                      FROM {LIVE.sla_facts} f
                     WHERE f.created_at >= $1 AND f.created_at < $2 AND NOT f.attended_live) w
                 WHERE breaches > 0 OR first_response_seconds >= target
                 ORDER BY breaches DESC, first_response_seconds DESC NULLS LAST, created_at, ticket_id LIMIT $3""",
            start,
            end,
            limit,
        )
        return [
            t.WorstTicket(
                ticket_id=r["ticket_id"],
                category=r["category"],
                created_at=r["created_at"],
                first_response_business_seconds=r["first_response_seconds"],
                breaches=r["breaches"],
            )
            for r in rows
        ]

    async def agent_activity(self, now: datetime, rules: ForecastRules) -> list[AgentActivity]:
        """Each agent who acted on a ticket lately: when they last did, and the tickets they answered or resolved
        within the lookback."""
        since = now - max(rules.lookback, rules.on_shift_within)
        rows = await self.pool.fetch(
            f"""SELECT actor_id, max(actor_name) AS name, max(occurred_at) AS last_active_at,
                       count(DISTINCT ticket_id) FILTER (WHERE type = ANY($3::text[]) AND occurred_at >= $4) AS answered
                  FROM {LIVE.timeline}
                 WHERE actor_kind = 'agent' AND occurred_at >= $1 AND occurred_at <= $2
                 GROUP BY actor_id""",
            since,
            now,
            ANSWERS,
            now - rules.lookback,
        )
        return [AgentActivity(r["actor_id"], r["name"], r["last_active_at"], r["answered"]) for r in rows]

    async def forecast_queue(self, now: datetime, rules: ForecastRules, activity: list[AgentActivity]) -> list:
        """The open tickets with a running clock the forecast needs: the first ones in serving order (as many as
        the agents on shift can answer within the horizon) and every one due within it."""
        first = capacity(on_shift(activity, now, rules), rules.horizon)
        base = f"SELECT ticket_id, actionable, sla_due_at, created_at FROM {LIVE.tickets} WHERE status <> 'resolved'"
        rows = await self.pool.fetch(
            f"""({base} AND sla_due_at IS NOT NULL
                 ORDER BY not_actionable, sort_due, created_at, ticket_id LIMIT $1)
                UNION
                ({base} AND sort_due > $2 AND sort_due <= $3)""",
            first,
            now,
            now + rules.horizon,
        )
        return [
            QueuedTicket(
                r["ticket_id"],
                sort_key(r["actionable"], r["sla_due_at"], r["created_at"], r["ticket_id"]).as_tuple(),
                r["sla_due_at"],
            )
            for r in rows
        ]
