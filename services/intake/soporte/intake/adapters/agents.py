"""The desk's staff in PostgreSQL: accounts (the password as its argon2 hash), API tokens and sessions.

Tokens and sessions are shown once and stored only as their SHA-256. Every
lookup that stands for an agent (``by_token``, ``by_session``) joins the
account and asks that it is enabled, and disabling an agent ends its sessions
and revokes its tokens in the caller's transaction: a disabled agent's next
request is refused, with no cache in between.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from soporte.intake.domain.roles import Role
from soporte.intake.domain.staff import Account, Session

ACCOUNT_COLUMNS = "a.agent_id, a.name, a.email, a.role, a.disabled_at IS NULL AS enabled"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class ApiToken:
    """An integration's token as a lead sees it listed (never the token itself)."""

    token_id: str
    agent_id: str
    label: str
    created_at: datetime
    revoked_at: datetime | None


@dataclass(frozen=True)
class AccountSummary:
    """An account with what a lead needs to manage it."""

    account: Account
    created_at: datetime
    last_signed_in_at: datetime | None
    tokens: tuple[ApiToken, ...]


def _account(row: asyncpg.Record | None) -> Account | None:
    if row is None:
        return None
    return Account(row["agent_id"], row["name"], row["email"], Role(row["role"]), row["enabled"])


class PostgresAgents:
    """Works on a pool (the authenticator's lookups) or a unit of work's connection (commands)."""

    def __init__(self, conn: asyncpg.Pool | asyncpg.Connection) -> None:
        self.conn = conn

    # --- accounts -------------------------------------------------------------------------------------

    async def get(self, who: str) -> Account | None:
        """The account with this id, or this address (any case)."""
        row = await self.conn.fetchrow(
            f"SELECT {ACCOUNT_COLUMNS} FROM intake.agents a WHERE a.agent_id = $1 OR a.email = lower($1)", who.strip()
        )
        return _account(row)

    async def with_password(self, email: str) -> tuple[Account | None, str | None]:
        """The account of an address and its password hash (None, None: nobody has this address)."""
        row = await self.conn.fetchrow(
            f"SELECT {ACCOUNT_COLUMNS}, a.password_hash FROM intake.agents a WHERE a.email = lower($1)", email.strip()
        )
        return _account(row), (row["password_hash"] if row else None)

    async def add(self, account: Account, password_hash: str, at: datetime) -> None:
        await self.conn.execute(
            """INSERT INTO intake.agents (agent_id, name, email, role, password_hash, created_at)
               VALUES ($1, $2, $3, $4, $5, $6)""",
            account.agent_id,
            account.name,
            account.email,
            account.role.value,
            password_hash,
            at,
        )

    async def set_enabled(self, account: Account, at: datetime) -> None:
        """Enable, or disable and at once end every session and revoke every API token of the agent."""
        await self.conn.execute(
            "UPDATE intake.agents SET disabled_at = CASE WHEN $2 THEN NULL ELSE coalesce(disabled_at, $3) END "
            "WHERE agent_id = $1",
            account.agent_id,
            account.enabled,
            at,
        )
        if not account.enabled:
            await self.end_sessions(account.agent_id, at)
            await self.conn.execute(
                "UPDATE intake.agent_tokens SET revoked_at = $2 WHERE agent_id = $1 AND revoked_at IS NULL",
                account.agent_id,
                at,
            )

    async def set_password(self, agent_id: str, password_hash: str, at: datetime) -> None:
        """A new password; the sessions opened with the old one end."""
        await self.conn.execute(
            "UPDATE intake.agents SET password_hash = $2 WHERE agent_id = $1", agent_id, password_hash
        )
        await self.end_sessions(agent_id, at)

    async def summaries(self) -> list[AccountSummary]:
        """Every account (leads first, then by name) with its last sign-in and its tokens."""
        rows = await self.conn.fetch(
            f"""SELECT {ACCOUNT_COLUMNS}, a.created_at,
                       (SELECT max(s.created_at) FROM intake.agent_sessions s WHERE s.agent_id = a.agent_id) AS last
                  FROM intake.agents a ORDER BY a.role = 'lead' DESC, lower(a.name), a.agent_id"""
        )
        tokens: dict[str, list[ApiToken]] = {}
        for token in await self.tokens():
            tokens.setdefault(token.agent_id, []).append(token)
        return [
            AccountSummary(_account(r), r["created_at"], r["last"], tuple(tokens.get(r["agent_id"], ()))) for r in rows
        ]

    # --- API tokens -----------------------------------------------------------------------------------

    async def add_token(self, token_id: str, agent_id: str, label: str, token: str, at: datetime) -> None:
        await self.conn.execute(
            """INSERT INTO intake.agent_tokens (token_id, agent_id, label, token_sha256, created_at)
               VALUES ($1, $2, $3, $4, $5)""",
            token_id,
            agent_id,
            label.strip(),
            hash_token(token),
            at,
        )

    async def tokens(self) -> list[ApiToken]:
        rows = await self.conn.fetch(
            "SELECT token_id, agent_id, label, created_at, revoked_at FROM intake.agent_tokens ORDER BY created_at"
        )
        return [ApiToken(**dict(r)) for r in rows]

    async def token_owner(self, token_id: str) -> Account | None:
        row = await self.conn.fetchrow(
            f"""SELECT {ACCOUNT_COLUMNS} FROM intake.agents a
                  JOIN intake.agent_tokens t ON t.agent_id = a.agent_id WHERE t.token_id = $1""",
            token_id,
        )
        return _account(row)

    async def revoke_token(self, token_id: str, at: datetime) -> None:
        await self.conn.execute(
            "UPDATE intake.agent_tokens SET revoked_at = coalesce(revoked_at, $2) WHERE token_id = $1", token_id, at
        )

    async def by_token(self, token: str) -> Account | None:
        """The enabled agent an API token (not revoked) stands for."""
        row = await self.conn.fetchrow(
            f"""SELECT {ACCOUNT_COLUMNS} FROM intake.agent_tokens t JOIN intake.agents a ON a.agent_id = t.agent_id
                 WHERE t.token_sha256 = $1 AND t.revoked_at IS NULL AND a.disabled_at IS NULL""",
            hash_token(token),
        )
        return _account(row)

    # --- sessions -------------------------------------------------------------------------------------

    async def add_session(self, token: str, session: Session) -> None:
        await self.conn.execute(
            """INSERT INTO intake.agent_sessions (session_sha256, agent_id, created_at, expires_at)
               VALUES ($1, $2, $3, $4)""",
            hash_token(token),
            session.agent_id,
            session.created_at,
            session.expires_at,
        )
        # A month after a session expired it is of no more use, not even to show a last sign-in.
        await self.conn.execute(
            "DELETE FROM intake.agent_sessions "
            "WHERE agent_id = $1 AND expires_at < $2::timestamptz - interval '30 days'",
            session.agent_id,
            session.created_at,
        )

    async def by_session(self, token: str, now: datetime) -> Account | None:
        """The enabled agent a session stands for, while it has neither ended nor expired."""
        row = await self.conn.fetchrow(
            f"""SELECT {ACCOUNT_COLUMNS} FROM intake.agent_sessions s JOIN intake.agents a ON a.agent_id = s.agent_id
                 WHERE s.session_sha256 = $1 AND s.ended_at IS NULL AND s.expires_at > $2 AND a.disabled_at IS NULL""",
            hash_token(token),
            now,
        )
        return _account(row)

    async def end_session(self, token: str, at: datetime) -> None:
        await self.conn.execute(
            "UPDATE intake.agent_sessions SET ended_at = coalesce(ended_at, $2) WHERE session_sha256 = $1",
            hash_token(token),
            at,
        )

    async def end_sessions(self, agent_id: str, at: datetime) -> None:
        await self.conn.execute(
            "UPDATE intake.agent_sessions SET ended_at = $2 WHERE agent_id = $1 AND ended_at IS NULL", agent_id, at
        )
