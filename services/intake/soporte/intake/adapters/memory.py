"""In-memory stand-ins for intake's PostgreSQL stores, for unit tests of the service layer.

Each behaves like its PostgreSQL twin as far as a caller can tell (the event
store passes the same contract suite); the unit of work rolls them back with
``snapshot``/``restore``, which is why their state is kept in dicts of
immutable values.
"""

from __future__ import annotations

import hashlib
import secrets
from collections import Counter
from collections.abc import Iterable
from datetime import datetime

from soporte.events import Event, files_of
from soporte.events import types as t
from soporte.intake.domain.access import AttemptKey
from soporte.intake.domain.commands import IdempotencyKey, IdempotencyKeyReused, IdempotencyKeyTaken, Outcome
from soporte.intake.domain.roles import Role
from soporte.intake.domain.tickets import ConcurrencyConflict

from .agents import Agent


class _Snapshots:
    def snapshot(self) -> dict[str, dict]:
        return {name: dict(value) for name, value in vars(self).items()}

    def restore(self, snapshot: dict[str, dict]) -> None:
        for name, saved in snapshot.items():
            current = getattr(self, name)
            current.clear()
            current.update(saved)


class InMemoryEventStore(_Snapshots):
    def __init__(self) -> None:
        self.streams: dict[str, tuple[Event, ...]] = {}
        self.outbox: dict[int, Event] = {}  # what the relay would publish, by outbox id

    async def load(self, ticket_id: str) -> list[Event]:
        return list(self.streams.get(ticket_id, ()))

    async def append(self, ticket_id: str, expected_version: int, events: list[Event]) -> None:
        current = len(self.streams.get(ticket_id, ()))
        if current != expected_version:
            raise ConcurrencyConflict(ticket_id, expected_version, current)
        self.streams[ticket_id] = self.streams.get(ticket_id, ()) + tuple(events)
        for event in events:
            self.outbox[len(self.outbox) + 1] = event

    async def publish(self, key: str, event: Event) -> None:
        self.outbox[len(self.outbox) + 1] = event

    async def unpublished_since(self) -> datetime | None:
        return None  # no relay here: the outbox is what tests read, nothing waits for Kafka

    async def references_file(self, sha256: str) -> bool:
        return any(a.sha256 == sha256 for stream in self.streams.values() for event in stream for a in files_of(event))


class InMemoryOutcomes(_Snapshots):
    def __init__(self) -> None:
        self.outcomes: dict[IdempotencyKey, tuple[Outcome, str | None]] = {}

    async def get(self, key: IdempotencyKey) -> Outcome | None:
        if key not in self.outcomes:
            return None
        outcome, request = self.outcomes[key]
        if None not in (request, key.request) and request != key.request:
            raise IdempotencyKeyReused(key.key)
        return outcome

    async def add(self, key: IdempotencyKey, outcome: Outcome) -> None:
        if key in self.outcomes:
            raise IdempotencyKeyTaken(key.key)
        self.outcomes[key] = (outcome, key.request)


class InMemoryOrders(_Snapshots):
    def __init__(self) -> None:
        self.orders: dict[str, t.OrderPlacedData] = {}

    async def upsert(self, order: t.OrderPlacedData) -> None:
        self.orders[order.order_number] = order.model_copy(update={"email": str(order.email).lower()})

    async def matches(self, email: str, order_number: str) -> bool:
        order = self.orders.get(order_number.strip())
        return order is not None and str(order.email) == email.strip().lower()

    async def customer_of(self, order_number: str, email: str) -> str | None:
        return self.orders[order_number.strip()].customer_id if await self.matches(email, order_number) else None

    async def belongs_to(self, order_number: str, customer_id: str) -> bool:
        order = self.orders.get(order_number)
        return order is not None and order.customer_id == customer_id

    async def shipping_address(self, order_number: str) -> tuple[str, ...]:
        order = self.orders.get(order_number)
        return tuple(order.shipping_address or ()) if order else ()


class InMemoryAttempts(_Snapshots):
    def __init__(self) -> None:
        self.attempts: dict[AttemptKey, tuple[datetime, ...]] = {}

    async def since(self, keys: Iterable[AttemptKey], since: datetime) -> dict[AttemptKey, list[datetime]]:
        return {key: [at for at in self.attempts.get(key, ()) if at > since] for key in keys}

    async def add(self, keys: Iterable[AttemptKey], at: datetime) -> None:
        for key in keys:
            self.attempts[key] = (*self.attempts.get(key, ()), at)


class InMemoryAgents(_Snapshots):
    def __init__(self) -> None:
        self.agents: dict[str, Agent] = {}

    async def create(self, name: str, email: str, role: Role = Role.AGENT) -> tuple[Agent, str]:
        agent = Agent("agent-" + secrets.token_hex(6), name, email.lower(), role)
        self.agents[agent.agent_id] = agent
        return agent, "sp_agent_" + secrets.token_urlsafe(32)  # a token nobody checks: no login in memory

    async def get(self, agent_id: str) -> Agent | None:
        return self.agents.get(agent_id)


class InMemoryFiles:
    """The file store's part the service layer uses (files the desk makes: return labels), in a dict."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.holds: Counter[str] = Counter()

    def put(self, data: bytes) -> tuple[str, bool]:
        sha = hashlib.sha256(data).hexdigest()
        created = sha not in self.files
        self.files[sha] = data
        self.holds[sha] += 1
        return sha, created

    def let_go(self, sha256: str) -> None:
        self.holds[sha256] -= 1

    async def drop(self, sha256: str) -> None:
        if self.holds[sha256] <= 0:
            self.files.pop(sha256, None)
