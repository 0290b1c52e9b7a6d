"""The service layer of staff accounts: ``handler(command, uow)`` for each staff command (``STAFF_HANDLERS``).

Each handler reads the account in the unit of work, lets the pure decision in
``domain.staff`` decide, and writes in one commit: a disable ends the sessions
and revokes the tokens with it, a password reset ends the sessions with it.
Passwords are hashed and checked by the ``passwords`` port (argon2) outside of
any decision. A sign-in spends from the account's and the address's budgets
first (only failures are counted), so a guesser is throttled before a password
is ever checked, and the right password of a throttled account gets the same 429.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

from soporte.intake.adapters.passwords import Passwords, new_password
from soporte.intake.domain import staff
from soporte.intake.domain import staff_commands as sc
from soporte.intake.domain.access import AccessLimits
from soporte.platform.clock import Clock

from .access import within_budgets
from .unit_of_work import UnitOfWork


async def create_agent(cmd: sc.CreateAgent, uow: UnitOfWork, *, now: Clock, passwords: Passwords):
    password = new_password()
    hashed = await passwords.hash(password)
    async with uow:
        taken = await uow.agents.get(cmd.email) is not None
        agent_id = "agent-" + secrets.token_hex(6)
        account = staff.decide_new_account(cmd.actor, agent_id, cmd.name, cmd.email, cmd.role, address_taken=taken)
        await uow.agents.add(account, hashed, now())
        await uow.commit()
    return sc.AgentWithPassword(account, password)


async def set_agent_enabled(cmd: sc.SetAgentEnabled, uow: UnitOfWork, *, now: Clock) -> staff.Account:
    async with uow:
        account = staff.decide_enabled(cmd.actor, await uow.agents.get(cmd.who), cmd.enabled)
        await uow.agents.set_enabled(account, now())
        await uow.commit()
    return account


async def reset_password(cmd: sc.ResetPassword, uow: UnitOfWork, *, now: Clock, passwords: Passwords):
    password = new_password()
    hashed = await passwords.hash(password)
    async with uow:
        account = staff.decide_password_reset(cmd.actor, await uow.agents.get(cmd.who))
        await uow.agents.set_password(account.agent_id, hashed, now())
        await uow.commit()
    return sc.AgentWithPassword(account, password)


async def change_own_password(cmd: sc.ChangeOwnPassword, uow: UnitOfWork, *, now: Clock, passwords: Passwords):
    new = staff.check_new_password(cmd.new_password)
    async with uow:
        account = await uow.agents.get(cmd.agent_id)
        current = (await uow.agents.with_password(account.email))[1] if account else None
    staff.decide_sign_in(account, await passwords.verify(current, cmd.current_password))
    hashed = await passwords.hash(new)
    async with uow:
        await uow.agents.set_password(cmd.agent_id, hashed, now())
        await uow.commit()
    return account


async def issue_api_token(cmd: sc.IssueApiToken, uow: UnitOfWork, *, now: Clock) -> sc.ApiTokenIssued:
    token, token_id = "sp_agent_" + secrets.token_urlsafe(32), "tok-" + secrets.token_hex(6)
    async with uow:
        account = staff.decide_token(cmd.actor, await uow.agents.get(cmd.who), cmd.label)
        await uow.agents.add_token(token_id, account.agent_id, cmd.label, token, now())
        await uow.commit()
    return sc.ApiTokenIssued(account, token_id, token)


async def revoke_api_token(cmd: sc.RevokeApiToken, uow: UnitOfWork, *, now: Clock) -> staff.Account:
    async with uow:
        owner = staff.decide_token_revocation(cmd.actor, await uow.agents.token_owner(cmd.token_id))
        await uow.agents.revoke_token(cmd.token_id, now())
        await uow.commit()
    return owner


async def sign_in(
    cmd: sc.SignIn,
    uow: UnitOfWork,
    *,
    now: Clock,
    passwords: Passwords,
    limits: AccessLimits,
    session_lifetime: timedelta,
) -> sc.SignedIn:
    at = now()
    budgets = {limits.sign_in_per_account: cmd.email, limits.sign_in_per_client: cmd.client}
    async with uow:
        keys = await within_budgets(uow, budgets, at)
        account, hashed = await uow.agents.with_password(cmd.email)
        matches = await passwords.verify(hashed, cmd.password)
        try:
            account = staff.decide_sign_in(account, matches)
        except staff.SignInRefused:
            await uow.attempts.add(keys, at)
            await uow.commit()
            raise
        token = "sp_session_" + secrets.token_urlsafe(32)
        session = staff.new_session(account, at, session_lifetime)
        await uow.agents.add_session(token, session)
        await uow.commit()
    return sc.SignedIn(account, token, session.expires_at)


async def sign_out(cmd: sc.SignOut, uow: UnitOfWork, *, now: Clock) -> None:
    async with uow:
        await uow.agents.end_session(cmd.session_token, now())
        await uow.commit()


STAFF_HANDLERS: dict[type, Any] = {
    sc.CreateAgent: create_agent,
    sc.SetAgentEnabled: set_agent_enabled,
    sc.ResetPassword: reset_password,
    sc.ChangeOwnPassword: change_own_password,
    sc.IssueApiToken: issue_api_token,
    sc.RevokeApiToken: revoke_api_token,
    sc.SignIn: sign_in,
    sc.SignOut: sign_out,
}
