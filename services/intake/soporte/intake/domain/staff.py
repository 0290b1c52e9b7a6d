"""Who works the desk and how they prove it (pure): staff accounts, sign-in, sessions and API tokens.

Intake owns who is who. People sign in with email + password into a server-side
session; integrations use API tokens. Either stands for an agent only while the
agent is enabled: disabling an agent ends every session and revokes every token
in the same transaction, and ``whoami`` (asked by projections on every console
request, never cached for staff) says 401 from the next request on. A password
reset ends the agent's sessions too.

A sign-in is decided once the failed attempts of the account and of the address
were counted (``domain.access`` budgets, spent before the password is looked at)
and the service layer has checked the password against its argon2 hash: unknown
address, wrong password and disabled account get the one same refusal.

Accounts are managed by leads (through the API) and by the operator at the
command line, who can reach the database anyway. A lead cannot disable their own
account, so a desk is never locked out by a slip.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from .roles import Role
from .tickets import DomainError, NotAllowed, UnacceptableValue

MIN_PASSWORD_LENGTH = 12


class SignInRefused(DomainError):
    """Wrong email or password, or a disabled account: one answer for all three."""


class AccountNotFound(DomainError):
    """No agent with that id or address."""


@dataclass(frozen=True)
class Account:
    """An agent's account as the desk keeps it (the password only as its hash, and not here)."""

    agent_id: str
    name: str
    email: str
    role: Role = Role.AGENT
    enabled: bool = True


@dataclass(frozen=True)
class StaffActor:
    """Who manages accounts: an agent (``role`` from their account) or the operator at the command line."""

    id: str
    role: Role | None = None  # None: the operator

    @property
    def is_operator(self) -> bool:
        return self.role is None


OPERATOR = StaffActor("operator")


@dataclass(frozen=True)
class Session:
    """A signed-in agent's session; the token itself is only handed out, never kept (its hash is)."""

    agent_id: str
    created_at: datetime
    expires_at: datetime


def require_manager(actor: StaffActor) -> None:
    """Leads and the operator manage accounts and canned replies; agents do not."""
    if not actor.is_operator and actor.role is not Role.LEAD:
        raise NotAllowed("only leads manage the desk's accounts and canned replies")


def decide_new_account(
    actor: StaffActor, agent_id: str, name: str, email: str, role: Role, *, address_taken: bool
) -> Account:
    """A new, enabled agent (the address is unique, whatever its case)."""
    require_manager(actor)
    name, email = " ".join(name.split()), email.strip().lower()
    if not name:
        raise UnacceptableValue("name", "an agent needs a name")
    if address_taken:
        raise UnacceptableValue("email", "an agent with this address exists already")
    return Account(agent_id, name, email, role)


def decide_enabled(actor: StaffActor, account: Account | None, enabled: bool) -> Account:
    """The account enabled or disabled (disabling ends its sessions and tokens: the store does both at once)."""
    require_manager(actor)
    account = _found(account)
    if not enabled and account.agent_id == actor.id:
        raise NotAllowed("a lead cannot disable their own account")
    return replace(account, enabled=enabled)


def decide_password_reset(actor: StaffActor, account: Account | None) -> Account:
    """A new password for the account (made by the desk, shown once); its sessions end."""
    require_manager(actor)
    return _found(account)


def decide_token(actor: StaffActor, account: Account | None, label: str) -> Account:
    """An API token for an integration acting as ``account`` (listed under its label, revocable)."""
    require_manager(actor)
    account = _found(account)
    if not account.enabled:
        raise UnacceptableValue("agent_id", "the agent is disabled")
    if not label.strip():
        raise UnacceptableValue("label", "name what the token is for")
    return account


def decide_token_revocation(actor: StaffActor, owner: Account | None) -> Account:
    require_manager(actor)
    return _found(owner)


def decide_sign_in(account: Account | None, password_matches: bool) -> Account:
    """The agent signing in, when the password matched an enabled account's; else ``SignInRefused``."""
    if account is None or not account.enabled or not password_matches:
        raise SignInRefused("wrong email or password")
    return account


def new_session(account: Account, now: datetime, lifetime: timedelta) -> Session:
    """A session that ends at ``now + lifetime`` (or earlier: signing out, a disable, a password reset)."""
    return Session(account.agent_id, now, now + lifetime)


def check_new_password(password: str) -> str:
    """A password an agent chose, when it is long enough to resist guessing."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UnacceptableValue("new_password", f"at least {MIN_PASSWORD_LENGTH} characters")
    return password


def _found(account: Account | None) -> Account:
    if account is None:
        raise AccountNotFound("no such agent")
    return account
