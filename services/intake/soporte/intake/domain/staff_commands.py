"""Commands about the desk's staff and their canned replies, and what they answer (the CLI and the API send the same
ones).

``who`` names an agent by id or by address. Outcomes that carry a password or a
token carry it once: nothing stores it, and the edge shows it to the one who asked.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from soporte.events import Language

from .canned import BundledAction
from .roles import Role
from .staff import Account, StaffActor


@dataclass(frozen=True, kw_only=True)
class StaffCommand:
    """A command only those who manage the desk send (leads, or the operator at the command line)."""

    actor: StaffActor


@dataclass(frozen=True, kw_only=True)
class OnAgent(StaffCommand):
    """A command about one agent, named by id or address (``who``)."""

    who: str


@dataclass(frozen=True, kw_only=True)
class CreateAgent(StaffCommand):
    """Add an agent (or a lead); the desk makes their first password."""

    name: str
    email: str
    role: Role = Role.AGENT


@dataclass(frozen=True, kw_only=True)
class SetAgentEnabled(OnAgent):
    """Disable an agent (their sessions end and their API tokens stop at once) or enable them again."""

    enabled: bool


@dataclass(frozen=True, kw_only=True)
class ResetPassword(OnAgent):
    """Give an agent a new password made by the desk; their sessions end."""


@dataclass(frozen=True, kw_only=True)
class IssueApiToken(OnAgent):
    """An API token for an integration acting as the agent ``who``, listed under ``label``."""

    label: str


@dataclass(frozen=True, kw_only=True)
class RevokeApiToken(StaffCommand):
    token_id: str


@dataclass(frozen=True, kw_only=True)
class ChangeOwnPassword:
    """An agent replaces their own password, proving the current one; their other sessions end."""

    agent_id: str
    current_password: str
    new_password: str


@dataclass(frozen=True, kw_only=True)
class SignIn:
    """Email and password for a session; ``client`` is the asker's address (failures are counted per address)."""

    email: str
    password: str
    client: str


@dataclass(frozen=True, kw_only=True)
class SignOut:
    session_token: str


@dataclass(frozen=True)
class AgentWithPassword:
    """An account and the password the desk just made for it (shown once)."""

    account: Account
    password: str


@dataclass(frozen=True)
class ApiTokenIssued:
    account: Account
    token_id: str
    token: str  # shown once


@dataclass(frozen=True)
class SignedIn:
    account: Account
    session_token: str  # the browser keeps it in an HttpOnly cookie; only its hash is stored
    expires_at: datetime


@dataclass(frozen=True, kw_only=True)
class SaveCannedReply(StaffCommand):
    """Add a canned reply (``reply_id`` None) or change one."""

    reply_id: str | None
    name: str
    language: Language
    body: str
    action: BundledAction | None = None
    carrier: str | None = None


@dataclass(frozen=True, kw_only=True)
class RemoveCannedReply(StaffCommand):
    reply_id: str
