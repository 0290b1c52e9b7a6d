"""In-memory stand-ins for intake's PostgreSQL stores, for unit tests of the service layer.

Each behaves like its PostgreSQL twin as far as a caller can tell (the event
store passes the same contract suite); the unit of work rolls them back with
``snapshot``/``restore``, which is why their state is kept in dicts of
immutable values.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable
from datetime import datetime

from soporte.events import Event, files_of
from soporte.events import types as t
from soporte.intake.domain.access import AttemptKey
from soporte.intake.domain.canned import CannedReply
from soporte.intake.domain.commands import IdempotencyKey, IdempotencyKeyReused, IdempotencyKeyTaken, Outcome
from soporte.intake.domain.staff import Account, Session
from soporte.intake.domain.tickets import ConcurrencyConflict

from .agents import AccountSummary, ApiToken


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
    """Accounts with their password hashes, tokens (token id -> agent id, token, revoked) and sessions."""

    def __init__(self) -> None:
        self.accounts: dict[str, tuple[Account, str]] = {}
        self.tokens: dict[str, tuple[str, str, bool]] = {}
        self.created: dict[str, datetime] = {}  # agent id -> when; token id -> when
        self.labels: dict[str, str] = {}  # token id -> label
        self.sessions: dict[str, tuple[Session, bool]] = {}  # token -> (session, ended)

    async def get(self, who: str) -> Account | None:
        found = [a for a, _ in self.accounts.values() if who.strip() in (a.agent_id, a.email) or a.email == who.lower()]
        return found[0] if found else None

    async def with_password(self, email: str) -> tuple[Account | None, str | None]:
        account = await self.get(email.strip().lower())
        return (account, self.accounts[account.agent_id][1]) if account else (None, None)

    async def add(self, account: Account, password_hash: str, at: datetime) -> None:
        self.accounts[account.agent_id] = (account, password_hash)
        self.created[account.agent_id] = at

    async def set_enabled(self, account: Account, at: datetime) -> None:
        self.accounts[account.agent_id] = (account, self.accounts[account.agent_id][1])
        if not account.enabled:
            await self.end_sessions(account.agent_id, at)
            self.tokens.update({i: (a, tk, True) for i, (a, tk, _) in self.tokens.items() if a == account.agent_id})

    async def set_password(self, agent_id: str, password_hash: str, at: datetime) -> None:
        self.accounts[agent_id] = (self.accounts[agent_id][0], password_hash)
        await self.end_sessions(agent_id, at)

    async def add_token(self, token_id: str, agent_id: str, label: str, token: str, at: datetime) -> None:
        self.tokens[token_id] = (agent_id, token, False)
        self.created[token_id], self.labels[token_id] = at, label

    async def token_owner(self, token_id: str) -> Account | None:
        return self.accounts[self.tokens[token_id][0]][0] if token_id in self.tokens else None

    async def revoke_token(self, token_id: str, at: datetime) -> None:
        agent_id, token, _ = self.tokens[token_id]
        self.tokens[token_id] = (agent_id, token, True)

    async def by_token(self, token: str) -> Account | None:
        owners = [a for a, tk, revoked in self.tokens.values() if tk == token and not revoked]
        account = self.accounts[owners[0]][0] if owners else None
        return account if account and account.enabled else None

    async def add_session(self, token: str, session: Session) -> None:
        self.sessions[token] = (session, False)

    async def by_session(self, token: str, now: datetime) -> Account | None:
        session, ended = self.sessions.get(token, (None, True))
        account = self.accounts[session.agent_id][0] if session else None
        alive = session is not None and not ended and session.expires_at > now
        return account if alive and account.enabled else None

    async def end_session(self, token: str, at: datetime) -> None:
        if token in self.sessions:
            self.sessions[token] = (self.sessions[token][0], True)

    async def end_sessions(self, agent_id: str, at: datetime) -> None:
        self.sessions.update({tk: (s, True) for tk, (s, _) in self.sessions.items() if s.agent_id == agent_id})

    async def summaries(self) -> list[AccountSummary]:
        def last(agent_id: str) -> datetime | None:
            return max((s.created_at for s, _ in self.sessions.values() if s.agent_id == agent_id), default=None)

        def tokens(agent_id: str) -> tuple[ApiToken, ...]:
            owned = [(i, revoked) for i, (a, _, revoked) in self.tokens.items() if a == agent_id]
            at, labels = self.created, self.labels
            return tuple(ApiToken(i, agent_id, labels[i], at[i], at[i] if revoked else None) for i, revoked in owned)

        accounts = sorted((a for a, _ in self.accounts.values()), key=lambda a: (a.role != "lead", a.name.lower()))
        return [AccountSummary(a, self.created[a.agent_id], last(a.agent_id), tokens(a.agent_id)) for a in accounts]


class InMemoryCannedReplies(_Snapshots):
    def __init__(self) -> None:
        self.replies: dict[str, CannedReply] = {}

    async def get(self, reply_id: str) -> CannedReply | None:
        return self.replies.get(reply_id)

    async def find(self, language=None, name: str = "") -> list[CannedReply]:
        found = [r for r in self.replies.values() if language in (None, r.language) and name.lower() in r.name.lower()]
        return sorted(found, key=lambda r: (r.language, r.name.lower()))

    async def name_taken(self, reply: CannedReply) -> bool:
        name = " ".join(reply.name.split()).lower()
        return any(
            r.language == reply.language and r.name.lower() == name and r.reply_id != reply.reply_id
            for r in self.replies.values()
        )

    async def save(self, reply: CannedReply, by: str, at: datetime) -> None:
        self.replies[reply.reply_id] = reply

    async def delete(self, reply_id: str) -> None:
        self.replies.pop(reply_id, None)


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
