"""The sent-mail ledger in PostgreSQL: who a ticket's mails go to (and how it stands), what to send, what was sent.

What it guarantees:

- Recording (``remember_contact``, ``contact``, ``add``) takes the reader's
  connection, so the rows land in the transaction that also moves the reader's
  position: a record is planned into the ledger once, or not at all.
- One row per notification id (derived from event, kind and recipient): adding
  a notification again changes nothing, so a replay sends no mail twice.
- Sending claims due rows with ``FOR UPDATE SKIP LOCKED`` and a lease: two
  senders never take the same mail, and a crashed sender's claims come due
  again when the lease ends (the mail may then go twice, never zero times).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import asyncpg

from soporte.notifier.domain.access_links import KnownTicket
from soporte.notifier.domain.notifications import Contact, Notification

_ERROR_LIMIT = 2000  # characters of an SMTP answer worth keeping


@dataclass(frozen=True)
class ClaimedNotification:
    notification: Notification
    attempts: int  # including this one


@dataclass(frozen=True)
class FinishedNotification:
    notification: Notification
    status: str  # sent | failed
    attempts: int
    last_error: str | None


def _notification(row: asyncpg.Record) -> Notification:
    return Notification(
        row["notification_id"],
        row["source_event_id"],
        row["ticket_id"],
        row["kind"],
        row["recipient"],
        row["language"],
        json.loads(row["context"]),
    )


def _row(n: Notification, now: datetime) -> tuple:
    return (
        n.notification_id,
        n.source_event_id,
        n.ticket_id,
        n.kind,
        n.recipient,
        n.language,
        json.dumps(n.context),
        now,
    )


class Ledger:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    # --- recording, in the reader's transaction --------------------------------------------------

    async def contact(self, conn: asyncpg.Connection, ticket_id: str) -> Contact | None:
        row = await conn.fetchrow("SELECT * FROM notifier.contacts WHERE ticket_id = $1", ticket_id)
        if row is None:
            return None
        return Contact(*(row[k] for k in ("ticket_id", "name", "email", "language", "customer_id", "category")))

    async def remember_contact(self, conn: asyncpg.Connection, contact: Contact) -> None:
        """The first contact of a ticket stays (a replayed submission does not overwrite it)."""
        await conn.execute(
            """INSERT INTO notifier.contacts (ticket_id, name, email, language, customer_id, category)
               VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (ticket_id) DO NOTHING""",
            contact.ticket_id,
            contact.name,
            contact.email,
            contact.language,
            contact.customer_id,
            contact.category,
        )

    async def standing(self, conn: asyncpg.Connection, ticket_id: str) -> tuple[str | None, int] | None:
        """A followed ticket's status and the version it is at (locked for this transaction); None: unknown."""
        row = await conn.fetchrow(
            "SELECT status, version FROM notifier.contacts WHERE ticket_id = $1 FOR UPDATE", ticket_id
        )
        return (row["status"], row["version"]) if row else None

    async def record_standing(
        self, conn: asyncpg.Connection, ticket_id: str, status: str | None, version: int, at: datetime
    ) -> None:
        await conn.execute(
            """UPDATE notifier.contacts SET status = $2, version = $3,
                      last_activity_at = greatest(coalesce(last_activity_at, $4), $4)
               WHERE ticket_id = $1 AND version < $3""",
            ticket_id,
            status,
            version,
            at,
        )

    async def tickets_of(self, conn: asyncpg.Connection, email: str) -> list[KnownTicket]:
        """Every ticket opened with ``email`` (whatever its letter case)."""
        rows = await conn.fetch("SELECT * FROM notifier.contacts WHERE lower(email) = lower($1)", email)
        fields = KnownTicket.__dataclass_fields__
        return [KnownTicket(**{name: row[name] for name in fields}) for row in rows]

    async def add(self, conn: asyncpg.Connection, notifications: Sequence[Notification], now: datetime) -> None:
        """New notifications, due at ``now``; ones already in the ledger are left as they are."""
        if not notifications:
            return
        await conn.executemany(
            """INSERT INTO notifier.notifications
               (notification_id, source_event_id, ticket_id, kind, recipient, language, context,
                next_attempt_at, created_at)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) ON CONFLICT (notification_id) DO NOTHING""",
            [_row(n, now) for n in notifications],
        )

    # --- sending ---------------------------------------------------------------------------------

    async def claim_due(self, now: datetime, lease: timedelta, limit: int) -> list[ClaimedNotification]:
        """Take due pending mails for this sender; the lease makes a crashed sender's claims due again."""
        rows = await self.pool.fetch(
            """WITH due AS (
                   SELECT notification_id FROM notifier.notifications
                   WHERE status = 'pending' AND next_attempt_at <= $1
                   ORDER BY next_attempt_at LIMIT $3 FOR UPDATE SKIP LOCKED)
               UPDATE notifier.notifications n SET attempts = n.attempts + 1, next_attempt_at = $2
               FROM due WHERE n.notification_id = due.notification_id
               RETURNING n.*""",
            now,
            now + lease,
            limit,
        )
        return [ClaimedNotification(_notification(r), r["attempts"]) for r in rows]

    async def mark_sent(self, notification_id: str, now: datetime) -> None:
        await self.pool.execute(
            "UPDATE notifier.notifications SET status = 'sent', finished_at = $2, last_error = NULL"
            " WHERE notification_id = $1",
            notification_id,
            now,
        )

    async def mark_retry(self, notification_id: str, at: datetime, error: str) -> None:
        await self.pool.execute(
            "UPDATE notifier.notifications SET next_attempt_at = $2, last_error = $3 WHERE notification_id = $1",
            notification_id,
            at,
            error[:_ERROR_LIMIT],
        )

    async def mark_failed(self, notification_id: str, now: datetime, error: str) -> None:
        await self.pool.execute(
            "UPDATE notifier.notifications SET status = 'failed', finished_at = $2, last_error = $3"
            " WHERE notification_id = $1",
            notification_id,
            now,
            error[:_ERROR_LIMIT],
        )

    # --- outcomes and the dead-lettered -----------------------------------------------------------

    async def unpublished_outcomes(self, limit: int = 100) -> list[FinishedNotification]:
        rows = await self.pool.fetch(
            """SELECT * FROM notifier.notifications WHERE status <> 'pending' AND NOT outcome_published
               ORDER BY finished_at LIMIT $1""",
            limit,
        )
        return [FinishedNotification(_notification(r), r["status"], r["attempts"], r["last_error"]) for r in rows]

    async def mark_outcome_published(self, notification_id: str) -> None:
        await self.pool.execute(
            "UPDATE notifier.notifications SET outcome_published = true WHERE notification_id = $1", notification_id
        )

    async def requeue_failed(self, now: datetime, limit: int) -> int:
        """Dead-lettered mails back to pending (e.g. after an address was corrected), oldest first."""
        status = await self.pool.execute(
            """UPDATE notifier.notifications SET status = 'pending', attempts = 0, next_attempt_at = $1,
                      finished_at = NULL, outcome_published = false
               WHERE notification_id IN (SELECT notification_id FROM notifier.notifications WHERE status = 'failed'
                                         ORDER BY finished_at LIMIT $2)""",
            now,
            limit,
        )
        return int(status.split()[-1])
