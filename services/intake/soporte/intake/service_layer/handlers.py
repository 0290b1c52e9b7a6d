"""The service layer: ``handler(command, uow)`` -> outcome, for every command (``HANDLERS``).

Each handler opens the unit of work, rebuilds the ticket from its own events,
lets the pure decider in ``domain.tickets`` decide, and appends the events with
their outbox rows and the outcome stored under the command's idempotency key,
in one commit (``recording``). From there the outbox relay (``adapters.relay``)
publishes the events to Kafka. Nothing here knows HTTP: refusals are domain
errors, answers are outcomes, and the edge renders both. Staff accounts and
canned replies have handlers of their own (``staff``, ``canned``).
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any

from soporte.events import ActorKind
from soporte.events import types as t
from soporte.intake.adapters.files import kept_if_committed
from soporte.intake.adapters.tokens import DeskTokens
from soporte.intake.domain import access, canned, tickets
from soporte.intake.domain import commands as c
from soporte.intake.domain.assessment import expected_answer_by
from soporte.intake.domain.tickets import Decision, TicketState, UnacceptableValue
from soporte.platform.clock import Clock
from soporte.ticketrules import SlaRules

from . import access as access_handlers
from .canned import CANNED_HANDLERS
from .recording import (
    ReturnLabelDesk,
    commit,
    events_of,
    idempotent,
    printed_label,
    record,
    reference,
    ticket_of,
)
from .staff import STAFF_HANDLERS
from .unit_of_work import UnitOfWork

__all__ = ["HANDLERS", "ReturnLabelDesk"]


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
        events = events_of(cmd, state, decision, now())
        submitted = events[0]
        outcome = c.TicketCreated(
            ticket_id=cmd.ticket_id,
            version=submitted.version,
            access_token=tokens.for_ticket(cmd.ticket_id, str(customer.email)),
            actionability=submitted.data.actionability,
            expected_answer_by=expected_answer_by(sla_rules, submitted),
        )
        await commit(uow, cmd, state, events, outcome)
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
        state = await ticket_of(cmd, uow)
        return await record(cmd, uow, state, _decide(cmd, state), now)


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
            claim_id = reference("CC-", 4)
            return tickets.decide_courier_claim(
                state, claim_id, cmd.carrier, cmd.tracking_number, cmd.reason, cmd.actor
            )
    raise TypeError(f"no decision for {type(cmd).__name__}")


@idempotent
async def issue_return_label(cmd: c.IssueReturnLabel, uow: UnitOfWork, *, now: Clock, labels: ReturnLabelDesk):
    """A free return label, printed (PDF) and stored with the ticket's files; the event refers to the file."""
    async with uow:
        state = await ticket_of(cmd, uow)
        pdf, data = await printed_label(uow, state, cmd.carrier, cmd.tracking_number, labels)
        decision = tickets.decide_return_label(state, data, cmd.actor, carriers=labels.carriers)
        async with kept_if_committed(labels.files, pdf):
            return await record(cmd, uow, state, decision, now)


@idempotent
async def respond_as_agent(cmd: c.RespondAsAgent, uow: UnitOfWork, *, now: Clock, labels: ReturnLabelDesk):
    """An agent's public response; sent with a canned reply, what the reply bundles goes with it in one commit."""
    async with uow:
        state = await ticket_of(cmd, uow)
        bundle = await _canned(uow, cmd.canned_reply_id)
        respond = functools.partial(
            canned.decide_response, state, cmd.body, list(cmd.attachments), cmd.actor, carriers=labels.carriers
        )
        if bundle is None or bundle.action is not canned.BundledAction.RETURN_LABEL:
            return await record(cmd, uow, state, respond(bundled=bundle and bundle.action), now)
        pdf, label = await printed_label(uow, state, bundle.carrier or "", None, labels)
        async with kept_if_committed(labels.files, pdf):
            return await record(cmd, uow, state, respond(bundled=bundle.action, label=label), now)


async def _canned(uow: UnitOfWork, reply_id: str | None) -> canned.CannedReply | None:
    if reply_id is None:
        return None
    reply = await uow.canned.get(reply_id)
    if reply is None:
        raise UnacceptableValue("canned_reply_id", "no such canned reply")
    return reply


@idempotent
async def assign_ticket(cmd: c.AssignTicket, uow: UnitOfWork, *, now: Clock) -> c.Outcome:
    """Assign to a known agent (their name travels in the event, for the queues) or to nobody."""
    async with uow:
        state = await ticket_of(cmd, uow)
        name = None
        if cmd.assignee_id is not None:
            agent = await uow.agents.get(cmd.assignee_id)
            if agent is None or not agent.enabled:
                raise UnacceptableValue("assignee_id", "no such agent, or a disabled one")
            name = agent.name
        return await record(cmd, uow, state, tickets.decide_assign(state, cmd.assignee_id, name, cmd.actor), now)


HANDLERS: dict[type, Callable[..., Awaitable[Any]]] = {
    c.SubmitTicket: submit_ticket,
    c.AssignTicket: assign_ticket,
    c.IssueReturnLabel: issue_return_label,
    c.OpenGuestSession: access_handlers.open_guest_session,
    c.RequestAccessLink: access_handlers.request_access_link,
    c.RespondAsAgent: respond_as_agent,
    **STAFF_HANDLERS,
    **CANNED_HANDLERS,
    **{
        command: change_ticket
        for command in (
            c.ReplyAsCustomer,
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
