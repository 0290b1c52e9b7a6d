"""Who is asking: agents (opaque tokens, hashed in the store), customers (tokens the shop signs),
guests (a session after email + order were checked) and ticket-access tokens (for status pages).

Guest sessions are given here too, rate-limited per client and per order, with
one answer whatever part of the email + order pair is wrong: nothing to probe.
"""

from __future__ import annotations

import time
from collections import defaultdict, deque
from dataclasses import dataclass
from typing import Protocol

from aiohttp import web

from soporte.events import Actor, ActorKind
from soporte.intake.adapters.agents import Agent
from soporte.intake.adapters.tokens import DeskTokens
from soporte.intake.domain.commands import IdempotencyKey
from soporte.intake.domain.tickets import TicketAccess, TicketState
from soporte.platform.clock import Clock
from soporte.platform.http import Problem
from soporte.platform.tokens import InvalidToken, verify_token


@dataclass(frozen=True)
class Principal:
    kind: str  # agent | customer | guest | ticket
    id: str
    name: str | None = None
    email: str | None = None
    customer_id: str | None = None
    ticket_id: str | None = None
    order_number: str | None = None

    @property
    def actor(self) -> Actor:
        kind = {"agent": ActorKind.AGENT, "customer": ActorKind.CUSTOMER}.get(self.kind, ActorKind.GUEST)
        return Actor(kind=kind, id=self.id, name=self.name)

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.id}"

    @property
    def access(self) -> TicketAccess:
        """The tickets this principal may see and act on."""
        if self.kind == "agent":
            return TicketAccess(every_ticket=True)
        if self.kind == "ticket":
            return TicketAccess(ticket_id=self.ticket_id)
        return TicketAccess(customer_id=self.customer_id if self.kind == "customer" else None, email=self.email)

    def as_json(self) -> dict:
        """The ``whoami`` answer: kind, id, name and email always; the rest when the token carries them."""
        always = {"kind": self.kind, "id": self.id, "name": self.name, "email": self.email}
        optional = {"customer_id": self.customer_id, "ticket_id": self.ticket_id, "order_number": self.order_number}
        return always | {k: v for k, v in optional.items() if v is not None}

    def can_see(self, state: TicketState) -> bool:
        """Customers see their own tickets only; agents see all."""
        return self.access.allows(state)

    def idempotency_key(self, key: str | None) -> IdempotencyKey | None:
        """The ``Idempotency-Key`` a request sent, as this principal's own (None when it sent none)."""
        if not key:
            return None
        if len(key) > 200:
            raise Problem(400, "bad-request", "Idempotency-Key is too long")
        return IdempotencyKey(self.key, key)


def unauthorized() -> Problem:
    """Made afresh for each request (an exception raised again keeps every earlier traceback)."""
    return Problem(401, "unauthorized", "A valid token is needed")


class AgentsByToken(Protocol):
    async def by_token(self, token: str) -> Agent | None: ...


class Authenticator:
    def __init__(self, agents: AgentsByToken, shop_secret: str, desk_tokens: DeskTokens, now: Clock) -> None:
        self.agents, self.shop_secret, self.desk_tokens, self.now = agents, shop_secret, desk_tokens, now

    async def principal(self, request: web.Request) -> Principal | None:
        header = request.headers.get("Authorization", "")
        token = header[7:].strip() if header.lower().startswith("bearer ") else None
        return await self.from_token(token) if token else None

    async def from_token(self, token: str) -> Principal | None:
        """The principal a token stands for, or None (forged, expired, unknown)."""
        if token.startswith("sp_agent_"):
            agent = await self.agents.by_token(token)
            return Principal("agent", agent.agent_id, agent.name, agent.email) if agent else None
        try:
            claims = verify_token(token, self.shop_secret, now=self.now(), kind="customer")
            return Principal(
                "customer",
                str(claims["sub"]),
                claims.get("name"),
                str(claims.get("email", "")).lower(),
                customer_id=str(claims["sub"]),
            )
        except InvalidToken:
            pass
        claims = self.desk_tokens.claims(token) or {}
        if claims.get("kind") == "guest":
            return Principal("guest", claims["email"], None, claims["email"], order_number=claims.get("order_number"))
        if claims.get("kind") == "ticket":
            return Principal("ticket", claims["ticket_id"], None, claims.get("email"), ticket_id=claims["ticket_id"])
        return None

    async def require(self, request: web.Request, *kinds: str) -> Principal:
        principal = await self.principal(request)
        if principal is None:
            raise unauthorized()
        if kinds and principal.kind not in kinds:
            raise Problem(403, "forbidden", "Not allowed", detail=f"this needs a token of: {', '.join(kinds)}")
        return principal


class AttemptLimiter:
    """Sliding-window counts per key (client address, order number), in memory."""

    SWEEP_EVERY = 1000  # hits between sweeps of keys whose attempts have all left the window

    def __init__(self, limit: int, window_seconds: float, clock=time.monotonic) -> None:
        self.limit, self.window, self.clock = limit, window_seconds, clock
        self.attempts: dict[str, deque[float]] = defaultdict(deque)
        self.hits = 0

    def hit(self, key: str) -> bool:
        """Record an attempt; False when the key is over its limit."""
        self.hits += 1
        if self.hits % self.SWEEP_EVERY == 0:
            self._sweep()
        now, attempts = self.clock(), self.attempts[key]
        while attempts and attempts[0] <= now - self.window:
            attempts.popleft()
        if len(attempts) >= self.limit:
            return False
        attempts.append(now)
        return True

    def _sweep(self) -> None:
        """Forget keys with no attempt left in the window (memory stays bounded by recent keys)."""
        horizon = self.clock() - self.window
        for key in [k for k, attempts in self.attempts.items() if not attempts or attempts[-1] <= horizon]:
            del self.attempts[key]


class GuestSessions:
    """A guest token for an email + order pair of a known order (one 401 for any mismatch; 429 over the limits)."""

    def __init__(
        self,
        orders: GuestOrders,
        tokens: DeskTokens,
        *,
        per_client: AttemptLimiter,
        per_order: AttemptLimiter,
        retry_after_seconds: int,
    ) -> None:
        self.orders, self.tokens, self.per_client, self.per_order = orders, tokens, per_client, per_order
        self.retry_after_seconds = retry_after_seconds

    async def open(self, client: str, email: str, order_number: str) -> str:
        if not self.per_client.hit(client) or not self.per_order.hit(order_number.lower()):
            raise Problem(
                429,
                "too-many-requests",
                "Too many attempts, try again later",
                extra={"retry_after_seconds": self.retry_after_seconds},
            )
        if not await self.orders.matches(email, order_number):
            # Same answer whether the email or the order is wrong: no probing of either.
            raise Problem(
                401, "guest-verification-failed", "We could not find an order with that email and order number"
            )
        return self.tokens.for_guest(email, order_number)


class GuestOrders(Protocol):
    async def matches(self, email: str, order_number: str) -> bool: ...
