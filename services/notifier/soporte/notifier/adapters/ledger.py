"""The sent-mail ledger in PostgreSQL: what to send, what was sent, and where reading stands."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta

import asyncpg

from soporte.notifier.domain.notifications import Contact, Notification


@dataclass(frozen=True)
class ClaimedNotification:
    notification: Notification
    attempts: int  # including this one


@dataclass(frozen=True)
class FinishedNotification:
    notification: Notification
    status: str
    attempts: int
    last_error: str | None


def _notification(row) -> Notification:
    return Notification(
        row["notification_id"],
        row["source_event_id"],
        row["ticket_id"],
        row["kind"],
        row["recipient"],
        row["language"],
        json.loads(row["context"]),
    )


class Ledger:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def positions(self, topics: list[str]) -> dict[tuple[str, int], int]:
        rows = await self.pool.fetch(
            "SELECT topic, partition, next_offset FROM notifier.positions WHERE topic = ANY($1)", topics
        )
        return {(r["topic"], r["partition"]): r["next_offset"] for r in rows}

    async def contact(self, ticket_id: str) -> Contact | None:
        row = await self.pool.fetchrow("SELECT * FROM notifier.contacts WHERE ticket_id = $1", ticket_id)
        return Contact(row["ticket_id"], row["name"], row["email"], row["language"]) if row else None

    async def record(
        self,
        topic: str,
        partition: int,
        offset: int,
        contact: Contact | None,
        notifications: list[Notification],
        now: datetime,
    ) -> int:
        """Contact, new notifications and the position, in one transaction. Returns how many rows were new."""
        async with self.pool.acquire() as conn, conn.transaction():
            if contact is not None:
                await conn.execute(
                    "INSERT INTO notifier.contacts VALUES ($1, $2, $3, $4) ON CONFLICT (ticket_id) DO NOTHING",
                    contact.ticket_id,
                    contact.name,
                    contact.email,
                    contact.language,
                )
            added = 0
            for n in notifications:
                status = await conn.execute(
                    """INSERT INTO notifier.notifications
                       (notification_id, source_event_id, ticket_id, kind, recipient, language, context,
                        next_attempt_at, created_at)
                       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) ON CONFLICT (notification_id) DO NOTHING""",
                    n.notification_id,
                    n.source_event_id,
                    n.ticket_id,
                    n.kind,
                    n.recipient,
                    n.language,
                    json.dumps(n.context),
                    now,
                )
                added += status.endswith(" 1")
            await conn.execute(
                """INSERT INTO notifier.positions VALUES ($1, $2, $3)
                   ON CONFLICT (topic, partition) DO UPDATE
                   SET next_offset = GREATEST(notifier.positions.next_offset, EXCLUDED.next_offset)""",
                topic,
                partition,
                offset + 1,
            )
            return added

    async def claim_due(self, now: datetime, lease: timedelta, limit: int = 20) -> list[ClaimedNotification]:
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
            error[:2000],
        )

    async def mark_failed(self, notification_id: str, now: datetime, error: str) -> None:
        await self.pool.execute(
            "UPDATE notifier.notifications SET status = 'failed', finished_at = $2, last_error = $3"
            " WHERE notification_id = $1",
            notification_id,
            now,
            error[:2000],
        )

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
        """Dead-lettered mails back to pending (e.g. after an address was corrected)."""
        status = await self.pool.execute(
            """UPDATE notifier.notifications SET status = 'pending', attempts = 0, next_attempt_at = $1,
                      finished_at = NULL, outcome_published = false
               WHERE notification_id IN (SELECT notification_id FROM notifier.notifications WHERE status = 'failed'
                                         ORDER BY finished_at LIMIT $2)""",
            now,
            limit,
        )
        return int(status.split()[-1])

    async def counts(self) -> dict[str, int]:
        rows = await self.pool.fetch("SELECT status, count(*) AS n FROM notifier.notifications GROUP BY status")
        return {r["status"]: r["n"] for r in rows}
