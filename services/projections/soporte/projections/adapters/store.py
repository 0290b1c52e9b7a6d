"""The read models in PostgreSQL: applying events (rows and position in one transaction) and reading them.

Writers name their tables through ``Tables``: the live set, or the ``_rebuild``
twins a rebuild fills before swapping them in by renaming.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import asyncpg

from soporte.businesstime import BusinessCalendar
from soporte.events import Event
from soporte.events import types as t
from soporte.projections.domain.access import Ownership, Principal
from soporte.projections.domain.queues import NO_DUE, QueueQuery, SortKey, sort_key
from soporte.projections.domain.tickets import (
    ClockState,
    Escalation,
    Status,
    TicketView,
    apply_ticket_event,
    public_message,
    sla_state,
    timeline_entry,
)
from soporte.ticketrules import SlaPolicies

SCHEMA = "projections"
# Every table a rebuild replaces (``generation`` stays: it tells live readers a swap happened).
REBUILT_TABLES = ("tickets", "messages", "timeline", "escalations", "first_responses", "notifications", "positions")


@dataclass(frozen=True)
class Tables:
    """A set of read-model tables: the live ones (no suffix) or a rebuild's twins."""

    suffix: str = ""

    def __getattr__(self, base: str) -> str:
        if base not in REBUILT_TABLES:
            raise AttributeError(base)
        return f"{SCHEMA}.{base}{self.suffix}"


LIVE = Tables("")
REBUILD = Tables("_rebuild")


class GenerationChanged(RuntimeError):
    """The live tables were swapped by a rebuild since this reader read its positions."""


# --- rows <-> views ------------------------------------------------------------------------------


def _view_from_row(row: asyncpg.Record) -> TicketView:
    return TicketView(
        ticket_id=row["ticket_id"],
        version=row["version"],
        category=row["category"],
        priority=row["priority"],
        actionable=row["actionable"],
        missing=tuple(json.loads(row["missing"])),
        status=Status(row["status"]),
        customer_name=row["customer_name"],
        customer_email=row["customer_email"],
        customer_id=row["customer_id"],
        language=row["language"],
        channel=row["channel"],
        order_number=row["order_number"],
        created_at=row["created_at"],
        last_activity_at=row["last_activity_at"],
        assignee_id=row["assignee_id"],
        assignee_name=row["assignee_name"],
        first_responded_at=row["first_responded_at"],
        resolved_at=row["resolved_at"],
        clocks=tuple(ClockState.from_json(c) for c in json.loads(row["clocks"])),
    )


def _escalation_from_row(row: asyncpg.Record) -> Escalation:
    return Escalation(
        str(row["event_id"]),
        row["ticket_id"],
        row["breached"],
        row["clock"],
        row["episode"],
        row["deadline"],
        row["occurred_at"],
    )


@dataclass(frozen=True)
class Record:
    """One Kafka record to apply: where it is, and its event (None: nothing to apply, only move on)."""

    topic: str
    partition: int
    offset: int
    event: Event | None


class _Batch:
    """The rows a batch of records changes, gathered in memory and written with one statement per table.

    Tickets are read once (locked) and folded here, so a rebuild does a handful of round trips per
    batch instead of several per event; the live reader uses the same path with batches of one.
    """

    def __init__(self) -> None:
        self.views: dict[str, TicketView | None] = {}
        self.escalations: dict[str, list[Escalation]] = {}
        self.dirty: set[str] = set()  # tickets whose row must be written
        self.timeline: list[tuple] = []
        self.messages: list[tuple] = []
        self.new_escalations: list[tuple] = []
        self.first_responses: list[tuple] = []
        self.notifications: list[tuple] = []


class ReadModelWriter:
    """Applies decoded events to one set of tables, inside the caller's transaction."""

    def __init__(self, tables: Tables, calendar: BusinessCalendar, policies: SlaPolicies) -> None:
        self.tables, self.calendar, self.policies = tables, calendar, policies

    async def next_offset(self, conn: asyncpg.Connection, topic: str, partition: int) -> int | None:
        """The stored position of a partition (None: nothing applied from it yet)."""
        return await conn.fetchval(
            f"SELECT next_offset FROM {self.tables.positions} WHERE topic = $1 AND partition = $2", topic, partition
        )

    async def apply(
        self, conn: asyncpg.Connection, topic: str, partition: int, offset: int, event: Event | None
    ) -> bool:
        """Apply the record at ``offset``. False if it was applied before."""
        return bool(await self.apply_batch(conn, [Record(topic, partition, offset, event)]))

    async def apply_batch(self, conn: asyncpg.Connection, records: list[Record]) -> int:
        """Apply the records not applied yet (by stored position), in order; how many were new."""
        tb = self.tables
        partitions = sorted({(r.topic, r.partition) for r in records})
        rows = await conn.fetch(
            f"""SELECT topic, partition, next_offset FROM {tb.positions}
                WHERE (topic, partition) IN (SELECT * FROM unnest($1::text[], $2::int[])) FOR UPDATE""",
            [t_ for t_, _ in partitions],
            [p_ for _, p_ in partitions],
        )
        stored = {(r["topic"], r["partition"]): r["next_offset"] for r in rows}
        fresh = [r for r in records if r.offset >= stored.get((r.topic, r.partition), 0)]
        if not fresh:
            return 0
        batch = _Batch()
        await self._load(conn, batch, {r.event.ticket_id for r in fresh if r.event is not None and r.event.ticket_id})
        for record in fresh:
            if record.event is not None:
                self._fold(batch, record.event)
        await self._write(conn, batch)
        ends: dict[tuple[str, int], int] = {}
        for r in fresh:
            ends[(r.topic, r.partition)] = max(ends.get((r.topic, r.partition), 0), r.offset + 1)
        await conn.executemany(
            f"""INSERT INTO {tb.positions} AS p VALUES ($1, $2, $3)
                ON CONFLICT (topic, partition) DO UPDATE
                SET next_offset = GREATEST(p.next_offset, EXCLUDED.next_offset)""",
            [(topic, partition, end) for (topic, partition), end in sorted(ends.items())],
        )
        return len(fresh)

    async def _load(self, conn: asyncpg.Connection, batch: _Batch, ticket_ids: set[str]) -> None:
        """The batch's tickets (locked) and their escalations, as the tables hold them now."""
        ids = sorted(ticket_ids)
        batch.views = dict.fromkeys(ids)
        batch.escalations = {ticket_id: [] for ticket_id in ids}
        if not ids:
            return
        for row in await conn.fetch(
            f"SELECT * FROM {self.tables.tickets} WHERE ticket_id = ANY($1::text[]) ORDER BY ticket_id FOR UPDATE", ids
        ):
            batch.views[row["ticket_id"]] = _view_from_row(row)
        for row in await conn.fetch(f"SELECT * FROM {self.tables.escalations} WHERE ticket_id = ANY($1::text[])", ids):
            batch.escalations[row["ticket_id"]].append(_escalation_from_row(row))

    def _fold(self, batch: _Batch, event: Event) -> None:
        """The rows ``event`` changes. Ticket events apply once per (ticket, version); others once per event id."""
        match event:
            case t.SlaWarning() | t.SlaBreached():
                ticket_id = event.ticket_id or ""
                known = batch.escalations.setdefault(ticket_id, [])
                if any(e.event_id == str(event.event_id) for e in known):
                    return
                escalation = Escalation(
                    str(event.event_id),
                    ticket_id,
                    isinstance(event, t.SlaBreached),
                    str(event.data.clock),
                    str(event.causation_id) if event.causation_id else None,
                    event.data.deadline,
                    event.occurred_at,
                )
                known.append(escalation)
                batch.new_escalations.append(
                    (
                        event.event_id,
                        ticket_id,
                        escalation.breached,
                        escalation.clock,
                        event.data.level,
                        escalation.episode,
                        escalation.deadline,
                        escalation.occurred_at,
                    )
                )
                if (
                    batch.views.get(ticket_id) is not None
                ):  # else its TicketSubmitted is still to come and computes the state
                    batch.dirty.add(ticket_id)
            case t.FirstResponseMeasured():
                batch.first_responses.append(
                    (
                        event.ticket_id,
                        event.event_id,
                        event.data.business_seconds,
                        event.data.submitted_at,
                        event.data.responded_at,
                    )
                )
            case t.NotificationSent() | t.NotificationFailed():
                d = event.data
                batch.notifications.append(
                    (
                        event.event_id,
                        event.ticket_id,
                        "sent" if isinstance(event, t.NotificationSent) else "failed",
                        d.kind,
                        d.recipient,
                        d.attempts,
                        d.reason,
                        event.occurred_at,
                    )
                )
            case _ if isinstance(event, t.TICKET_STREAM_TYPES):
                self._fold_ticket_event(batch, event)
            case _:
                pass  # other types (orders, dead letters) are not on the topics read here

    def _fold_ticket_event(self, batch: _Batch, event: Event) -> None:
        ticket_id = event.ticket_id or ""
        view = batch.views.get(ticket_id)
        if view is not None and (event.version or 0) <= view.version:
            return  # this version is already in (a redelivery under another offset)
        batch.views[ticket_id] = apply_ticket_event(view, event, self.calendar, self.policies)
        batch.dirty.add(ticket_id)
        entry = timeline_entry(event)
        batch.timeline.append(
            (
                entry.ticket_id,
                entry.version,
                event.event_id,
                entry.type,
                entry.actor_kind,
                entry.actor_id,
                entry.actor_name,
                entry.occurred_at,
                entry.summary,
                json.dumps(entry.data, sort_keys=True),
            )
        )
        message = public_message(event)
        if message is not None:
            batch.messages.append(
                (
                    message.ticket_id,
                    message.version,
                    message.kind,
                    message.author_kind,
                    message.author_name,
                    message.body,
                    json.dumps(list(message.attachments), sort_keys=True),
                    message.occurred_at,
                )
            )

    async def _write(self, conn: asyncpg.Connection, batch: _Batch) -> None:
        tb = self.tables
        statements = [
            (
                f"INSERT INTO {tb.timeline} VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT DO NOTHING",
                batch.timeline,
            ),
            (
                f"INSERT INTO {tb.messages} VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING",
                batch.messages,
            ),
            (
                f"INSERT INTO {tb.escalations} VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
                " ON CONFLICT (event_id) DO NOTHING",
                batch.new_escalations,
            ),
            (
                f"INSERT INTO {tb.first_responses} VALUES ($1, $2, $3, $4, $5) ON CONFLICT (ticket_id) DO NOTHING",
                batch.first_responses,
            ),
            (
                f"INSERT INTO {tb.notifications} VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
                " ON CONFLICT (event_id) DO NOTHING",
                batch.notifications,
            ),
        ]
        for sql, rows in statements:
            if rows:
                await conn.executemany(sql, rows)
        views = [batch.views[ticket_id] for ticket_id in sorted(batch.dirty)]
        if views:
            await conn.executemany(
                self._upsert_view_sql(), [self._view_row(v, batch.escalations.get(v.ticket_id, [])) for v in views if v]
            )

    def _upsert_view_sql(self) -> str:
        return f"""INSERT INTO {self.tables.tickets} VALUES
                ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13,
                 $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25)
                ON CONFLICT (ticket_id) DO UPDATE SET
                  version = EXCLUDED.version, status = EXCLUDED.status, last_activity_at = EXCLUDED.last_activity_at,
                  assignee_id = EXCLUDED.assignee_id, assignee_name = EXCLUDED.assignee_name,
                  first_responded_at = EXCLUDED.first_responded_at, resolved_at = EXCLUDED.resolved_at,
                  clocks = EXCLUDED.clocks, due_times = EXCLUDED.due_times, sla_due_at = EXCLUDED.sla_due_at,
                  sort_due = EXCLUDED.sort_due, sla_state = EXCLUDED.sla_state"""

    def _view_row(self, view: TicketView, escalations: list[Escalation]) -> tuple:
        due_times = view.due_times(self.calendar)
        due_at = min(due_times.values(), default=None)
        return (
            view.ticket_id,
            view.version,
            view.category,
            view.priority,
            view.actionable,
            0 if view.actionable else 1,
            json.dumps(list(view.missing)),
            view.status.value,
            view.customer_name,
            view.customer_email,
            view.customer_id,
            view.language,
            view.channel,
            view.order_number,
            view.created_at,
            view.last_activity_at,
            view.assignee_id,
            view.assignee_name,
            view.first_responded_at,
            view.resolved_at,
            json.dumps([c.as_json() for c in view.clocks], sort_keys=True),
            json.dumps({k: v.isoformat() for k, v in sorted(due_times.items())}),
            due_at,
            due_at or NO_DUE,
            sla_state(view, escalations).value,
        )


# --- reading -----------------------------------------------------------------------------------

TICKET_FIELDS = (
    "ticket_id",
    "version",
    "category",
    "priority",
    "actionable",
    "missing",
    "status",
    "customer_name",
    "customer_email",
    "customer_id",
    "language",
    "channel",
    "order_number",
    "created_at",
    "last_activity_at",
    "assignee_id",
    "assignee_name",
    "first_responded_at",
    "resolved_at",
    "due_times",
    "sla_due_at",
    "sla_state",
)


def ticket_json(row: asyncpg.Record) -> dict[str, Any]:
    """A ticket row as the API answers it (JSON-ready)."""
    out: dict[str, Any] = {}
    for name in TICKET_FIELDS:
        value = row[name]
        if name in ("missing", "due_times"):
            value = json.loads(value)
        elif isinstance(value, datetime):
            value = value.isoformat()
        out[name] = value
    return out


def row_sort_key(row: asyncpg.Record) -> SortKey:
    return sort_key(row["actionable"], row["sla_due_at"], row["created_at"], row["ticket_id"])


def _json_row(row: asyncpg.Record, *json_fields: str) -> dict[str, Any]:
    out = {}
    for key, value in row.items():
        if key in json_fields:
            value = json.loads(value)
        elif isinstance(value, datetime):
            value = value.isoformat()
        elif key == "event_id":
            value = str(value)
        out[key] = value
    return out


class ReadModels:
    """Queries on the live tables. The pool must not cache prepared statements (a rebuild renames tables)."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def queue(self, q: QueueQuery) -> list[asyncpg.Record]:
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
        if q.category:
            where.append(f"category = {arg(q.category)}")
        if q.status:
            where.append(f"status = {arg(q.status)}")
        if q.assignee:
            where.append(f"assignee_id = {arg(q.assignee)}")
        if q.sla_state:
            where.append(f"sla_state = {arg(q.sla_state)}")
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
        return await self.pool.fetch(sql, *args)

    async def ticket(self, ticket_id: str) -> asyncpg.Record | None:
        return await self.pool.fetchrow(f"SELECT * FROM {LIVE.tickets} WHERE ticket_id = $1", ticket_id)

    async def ticket_version(self, ticket_id: str) -> int | None:
        return await self.pool.fetchval(f"SELECT version FROM {LIVE.tickets} WHERE ticket_id = $1", ticket_id)

    async def public_thread(self, ticket_id: str) -> list[dict[str, Any]]:
        rows = await self.pool.fetch(f"SELECT * FROM {LIVE.messages} WHERE ticket_id = $1 ORDER BY version", ticket_id)
        return [_json_row(r, "attachments") for r in rows]

    async def timeline(self, ticket_id: str) -> list[dict[str, Any]]:
        rows = await self.pool.fetch(f"SELECT * FROM {LIVE.timeline} WHERE ticket_id = $1 ORDER BY version", ticket_id)
        return [_json_row(r, "data") for r in rows]

    async def escalations(self, ticket_id: str) -> list[dict[str, Any]]:
        rows = await self.pool.fetch(
            f"SELECT * FROM {LIVE.escalations} WHERE ticket_id = $1 ORDER BY occurred_at, event_id", ticket_id
        )
        return [_json_row(r) for r in rows]

    async def notifications(self, ticket_id: str) -> list[dict[str, Any]]:
        rows = await self.pool.fetch(
            f"SELECT * FROM {LIVE.notifications} WHERE ticket_id = $1 ORDER BY occurred_at, event_id", ticket_id
        )
        return [_json_row(r) for r in rows]

    async def customer_tickets(self, principal: Principal) -> list[asyncpg.Record]:
        """The caller's own tickets, newest first."""
        if principal.kind == "ticket":
            sql, args = "ticket_id = $1", [principal.ticket_id or ""]
        elif principal.kind == "customer":
            sql, args = (
                "(customer_id = $1 OR customer_email = $2)",
                [principal.customer_id or "", principal.email or ""],
            )
        else:
            sql, args = "customer_email = $1", [principal.email or ""]
        return await self.pool.fetch(
            f"SELECT * FROM {LIVE.tickets} WHERE {sql} ORDER BY created_at DESC, ticket_id LIMIT 200", *args
        )

    async def figures(self, day_start: datetime) -> dict[str, Any]:
        """Open tickets, breaches raised since ``day_start`` (a day), and the average first response."""
        row = await self.pool.fetchrow(
            f"""SELECT (SELECT count(*) FROM {LIVE.tickets} WHERE status <> 'resolved') AS open_tickets,
                       (SELECT count(*) FROM {LIVE.escalations}
                         WHERE breached AND occurred_at >= $1 AND occurred_at < $2) AS breaches_today,
                       (SELECT avg(business_seconds) FROM {LIVE.first_responses}) AS avg_first_response_seconds,
                       (SELECT count(*) FROM {LIVE.first_responses}) AS first_responses_measured""",
            day_start,
            day_start + timedelta(days=1),
        )
        avg = row["avg_first_response_seconds"]
        return {
            "open_tickets": row["open_tickets"],
            "breaches_today": row["breaches_today"],
            "average_first_response_business_minutes": round(float(avg) / 60, 1) if avg is not None else None,
            "first_responses_measured": row["first_responses_measured"],
        }


def ownership(row: asyncpg.Record) -> Ownership:
    return Ownership(row["ticket_id"], row["customer_id"], row["customer_email"])
