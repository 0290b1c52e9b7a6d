"""Who is asking: agents (a session opened with their password, or an integration's API token: both opaque,
hashed in the store, and standing for an enabled agent only), customers (tokens the shop signs, or an account
link the desk mailed them), guests (a session after email + order were checked) and ticket links (status pages).

Nothing here is cached: a disabled agent, an ended session or a revoked token is refused on the next request.

A ticket link issued before an agent revoked the ticket's links stands for nobody.
Guest sessions are opened by the service layer (``service_layer.access``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from aiohttp import web

from soporte.events import Actor, ActorKind
from soporte.intake.adapters.tokens import DeskTokens
from soporte.intake.domain.commands import IdempotencyKey
from soporte.intake.domain.roles import Role
from soporte.intake.domain.staff import Account, StaffActor
from soporte.intake.domain.tickets import TicketAccess, TicketState
from soporte.platform.clock import Clock
from soporte.platform.http import Problem
from soporte.platform.tokens import ACCOUNT_LINK, TICKET_LINK, InvalidToken, issued_at, verify_token


@dataclass(frozen=True)
class Principal:
    kind: str  # agent | customer | guest | ticket
    id: str
    name: str | None = None
    email: str | None = None
    customer_id: str | None = None
    ticket_id: str | None = None
    order_number: str | None = None
    role: str | None = None  # agents only: agent | lead

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

    @property
    def staff(self) -> StaffActor:
        """This agent as a manager of the desk's accounts and canned replies (what their role allows)."""
        return StaffActor(self.id, Role(self.role or Role.AGENT))

    def as_json(self) -> dict:
        """The ``whoami`` answer: kind, id, name and email always; the rest when the token carries them."""
        always = {"kind": self.kind, "id": self.id, "name": self.name, "email": self.email}
        optional = {
            "customer_id": self.customer_id,
            "ticket_id": self.ticket_id,
            "order_number": self.order_number,
            "role": self.role,
        }
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


def _text(claims: dict, name: str, *, optional: bool = False, number: bool = False) -> str | None:
    """A claim that must be text (at most 320 characters, no control character); None when it is not.
    ``optional``: a missing claim is "" (a genuine token that carries none), not None; ``number``: an integer
    counts as its digits (a shop may number its customers)."""
    value = claims.get(name)
    if value is None and optional:
        return ""
    if number and isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value or len(value) > 320 or any(ord(c) < 32 for c in value):
        return None
    return value


def unauthorized() -> Problem:
    """Made afresh for each request (an exception raised again keeps every earlier traceback)."""
    return Problem(401, "unauthorized", "A valid token is needed")


class Staff(Protocol):
    async def by_token(self, token: str) -> Account | None: ...

    async def by_session(self, token: str, now: datetime) -> Account | None: ...


SESSION_PREFIX, API_TOKEN_PREFIX = "sp_session_", "sp_agent_"


def bearer_token(request: web.Request) -> str | None:
    header = request.headers.get("Authorization", "")
    return header[7:].strip() or None if header.lower().startswith("bearer ") else None


class Authenticator:
    def __init__(
        self,
        agents: Staff,
        shop_secret: str,
        desk_tokens: DeskTokens,
        now: Clock,
        links_revoked_at: Callable[[str], Awaitable[datetime | None]],
    ) -> None:
        self.agents, self.shop_secret, self.desk_tokens, self.now = agents, shop_secret, desk_tokens, now
        self.links_revoked_at = links_revoked_at

    async def principal(self, request: web.Request) -> Principal | None:
        token = bearer_token(request)
        return await self.from_token(token) if token else None

    async def from_token(self, token: str) -> Principal | None:
        """The principal a token stands for, or None (forged, expired, unknown, or missing what its kind needs)."""
        if token.startswith((SESSION_PREFIX, API_TOKEN_PREFIX)):
            if token.startswith(SESSION_PREFIX):
                agent = await self.agents.by_session(token, self.now())
            else:
                agent = await self.agents.by_token(token)
            return Principal("agent", agent.agent_id, agent.name, agent.email, role=agent.role.value) if agent else None
        try:
            claims = verify_token(token, self.shop_secret, now=self.now(), kind="customer")
        except InvalidToken:
            claims = None
        if claims is not None:
            customer, email = _text(claims, "sub", number=True), _text(claims, "email", optional=True)
            if customer is None or email is None:
                return None
            return Principal(
                "customer", customer, _text(claims, "name", optional=True) or None, email.lower(), customer_id=customer
            )
        return await self._desk_principal(self.desk_tokens.claims(token) or {})

    async def _desk_principal(self, claims: dict) -> Principal | None:
        """What a token the desk signed stands for: a guest session, a link to a ticket or to an account."""
        kind, email = claims.get("kind"), _text(claims, "email")
        if kind == "guest":
            order_number = _text(claims, "order_number")
            if email is None or order_number is None:
                return None
            return Principal("guest", email, None, email, order_number=order_number)
        if kind == TICKET_LINK:
            ticket_id = _text(claims, "ticket_id")
            if ticket_id is None or email is None or await self._revoked(ticket_id, claims):
                return None
            return Principal("ticket", ticket_id, None, email, ticket_id=ticket_id)
        if kind == ACCOUNT_LINK:
            # A link to a shop customer's tickets, mailed to the account's address: as good as the shop's token.
            account = _text(claims, "customer_id")
            if account is None or email is None:
                return None
            return Principal("customer", account, None, email, customer_id=account)
        return None

    async def _revoked(self, ticket_id: str, claims: dict) -> bool:
        """Whether an agent revoked the ticket's links after this one was issued (one that does not say: yes)."""
        revoked = await self.links_revoked_at(ticket_id)
        issued = issued_at(claims)
        return revoked is not None and (issued is None or issued < revoked)

    async def require(self, request: web.Request, *kinds: str) -> Principal:
        principal = await self.principal(request)
        if principal is None:
            raise unauthorized()
        if kinds and principal.kind not in kinds:
            raise Problem(403, "forbidden", "Not allowed", detail=f"this needs a token of: {', '.join(kinds)}")
        return principal
