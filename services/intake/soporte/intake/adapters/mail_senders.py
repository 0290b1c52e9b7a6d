"""Mail-in's per-sender rate limit in PostgreSQL: how many mails a sender sent within the window.

Every mail that reaches the limit check is counted, also the ones dropped for
being over it: a sender stuck in a loop (an auto-responder that escaped the
header checks) stays over the limit until it has been quiet for a whole window.
Counting is done in its own transaction, apart from the ticket's events: a mail
redelivered after a crash may count twice, which only errs towards dropping a
flood sooner. Rows older than the window are deleted as the sender writes again.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import asyncpg


class PostgresMailSenders:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def count(self, sender: str, at: datetime, window: timedelta) -> int:
        """Record a mail from ``sender`` at ``at``; the mails from them within ``window`` up to it, this one too."""
        since = at - window
        async with self.pool.acquire() as conn, conn.transaction():
            await conn.execute("DELETE FROM intake.mail_senders WHERE sender = $1 AND received_at <= $2", sender, since)
            await conn.execute("INSERT INTO intake.mail_senders (sender, received_at) VALUES ($1, $2)", sender, at)
            return await conn.fetchval(
                "SELECT count(*) FROM intake.mail_senders WHERE sender = $1 AND received_at > $2", sender, since
            )
