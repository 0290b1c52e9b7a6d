"""Queries on the live read models, answered as the domain's frozen dataclasses (never asyncpg records).

Every query names the live tables, so after a rebuild's swap it reads the new
ones; the pool must not cache prepared statements (``tables.create_pool``).
``readable_ticket`` is the one read-your-writes wait: a caller who just wrote
version N asks for it and gets the ticket once it is projected, and someone
else's ticket waits as long as a missing one, so no answer confirms it exists.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

import asyncpg

from soporte.projections.adapters.rows import from_record, ticket_from_record
from soporte.projections.adapters.tables import LIVE
from soporte.projections.domain.access import Ownership, Principal, may_read
from soporte.projections.domain.history import PublicMessage, TimelineEntry
from soporte.projections.domain.projection import NotificationOutcome
from soporte.projections.domain.queues import QueueQuery
from soporte.projections.domain.tickets import Escalation, TicketView

POLL_SECONDS = 0.05


@dataclass(frozen=True)
class Figures:
    """The desk's figures for one of its days."""

    day: date
    open_tickets: int
    breaches_today: int
    average_first_response_business_minutes: float | None
    first_responses_measured: int
    opened_by_agents: int = 0  # attended live (phone, chat): no first-response clock, not in the average


def ownership(view: TicketView) -> Ownership:
    return Ownership(view.ticket_id, view.customer_id, view.customer_email)


class ReadModels:
    """Reads the live tables through ``pool``."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def queue(self, q: QueueQuery) -> list[TicketView]:
        """One page of a queue and one ticket more (when there is a next page), in serving order."""
        where, args = [], []

        def arg(value) -> str:
            args.append(value)
            return f"${len(args)}"

        match q.view:
            case "unassigned":
                where.append("assignee_id IS NULL AND status <> 'resolved'")
            case "mine":
                where.append(f"assignee_id = {arg(q.agent_id)} AND status <> 'resolved'")
            case "waiting":
                where.append("status = 'waiting_on_customer'")
            case "at-risk":
                where.append("sla_state IN ('at_risk', 'breached') AND status <> 'resolved'")
        for column in ("category", "status", "assignee", "sla_state"):
            if value := getattr(q, column):
                where.append(f"{'assignee_id' if column == 'assignee' else column} = {arg(value)}")
        if q.after:
            a = q.after
            where.append(
                "(not_actionable, sort_due, created_at, ticket_id) > "
                f"({arg(a.not_actionable)}::smallint, {arg(a.due_at)}, {arg(a.created_at)}, {arg(a.ticket_id)})"
            )
        sql = f"SELECT * FROM {LIVE.tickets}"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += f" ORDER BY not_actionable, sort_due, created_at, ticket_id LIMIT {arg(q.limit + 1)}"
        return [ticket_from_record(r) for r in await self.pool.fetch(sql, *args)]

    async def ticket(self, ticket_id: str) -> TicketView | None:
        row = await self.pool.fetchrow(f"SELECT * FROM {LIVE.tickets} WHERE ticket_id = $1", ticket_id)
        return ticket_from_record(row) if row else None

    async def readable_ticket(
        self, principal: Principal | None, ticket_id: str, *, min_version: int | None = None, wait_seconds: float = 0
    ) -> TicketView | None:
        """The ticket if ``principal`` may read it, once it holds ``min_version`` (waiting up to ``wait_seconds``).

        None when it is missing, someone else's, or not there in time; without a principal, None at once.
        """
        if principal is None:
            return None
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait_seconds
        while True:
            view = await self.ticket(ticket_id)
            readable = view is not None and may_read(principal, ownership(view))
            if readable and (min_version is None or view.version >= min_version):
                return view
            if min_version is None or loop.time() >= deadline:
                return view if readable else None
            await asyncio.sleep(POLL_SECONDS)

    async def public_thread(self, ticket_id: str) -> list[PublicMessage]:
        return await self._of_ticket(PublicMessage, LIVE.messages, ticket_id, "version")

    async def timeline(self, ticket_id: str) -> list[TimelineEntry]:
        return await self._of_ticket(TimelineEntry, LIVE.timeline, ticket_id, "version")

    async def escalations(self, ticket_id: str) -> list[Escalation]:
        return await self._of_ticket(Escalation, LIVE.escalations, ticket_id, "occurred_at, event_id")

    async def notifications(self, ticket_id: str) -> list[NotificationOutcome]:
        return await self._of_ticket(NotificationOutcome, LIVE.notifications, ticket_id, "occurred_at, event_id")

    async def _of_ticket(self, cls: type, table: str, ticket_id: str, order: str) -> list:
        rows = await self.pool.fetch(f"SELECT * FROM {table} WHERE ticket_id = $1 ORDER BY {order}", ticket_id)
        return [from_record(cls, r) for r in rows]

    async def customer_tickets(self, principal: Principal) -> list[TicketView]:
        """The caller's own tickets, newest first."""
        if principal.kind == "ticket":
            sql, args = "ticket_id = $1", [principal.ticket_id or ""]
        elif principal.kind == "customer":
            sql = "(customer_id = $1 OR customer_email = $2)"
            args = [principal.customer_id or "", principal.email or ""]
        else:
            sql, args = "customer_email = $1", [principal.email or ""]
        rows = await self.pool.fetch(
            f"SELECT * FROM {LIVE.tickets} WHERE {sql} ORDER BY created_at DESC, ticket_id LIMIT 200", *args
        )
        return [ticket_from_record(r) for r in rows]

    async def related(self, view: TicketView, limit: int = 20) -> tuple[list[TicketView], list[TicketView]]:
        """The customer's other tickets (by account or address) and the other tickets about the same order,
        newest first."""
        by_customer = await self.pool.fetch(
            f"""SELECT * FROM {LIVE.tickets} WHERE ticket_id <> $1 AND (customer_email = $2 OR customer_id = $3)
                 ORDER BY created_at DESC, ticket_id LIMIT $4""",
            view.ticket_id,
            view.customer_email,
            view.customer_id,
            limit,
        )
        by_order = []
        if view.order_number:
            by_order = await self.pool.fetch(
                f"""SELECT * FROM {LIVE.tickets} WHERE ticket_id <> $1 AND order_number = $2
                     ORDER BY created_at DESC, ticket_id LIMIT $3""",
                view.ticket_id,
                view.order_number,
                limit,
            )
        return [ticket_from_record(r) for r in by_customer], [ticket_from_record(r) for r in by_order]

    async def figures(self, now: datetime, tz: tzinfo) -> Figures:
        """Open tickets, breaches raised today (the desk's day in ``tz``), and the average first response."""
        today = now.astimezone(tz).date()
        day_start = datetime.combine(today, time(0), tzinfo=tz)
        row = await self.pool.fetchrow(
            f"""SELECT (SELECT count(*) FROM {LIVE.tickets} WHERE status <> 'resolved') AS open_tickets,
                       (SELECT count(*) FROM {LIVE.escalations}
                         WHERE breached AND occurred_at >= $1 AND occurred_at < $2) AS breaches_today,
                       (SELECT avg(business_seconds) FROM {LIVE.first_responses}) AS avg_first_response_seconds,
                       (SELECT count(*) FROM {LIVE.first_responses}) AS first_responses_measured,
                       (SELECT count(*) FROM {LIVE.tickets} WHERE channel IN ('phone', 'chat')) AS opened_by_agents""",
            day_start,
            day_start + timedelta(days=1),
        )
        avg = row["avg_first_response_seconds"]
        return Figures(
            today,
            row["open_tickets"],
            row["breaches_today"],
            round(float(avg) / 60, 1) if avg is not None else None,
            row["first_responses_measured"],
            row["opened_by_agents"],
        )
