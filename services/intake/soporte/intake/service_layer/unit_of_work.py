"""The unit of work: what one command reads and writes, committed together or not at all.

Inside ``async with uow:`` the handlers see the event store, the idempotency
records (``outcomes``), the orders, the staff (``agents``), the canned replies and
the attempts the limits count,
all on one transaction. New
events, their outbox rows and the outcome stored under an idempotency key are
committed by ``commit()`` as one; leaving the block without it (a refusal, a
conflict, a crash) rolls everything back. A unit of work can be entered again
for a new transaction (a handler reads the stored outcome after a conflict).

Two implementations: PostgreSQL for the service, and an in-memory one over the
stand-ins in ``adapters.memory`` for fast tests of the service layer.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

import asyncpg

from soporte.events import Event, Language
from soporte.intake.adapters.agents import AccountSummary, PostgresAgents
from soporte.intake.adapters.attempts import PostgresAttempts
from soporte.intake.adapters.canned import PostgresCannedReplies
from soporte.intake.adapters.event_store import PostgresEventStore, PostgresOutcomes
from soporte.intake.adapters.memory import (
    InMemoryAgents,
    InMemoryAttempts,
    InMemoryCannedReplies,
    InMemoryEventStore,
    InMemoryOrders,
    InMemoryOutcomes,
)
from soporte.intake.adapters.orders import PostgresOrders
from soporte.intake.domain.access import AttemptKey
from soporte.intake.domain.canned import CannedReply
from soporte.intake.domain.commands import IdempotencyKey, Outcome
from soporte.intake.domain.staff import Account, Session

# --- the ports the handlers use ------------------------------------------------------------


class EventStore(Protocol):
    async def load(self, ticket_id: str) -> list[Event]:
        """The ticket's events in version order (empty for an unknown ticket)."""
        ...

    async def append(self, ticket_id: str, expected_version: int, events: list[Event]) -> None:
        """Append after ``expected_version`` and queue for publication; else ``ConcurrencyConflict``."""
        ...

    async def publish(self, key: str, event: Event) -> None:
        """Queue an event that belongs to no ticket's stream for publication, keyed by ``key``."""
        ...

    async def references_file(self, sha256: str) -> bool:
        """Whether a stored event refers to the file."""
        ...

    async def unpublished_since(self) -> datetime | None:
        """When the oldest ticket event not yet on Kafka occurred; None when every one is published."""
        ...


class Outcomes(Protocol):
    async def get(self, key: IdempotencyKey) -> Outcome | None:
        """The stored outcome; ``IdempotencyKeyReused`` when the key was stored for another request (both
        digests known and different)."""
        ...

    async def add(self, key: IdempotencyKey, outcome: Outcome) -> None:
        """Store once; a key stored already is ``IdempotencyKeyTaken``."""
        ...


class Orders(Protocol):
    async def customer_of(self, order_number: str, email: str) -> str | None: ...

    async def belongs_to(self, order_number: str, customer_id: str) -> bool: ...

    async def matches(self, email: str, order_number: str) -> bool: ...

    async def shipping_address(self, order_number: str) -> tuple[str, ...]: ...


class Agents(Protocol):
    """The desk's staff: accounts, API tokens, sessions (``adapters.agents``)."""

    async def get(self, who: str) -> Account | None:
        """By id or address."""
        ...

    async def with_password(self, email: str) -> tuple[Account | None, str | None]: ...

    async def add(self, account: Account, password_hash: str, at: datetime) -> None: ...

    async def set_enabled(self, account: Account, at: datetime) -> None:
        """Disabling ends the agent's sessions and revokes their tokens, in this transaction."""
        ...

    async def set_password(self, agent_id: str, password_hash: str, at: datetime) -> None: ...

    async def add_token(self, token_id: str, agent_id: str, label: str, token: str, at: datetime) -> None: ...

    async def token_owner(self, token_id: str) -> Account | None: ...

    async def revoke_token(self, token_id: str, at: datetime) -> None: ...

    async def add_session(self, token: str, session: Session) -> None: ...

    async def end_session(self, token: str, at: datetime) -> None: ...

    async def summaries(self) -> list[AccountSummary]:
        """Every account, leads first, with its last sign-in and its tokens."""
        ...


class CannedReplies(Protocol):
    async def get(self, reply_id: str) -> CannedReply | None: ...

    async def find(self, language: Language | None = None, name: str = "") -> list[CannedReply]: ...

    async def name_taken(self, reply: CannedReply) -> bool: ...

    async def save(self, reply: CannedReply, by: str, at: datetime) -> None: ...

    async def delete(self, reply_id: str) -> None: ...


class Attempts(Protocol):
    async def since(self, keys: Iterable[AttemptKey], since: datetime) -> dict[AttemptKey, list[datetime]]:
        """Each key's attempts after ``since``; the keys stay locked until the unit of work ends."""
        ...

    async def add(self, keys: Iterable[AttemptKey], at: datetime) -> None: ...


class UnitOfWork(Protocol):
    events: EventStore
    outcomes: Outcomes
    orders: Orders
    agents: Agents
    canned: CannedReplies
    attempts: Attempts

    async def __aenter__(self) -> UnitOfWork: ...

    async def __aexit__(self, *exc: object) -> None: ...

    async def commit(self) -> None: ...


# --- PostgreSQL -------------------------------------------------------------------------------


class PostgresUnitOfWork:
    """One pooled connection and one transaction per ``async with``."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def __aenter__(self) -> PostgresUnitOfWork:
        self.conn = await self.pool.acquire()
        try:
            self.transaction = self.conn.transaction()
            await self.transaction.start()
        except BaseException:
            await self.pool.release(self.conn)
            raise
        self.committed = False
        self.events = PostgresEventStore(self.conn)
        self.outcomes = PostgresOutcomes(self.conn)
        self.orders = PostgresOrders(self.conn)
        self.agents = PostgresAgents(self.conn)
        self.canned = PostgresCannedReplies(self.conn)
        self.attempts = PostgresAttempts(self.conn)
        return self

    async def commit(self) -> None:
        await self.transaction.commit()
        self.committed = True

    async def __aexit__(self, *exc: object) -> None:
        try:
            if not self.committed:
                await self.transaction.rollback()
        finally:
            await self.pool.release(self.conn)


# --- in memory ---------------------------------------------------------------------------------


@dataclass
class InMemoryStorage:
    """What an in-memory unit of work reads and writes; share one between units of work as a database."""

    events: InMemoryEventStore = field(default_factory=InMemoryEventStore)
    outcomes: InMemoryOutcomes = field(default_factory=InMemoryOutcomes)
    orders: InMemoryOrders = field(default_factory=InMemoryOrders)
    agents: InMemoryAgents = field(default_factory=InMemoryAgents)
    canned: InMemoryCannedReplies = field(default_factory=InMemoryCannedReplies)
    attempts: InMemoryAttempts = field(default_factory=InMemoryAttempts)

    def stores(self) -> tuple[Any, ...]:
        return (self.events, self.outcomes, self.orders, self.agents, self.canned, self.attempts)


class InMemoryUnitOfWork:
    """The stores of ``storage``, rolled back to how they were on entry unless committed.

    Its stores never wait on anything, so on one event loop a command's reads and
    writes run without another command's in between: no locks are needed.
    """

    def __init__(self, storage: InMemoryStorage | None = None) -> None:
        self.storage = storage or InMemoryStorage()
        self.events, self.outcomes = self.storage.events, self.storage.outcomes
        self.orders, self.agents, self.attempts = self.storage.orders, self.storage.agents, self.storage.attempts
        self.canned = self.storage.canned
        self.commits = 0

    async def __aenter__(self) -> InMemoryUnitOfWork:
        self._before = [store.snapshot() for store in self.storage.stores()]
        self._committed = False
        return self

    async def commit(self) -> None:
        self._committed = True
        self.commits += 1

    async def __aexit__(self, *exc: object) -> None:
        if not self._committed:
            for store, snapshot in zip(self.storage.stores(), self._before, strict=True):
                store.restore(snapshot)
