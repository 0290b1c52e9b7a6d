"""The service layer of access without an account: guest sessions and requests for links.

Each request counts against its budgets (``domain.access``) in the unit of
work, which locks the keys it counts, so two intake processes spend one budget.
A guest's wrong email + order pair is counted (per email, order and client); a
right one costs nothing. A request for links is always counted and always
answered the same; when there is something to mail, an ``AccessLinkRequested``
is queued in the outbox in the same commit (keyed by the address), and the
notifier mails the links.
"""

from __future__ import annotations

from datetime import datetime

from soporte.events import Actor, ActorKind
from soporte.events import types as t
from soporte.intake.adapters.tokens import DeskTokens
from soporte.intake.domain import commands as c
from soporte.intake.domain.access import (
    AccessLimits,
    AttemptKey,
    Budget,
    GuestNotVerified,
    check_budgets,
    decide_access_link,
)
from soporte.intake.domain.tickets import rebuild
from soporte.platform.clock import Clock

from .unit_of_work import UnitOfWork

ANYONE = Actor(kind=ActorKind.GUEST, id="anyone")  # who asks for links is not known (nor recorded)


async def within_budgets(uow: UnitOfWork, budgets: dict[Budget, str], at: datetime) -> list[AttemptKey]:
    """The keys ``budgets`` count for these values, once none of them is spent (else ``Throttled``)."""
    keys = {budget: budget.key(value) for budget, value in budgets.items()}
    window = max(budget.window for budget in budgets)
    seen = await uow.attempts.since(keys.values(), at - window)
    check_budgets({budget: seen.get(key, []) for budget, key in keys.items()}, at)
    return list(keys.values())


async def open_guest_session(
    cmd: c.OpenGuestSession, uow: UnitOfWork, *, now: Clock, tokens: DeskTokens, limits: AccessLimits
) -> c.GuestSessionOpened:
    """A guest token for a known order's email + number; ``GuestNotVerified`` (counted) for anything else."""
    at = now()
    budgets = {
        limits.guest_per_email: cmd.email,
        limits.guest_per_order: cmd.order_number,
        limits.guest_per_client: cmd.client,
    }
    async with uow:
        keys = await within_budgets(uow, budgets, at)
        if await uow.orders.matches(cmd.email, cmd.order_number):
            return c.GuestSessionOpened(tokens.for_guest(cmd.email, cmd.order_number.strip()), cmd.order_number.strip())
        await uow.attempts.add(keys, at)
        await uow.commit()
    raise GuestNotVerified(cmd.order_number)


async def request_access_link(
    cmd: c.RequestAccessLink, uow: UnitOfWork, *, now: Clock, limits: AccessLimits
) -> c.AccessLinkRequestTaken:
    """Links to an address's tickets, or a fresh link to one ticket's own address: queued when there is
    anything to mail, and answered the same either way."""
    at = now()
    asked = {limits.links_per_ticket: cmd.ticket_id} if cmd.ticket_id else {limits.links_per_email: cmd.email or ""}
    async with uow:
        keys = await within_budgets(uow, {**asked, limits.links_per_client: cmd.client}, at)
        await uow.attempts.add(keys, at)
        state = rebuild(cmd.ticket_id, await uow.events.load(cmd.ticket_id)) if cmd.ticket_id else None
        data = decide_access_link(state, email=cmd.email, language=cmd.language)
        if data is not None:
            event = t.AccessLinkRequested.create(data=data, actor=ANYONE, occurred_at=at)
            await uow.events.publish(str(data.email).lower(), event)
        await uow.commit()
    return c.AccessLinkRequestTaken()
