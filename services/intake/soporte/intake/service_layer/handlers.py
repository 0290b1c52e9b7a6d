"""The service layer: ``handler(command, uow)`` -> outcome, for every command (``HANDLERS``).

Each handler opens the unit of work, rebuilds the ticket from its own events,
lets the pure decider in ``domain.tickets`` decide, and appends the events with
their outbox rows and the outcome stored under the command's idempotency key,
in one commit. From there the outbox relay (``adapters.relay``) publishes the
events to Kafka. Nothing here knows HTTP: refusals are domain errors, answers
are outcomes, and the edge renders both.

A command sent again with the same idempotency key gets the stored outcome, also
when the two raced: the loser's transaction conflicts and is rolled back, then
it reads what the winner stored.
"""

from __future__ import annotations

import functools
import secrets
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from soporte.events import ActorKind, Event
from soporte.events import types as t
from soporte.intake.adapters.files import FileStore, kept_if_committed
from soporte.intake.adapters.tokens import DeskTokens
from soporte.intake.domain import access, return_labels, tickets
from soporte.intake.domain import commands as c
from soporte.intake.domain.assessment import expected_answer_by
from soporte.intake.domain.tickets import ConcurrencyConflict, Decision, TicketState, UnacceptableValue
from soporte.platform.clock import Clock
from soporte.ticketrules import SlaRules

from . import access as access_handlers
from .staff import STAFF_HANDLERS
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


# --- submitting ------------------------------------------------------------------------------


@idempotent
async def submit_ticket(
    cmd: c.SubmitTicket, uow: UnitOfWork, *, now: Clock, sla_rules: SlaRules, tokens: DeskTokens
) -> c.TicketCreated:
    """A new ticket, with its access token and the time the customer can expect an answer by."""
    async with uow:
        customer = await _customer_with_account(cmd, uow)
        state = tickets.rebuild(cmd.ticket_id, await uow.events.load(cmd.ticket_id))
        decision = tickets.decide_submit(
            state,
            category=cmd.category,
            description=cmd.description,
            customer=customer,
            order_number=cmd.order_number,
            attachments=list(cmd.attachments),
            channel=cmd.channel,
            actor=cmd.actor,
            refused_attachments=list(cmd.refused_attachments),
        )
        events = _events(cmd, state, decision, now())
        submitted = events[0]
        outcome = c.TicketCreated(
            ticket_id=cmd.ticket_id,
            version=submitted.version,
            access_token=tokens.for_ticket(cmd.ticket_id, str(customer.email)),
            actionability=submitted.data.actionability,
            expected_answer_by=expected_answer_by(sla_rules, submitted),
        )
        await _commit(uow, cmd, state, events, outcome)
        return outcome


async def _customer_with_account(cmd: c.SubmitTicket, uow: UnitOfWork) -> t.CustomerRef:
    """The customer, linked to their shop account by an agent's order; customers only name their own orders."""
    customer, order_number = cmd.customer, cmd.order_number
    if not order_number:
        return customer
    if cmd.actor.kind is ActorKind.AGENT:
        # A caller's known order links the ticket to their shop account (their own pages then list it).
        account = await uow.orders.customer_of(order_number, str(customer.email))
        return customer.model_copy(update={"customer_id": account})
    if cmd.actor.kind is ActorKind.CUSTOMER and not await uow.orders.belongs_to(order_number, customer.customer_id):
        raise UnacceptableValue("order_number", "not one of your orders")
    return customer


# --- commands on a ticket --------------------------------------------------------------------


@idempotent
async def change_ticket(cmd: c.TicketCommand, uow: UnitOfWork, *, now: Clock) -> c.Outcome:
    """A command on an existing ticket that needs nothing but the ticket to be decided."""
    async with uow:
        state = await _ticket(cmd, uow)
        return await _record(cmd, uow, state, _decide(cmd, state), now)


def _decide(cmd: c.TicketCommand, state: TicketState) -> Decision:
    """The pure decider's answer to ``cmd`` (the desk's own references are made up here)."""
    match cmd:
        case c.ReplyAsCustomer():
            return tickets.decide_customer_reply(
                state,
                cmd.body,
                list(cmd.attachments),
                cmd.actor,
                channel=cmd.channel,
                refused_attachments=list(cmd.refused_attachments),
            )
        case c.RecordBounce():
            return tickets.decide_bounce(state, cmd.bounce, cmd.actor)
        case c.RespondAsAgent():
            return tickets.decide_agent_reply(state, cmd.body, list(cmd.attachments), cmd.actor)
        case c.AddInternalNote():
            return tickets.decide_note(state, cmd.body, cmd.actor)
        case c.RequestClarification():
            return tickets.decide_clarification(state, cmd.question, cmd.actor)
        case c.ResolveTicket():
            return tickets.decide_resolve(state, cmd.resolution, cmd.actor)
        case c.ReopenTicket():
            return tickets.decide_reopen(state, cmd.actor)
        case c.RevokeTicketLinks():
            return access.decide_revoke_links(state, cmd.reason, cmd.actor)
        case c.RecordDeadlineChange():
            return tickets.decide_deadline_change(state, cmd.change, cmd.actor)
        case c.OpenCourierClaim():
            claim_id = _reference("CC-", 4)
            return tickets.decide_courier_claim(
                state, claim_id, cmd.carrier, cmd.tracking_number, cmd.reason, cmd.actor
            )
    raise TypeError(f"no decision for {type(cmd).__name__}")


def _reference(prefix: str, random_bytes: int) -> str:
    """A reference the desk gives a label, a claim or a parcel (``RL-3F2A9C1B``)."""
    return prefix + secrets.token_hex(random_bytes).upper()


@dataclass(frozen=True)
class ReturnLabelDesk:
    """What a return label needs beyond the ticket: the carriers offered, the shop's address, where files go."""

    carriers: tuple[str, ...]
    return_address: tuple[str, ...]
    files: FileStore


@idempotent
async def issue_return_label(cmd: c.IssueReturnLabel, uow: UnitOfWork, *, now: Clock, labels: ReturnLabelDesk):
    """A free return label, printed (PDF) and stored with the ticket's files; the event refers to the file."""
    async with uow:
        state = await _ticket(cmd, uow)
        shipped_to = await uow.orders.shipping_address(state.order_number) if state.order_number else ()
        data = return_labels.return_label_data(
            state,
            label_id=_reference("RL-", 4),
            carrier=cmd.carrier,
            tracking_number=cmd.tracking_number or _reference("RT", 5),
            return_address=labels.return_address,
            customer_address=shipped_to,
        )
        pdf, data = return_labels.printed(cmd.ticket_id, data)
        decision = tickets.decide_return_label(state, data, cmd.actor, carriers=labels.carriers)
        async with kept_if_committed(labels.files, pdf):
            return await _record(cmd, uow, state, decision, now)


@idempotent
async def assign_ticket(cmd: c.AssignTicket, uow: UnitOfWork, *, now: Clock) -> c.Outcome:
    """Assign to a known agent (their name travels in the event, for the queues) or to nobody."""
    async with uow:
        state = await _ticket(cmd, uow)
        name = None
        if cmd.assignee_id is not None:
            agent = await uow.agents.get(cmd.assignee_id)
            if agent is None or not agent.enabled:
                raise UnacceptableValue("assignee_id", "no such agent, or a disabled one")
            name = agent.name
        return await _record(cmd, uow, state, tickets.decide_assign(state, cmd.assignee_id, name, cmd.actor), now)


async def _ticket(cmd: c.TicketCommand, uow: UnitOfWork) -> TicketState:
    """The ticket as its events tell, when the requester may reach it and it has not moved on since they read it."""
    state = tickets.rebuild(cmd.ticket_id, await uow.events.load(cmd.ticket_id))
    if not cmd.access.allows(state):
        raise tickets.TicketNotFound(cmd.ticket_id)  # the same for someone else's ticket: never confirm it exists
    if cmd.expected_version is not None and cmd.expected_version != state.version:
        raise ConcurrencyConflict(cmd.ticket_id, cmd.expected_version, state.version)
    return state


async def _record(
    cmd: c.TicketCommand, uow: UnitOfWork, state: TicketState, decision: Decision, now: Clock
) -> c.TicketChanged | c.TicketUnchanged:
    events = _events(cmd, state, decision, now())
    if not events:
        return c.TicketUnchanged(cmd.ticket_id, state.version)
    outcome = c.TicketChanged(cmd.ticket_id, events[-1].version)
    await _commit(uow, cmd, state, events, outcome)
    return outcome


# --- what every handler does at the end -----------------------------------------------------------


def _events(cmd: c.Command, state: TicketState, decision: Decision, at: datetime) -> list[Event]:
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


async def _commit(uow: UnitOfWork, cmd: c.Command, state: TicketState, events: list[Event], outcome: c.Outcome) -> None:
    """The events (with their outbox rows) and the outcome under the command's key, in one commit."""
    await uow.events.append(cmd.ticket_id, state.version, events)
    if cmd.idempotency_key:
        await uow.outcomes.add(cmd.idempotency_key, outcome)
    await uow.commit()


HANDLERS: dict[type, Callable[..., Awaitable[Any]]] = {
    c.SubmitTicket: submit_ticket,
    c.AssignTicket: assign_ticket,
    c.IssueReturnLabel: issue_return_label,
    c.OpenGuestSession: access_handlers.open_guest_session,
    c.RequestAccessLink: access_handlers.request_access_link,
    **STAFF_HANDLERS,
    **{
        command: change_ticket
        for command in (
            c.ReplyAsCustomer,
            c.RespondAsAgent,
            c.AddInternalNote,
            c.RequestClarification,
            c.ResolveTicket,
            c.ReopenTicket,
            c.OpenCourierClaim,
            c.RevokeTicketLinks,
            c.RecordBounce,
            c.RecordDeadlineChange,
        )
    },
}
