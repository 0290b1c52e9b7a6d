"""What every command handler on a ticket shares: idempotency, reading the ticket, recording the decided events.

``idempotent`` answers a command sent again with the same key with the stored
outcome, also when the two raced (the loser's transaction conflicts and is rolled
back, then it reads what the winner stored). ``ticket_of`` rebuilds the ticket
from its own events for someone who may reach it, at the version they read;
``record`` turns a decision into the ticket's next events and commits them with
their outbox rows and the outcome under the command's key, in one transaction.
"""

from __future__ import annotations

import functools
import secrets
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from soporte.events import Event
from soporte.events import types as t
from soporte.intake.adapters.files import FileStore
from soporte.intake.domain import commands as c
from soporte.intake.domain import return_labels, tickets
from soporte.intake.domain.tickets import ConcurrencyConflict, Decision, TicketState
from soporte.platform.clock import Clock

from .unit_of_work import UnitOfWork


def idempotent(handler: Callable[..., Awaitable[c.Outcome]]) -> Callable[..., Awaitable[c.Outcome]]:
    """Answer a command whose idempotency key has an outcome stored with that outcome, before and after a race."""

    @functools.wraps(handler)
    async def run(command: c.Command, uow: UnitOfWork, **dependencies: Any) -> c.Outcome:
        key = command.idempotency_key
        if key and (stored := await _stored_outcome(uow, key)):
            return stored
        try:
            return await handler(command, uow, **dependencies)
        except (ConcurrencyConflict, c.IdempotencyKeyTaken):
            if key and (stored := await _stored_outcome(uow, key)):
                return stored  # the same key raced us: answer what the first request got
            raise

    return run


async def _stored_outcome(uow: UnitOfWork, key: c.IdempotencyKey) -> c.Outcome | None:
    async with uow:
        return await uow.outcomes.get(key)


def reference(prefix: str, random_bytes: int) -> str:
    """A reference the desk gives a label, a claim or a parcel (``RL-3F2A9C1B``)."""
    return prefix + secrets.token_hex(random_bytes).upper()


@dataclass(frozen=True)
class ReturnLabelDesk:
    """What a return label needs beyond the ticket: the carriers offered, the shop's address, where files go."""

    carriers: tuple[str, ...]
    return_address: tuple[str, ...]
    files: FileStore


async def printed_label(
    uow: UnitOfWork, state: TicketState, carrier: str, tracking_number: str | None, labels: ReturnLabelDesk
) -> tuple[bytes, t.ReturnLabelIssuedData]:
    """A return label for the ticket's order, printed (PDF): the bytes to keep and the event's data."""
    shipped_to = await uow.orders.shipping_address(state.order_number) if state.order_number else ()
    data = return_labels.return_label_data(
        state,
        label_id=reference("RL-", 4),
        carrier=carrier,
        tracking_number=tracking_number or reference("RT", 5),
        return_address=labels.return_address,
        customer_address=shipped_to,
    )
    return return_labels.printed(state.ticket_id, data)


async def ticket_of(cmd: c.TicketCommand, uow: UnitOfWork) -> TicketState:
    """The ticket as its events tell, when the requester may reach it and it has not moved on since they read it."""
    state = tickets.rebuild(cmd.ticket_id, await uow.events.load(cmd.ticket_id))
    if not cmd.access.allows(state):
        raise tickets.TicketNotFound(cmd.ticket_id)  # the same for someone else's ticket: never confirm it exists
    if cmd.expected_version is not None and cmd.expected_version != state.version:
        raise ConcurrencyConflict(cmd.ticket_id, cmd.expected_version, state.version)
    return state


async def record(
    cmd: c.TicketCommand, uow: UnitOfWork, state: TicketState, decision: Decision, now: Clock
) -> c.TicketChanged | c.TicketUnchanged:
    """The decision's events appended and committed (nothing decided: the ticket is unchanged)."""
    events = events_of(cmd, state, decision, now())
    if not events:
        return c.TicketUnchanged(cmd.ticket_id, state.version)
    outcome = c.TicketChanged(cmd.ticket_id, events[-1].version)
    await commit(uow, cmd, state, events, outcome)
    return outcome


def events_of(cmd: c.Command, state: TicketState, decision: Decision, at: datetime) -> list[Event]:
    """The decided payloads as the ticket's next events, numbered on from its version, in one conversation."""
    correlation_id = cmd.correlation_id or uuid.uuid4()
    return [
        event_type.create(
            data=data,
            actor=cmd.actor,
            occurred_at=at,
            ticket_id=cmd.ticket_id,
            version=state.version + number,
            correlation_id=correlation_id,
        )
        for number, (event_type, data) in enumerate(decision, start=1)
    ]


async def commit(uow: UnitOfWork, cmd: c.Command, state: TicketState, events: list[Event], outcome: c.Outcome) -> None:
    """The events (with their outbox rows) and the outcome under the command's key, in one commit."""
    await uow.events.append(cmd.ticket_id, state.version, events)
    if cmd.idempotency_key:
        await uow.outcomes.add(cmd.idempotency_key, outcome)
    await uow.commit()
