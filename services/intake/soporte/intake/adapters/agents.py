"""The desk's agents and their API tokens, in PostgreSQL: a token is shown once and only its hash is stored."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

import asyncpg

from soporte.intake.domain.roles import Role


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class Agent:
    agent_id: str
    name: str
    email: str
    role: Role = Role.AGENT


def _agent(row: asyncpg.Record | None) -> Agent | None:
    return Agent(row["agent_id"], row["name"], row["email"], Role(row["role"])) if row else None


class PostgresAgents:
    def __init__(self, conn: asyncpg.Pool | asyncpg.Connection) -> None:
        self.conn = conn

    async def create(self, name: str, email: str, role: Role = Role.AGENT) -> tuple[Agent, str]:
        """A new agent and its API token (shown once; only its hash is stored)."""
        token = "sp_agent_" + secrets.token_urlsafe(32)
        agent = Agent("agent-" + secrets.token_hex(6), name, email.lower(), role)
        await self.conn.execute(
            "INSERT INTO intake.agents (agent_id, name, email, token_sha256, role) VALUES ($1, $2, $3, $4, $5)",
            agent.agent_id,
            agent.name,
            agent.email,
            hash_token(token),
            agent.role.value,
        )
        return agent, token

    async def by_token(self, token: str) -> Agent | None:
        row = await self.conn.fetchrow(
            "SELECT agent_id, name, email, role FROM intake.agents WHERE token_sha256 = $1", hash_token(token)
        )
        return _agent(row)

    async def get(self, agent_id: str) -> Agent | None:
        row = await self.conn.fetchrow(
            "SELECT agent_id, name, email, role FROM intake.agents WHERE agent_id = $1", agent_id
        )
        return _agent(row)
