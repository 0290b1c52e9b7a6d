"""``soporte agents create|list|disable|enable|reset-password|add-token|revoke-token``: the desk's staff accounts.

The operator sends the same staff commands a lead sends through the API
(``domain.staff_commands``), as ``OPERATOR``: whoever runs this reaches the
database anyway. Passwords and tokens the desk makes are printed once; only
their hashes are stored. An agent is named by id or by address.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import sys
from functools import partial

import asyncpg

from soporte.platform.migrations import migrate

from .adapters.agents import AccountSummary
from .bootstrap import MIGRATIONS, staff_bus
from .domain import staff_commands as sc
from .domain.roles import Role
from .domain.staff import OPERATOR, AccountNotFound
from .domain.tickets import DomainError, UnacceptableValue
from .service_layer import views
from .service_layer.unit_of_work import PostgresUnitOfWork
from .settings import IntakeSettings

PLAIN_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")  # agents' addresses may be on internal domains
SHOWN_ONCE = "Shown once; only its hash is stored."


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="soporte agents", description="the desk's staff accounts")
    actions = parser.add_subparsers(dest="action", required=True)
    create = actions.add_parser("create", help="add an agent; prints their first password (once)")
    create.add_argument("name")
    create.add_argument("--email", required=True)
    create.add_argument(
        "--role",
        choices=[r.value for r in Role],
        default=Role.AGENT.value,
        help="a lead also manages agents and canned replies and reads the dashboard and reports",
    )
    create.add_argument("--api-token", metavar="LABEL", help="also an API token for an integration, so labelled")
    actions.add_parser("list", help="every agent: role, enabled or not, last sign-in, API tokens")
    for name, about in (
        ("disable", "end the agent's sessions and API tokens at once; they can no longer sign in"),
        ("enable", "let a disabled agent sign in again (their old tokens stay revoked)"),
        ("reset-password", "a new password made by the desk, printed once; the agent's sessions end"),
    ):
        actions.add_parser(name, help=about).add_argument("agent", help="the agent's id or address")
    token = actions.add_parser("add-token", help="an API token for an integration acting as the agent (once)")
    token.add_argument("agent", help="the agent's id or address")
    token.add_argument("--label", required=True, help="what the token is for")
    actions.add_parser("revoke-token", help="revoke an API token (see `list`)").add_argument("token_id")
    return parser


def _command(args: argparse.Namespace):
    match args.action:
        case "create":
            return sc.CreateAgent(actor=OPERATOR, name=args.name, email=args.email, role=Role(args.role))
        case "disable" | "enable":
            return sc.SetAgentEnabled(actor=OPERATOR, who=args.agent, enabled=args.action == "enable")
        case "reset-password":
            return sc.ResetPassword(actor=OPERATOR, who=args.agent)
        case "add-token":
            return sc.IssueApiToken(actor=OPERATOR, who=args.agent, label=args.label)
        case "revoke-token":
            return sc.RevokeApiToken(actor=OPERATOR, token_id=args.token_id)
    return None


async def _run(settings: IntakeSettings, args: argparse.Namespace) -> list[str]:
    """The lines to print for the action."""
    await migrate(settings.database_url, "intake", MIGRATIONS)
    pool = await asyncpg.create_pool(settings.database_url, min_size=1, max_size=2)
    try:
        new_uow = partial(PostgresUnitOfWork, pool)
        if args.action == "list":
            return [line for summary in await views.accounts(new_uow(), OPERATOR) for line in _listed(summary)]
        bus = staff_bus(new_uow)
        outcome = await bus.handle(_command(args))
        if args.action == "create" and args.api_token:
            issued = await bus.handle(
                sc.IssueApiToken(actor=OPERATOR, who=outcome.account.agent_id, label=args.api_token)
            )
            return [*_said(outcome), f"token {issued.token}"]
        return _said(outcome)
    finally:
        await pool.close()


def _said(outcome) -> list[str]:
    match outcome:
        case sc.AgentWithPassword(account=a, password=password):
            return [f"agent {a.agent_id} ({a.name} <{a.email}>, {a.role.value})", f"password {password}"]
        case sc.ApiTokenIssued(account=a, token_id=token_id, token=token):
            return [f"token {token} ({token_id}, acting as {a.email})"]
        case None:
            return ["done"]
    a = outcome  # an account after a change
    return [f"agent {a.agent_id} ({a.name} <{a.email}>, {a.role.value}): {'enabled' if a.enabled else 'disabled'}"]


def _listed(summary: AccountSummary) -> list[str]:
    a, last = summary.account, summary.last_signed_in_at
    state = "enabled" if a.enabled else "disabled"
    seen = f"last sign-in {last.isoformat(timespec='minutes')}" if last else "never signed in"
    lines = [f"{a.agent_id}  {a.name} <{a.email}>  {a.role.value}  {state}  {seen}"]
    for token in summary.tokens:
        lines.append(f"    token {token.token_id}  {token.label}" + ("  (revoked)" if token.revoked_at else ""))
    return lines


def agents(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    if args.action == "create" and not PLAIN_EMAIL.fullmatch(args.email):
        print(f"soporte agents: {args.email!r} is not an email address", file=sys.stderr)
        return 2
    try:
        lines = asyncio.run(_run(IntakeSettings.from_env(), args))
    except AccountNotFound:
        print(f"soporte agents: no agent {getattr(args, 'agent', None) or args.token_id!r}", file=sys.stderr)
        return 1
    except UnacceptableValue as refused:
        print(f"soporte agents: {refused.field}: {refused}", file=sys.stderr)
        return 1
    except DomainError as refused:
        print(f"soporte agents: {refused}", file=sys.stderr)
        return 1
    print("\n".join(lines))
    if any(line.startswith(("password ", "token ")) for line in lines):
        print(SHOWN_ONCE, file=sys.stderr)
    return 0
