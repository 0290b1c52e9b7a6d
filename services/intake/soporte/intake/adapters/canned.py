"""Canned replies in PostgreSQL: one row each, a name unique in its language (whatever its case)."""

from __future__ import annotations

from datetime import datetime

import asyncpg

from soporte.events import Language
from soporte.intake.domain.canned import BundledAction, CannedReply

COLUMNS = "reply_id, name, language, body, action, carrier"


def _reply(row: asyncpg.Record) -> CannedReply:
    action = BundledAction(row["action"]) if row["action"] else None
    return CannedReply(row["reply_id"], row["name"], Language(row["language"]), row["body"], action, row["carrier"])


class PostgresCannedReplies:
    def __init__(self, conn: asyncpg.Pool | asyncpg.Connection) -> None:
        self.conn = conn

    async def get(self, reply_id: str) -> CannedReply | None:
        row = await self.conn.fetchrow(f"SELECT {COLUMNS} FROM intake.canned_replies WHERE reply_id = $1", reply_id)
        return _reply(row) if row else None

    async def find(self, language: Language | None = None, name: str = "") -> list[CannedReply]:
        """The replies of a language (every one without), whose name holds ``name`` (any case), by name."""
        rows = await self.conn.fetch(
            f"""SELECT {COLUMNS} FROM intake.canned_replies
                 WHERE ($1::text IS NULL OR language = $1) AND strpos(lower(name), lower($2)) > 0
                 ORDER BY language, lower(name)""",
            language.value if language else None,
            name.strip(),
        )
        return [_reply(r) for r in rows]

    async def name_taken(self, reply: CannedReply) -> bool:
        """Whether another reply of the same language has ``reply``'s name."""
        return bool(
            await self.conn.fetchval(
                """SELECT 1 FROM intake.canned_replies
                    WHERE language = $1 AND lower(name) = lower($2) AND reply_id <> $3""",
                reply.language.value,
                " ".join(reply.name.split()),
                reply.reply_id,
            )
        )

    async def save(self, reply: CannedReply, by: str, at: datetime) -> None:
        await self.conn.execute(
            f"""INSERT INTO intake.canned_replies ({COLUMNS}, updated_by, updated_at)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
                ON CONFLICT (reply_id) DO UPDATE SET name = EXCLUDED.name, language = EXCLUDED.language,
                    body = EXCLUDED.body, action = EXCLUDED.action, carrier = EXCLUDED.carrier,
                    updated_by = EXCLUDED.updated_by, updated_at = EXCLUDED.updated_at""",
            reply.reply_id,
            reply.name,
            reply.language.value,
            reply.body,
            reply.action.value if reply.action else None,
            reply.carrier,
            by,
            at,
        )

    async def delete(self, reply_id: str) -> None:
        await self.conn.execute("DELETE FROM intake.canned_replies WHERE reply_id = $1", reply_id)
