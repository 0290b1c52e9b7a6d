"""The desk's agents and their API tokens, in PostgreSQL: a token is shown once and only its hash is stored."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

import asyncpg


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class Agent:
    agent_id: str
    name: str
    email: str


class PostgresAgents:
    def __init__(self, conn: asyncpg.Pool | asyncpg.Connection) -> None:
        self.conn = conn

    async def create(self, name: str, email: str) -> tuple[Agent, str]:
        """A new agent and its API token (shown once; only its hash is stored)."""
        token = "sp_agent_" + secrets.token_urlsafe(32)
        agent = Agent("agent-" + secrets.token_hex(6), name, email.lower())
        await self.conn.execute(
            "INSERT INTO intake.agents (agent_id, name, email, token_sha256) VALUES ($1, $2, $3, $4)",
            agent.agent_id,
            agent.name,
            agent.email,
            hash_token(token),
        )
        return agent, token

    async def by_token(self, token: str) -> Agent | None:
        row = await self.conn.fetchrow(
            "SELECT agent_id, name, email FROM intake.agents WHERE token_sha256 = $1", hash_token(token)
        )
        return Agent(row["agent_id"], row["name"], row["email"]) if row else None

    async def get(self, agent_id: str) -> Agent | None:
        row = await self.conn.fetchrow("SELECT agent_id, name, email FROM intake.agents WHERE agent_id = $1", agent_id)
        return Agent(row["agent_id"], row["name"], row["email"]) if row else None
