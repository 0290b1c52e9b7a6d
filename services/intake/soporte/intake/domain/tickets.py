"""A ticket's state, rebuilt from its own events, and the decisions commands make against it.

Decisions are pure: ``decide_*(state, ..., actor)`` returns the event payloads to
append (or raises a ``DomainError``); the fold ``apply`` turns events back into
state, with the status from the one lifecycle every service shares
(``soporte.ticketrules.status_after``). Nothing here does I/O.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, replace
from datetime import datetime

from soporte.events import Actor, ActorKind, AttachmentRef, Category, Channel, Event, RefusedFile, files_of
from soporte.events import types as t
from soporte.ticketrules import AgentAction, Status, agent_actions, status_after

from .assessment import assess

# --- errors (mapped to answers once, at the edge) ---------------------------------------


class DomainError(Exception):
    """A command the ticket's state does not allow."""


class TicketNotFound(DomainError):
    """No such ticket, or one the requester may not see (never confirm someone else's ticket exists)."""


class NotAllowed(DomainError):
    """The actor may not do this (a customer asking for clarification, say)."""


class InvalidTransition(DomainError):
    """Allowed actor, wrong moment (replying on a resolved ticket as an agent, resolving twice)."""


class UnacceptableValue(DomainError):
    """A value of the command the desk cannot accept (an order that is not the customer's, an unknown agent)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class ConcurrencyConflict(DomainError):
    """Someone appended to the ticket since its state was read: nothing is merged, the caller reads again."""

    def __init__(self, ticket_id: str, expected: int, actual: int | None = None) -> None:
        super().__init__(
            f"ticket {ticket_id} is at version {actual if actual is not None else 'newer'}, not {expected}"
        )
        self.ticket_id, self.expected, self.actual = ticket_id, expected, actual


# --- state ------------------------------------------------------------------------------


@dataclass(frozen=True)
class TicketState:
    ticket_id: str
    version: int = 0
    status: Status | None = None
    customer_email: str | None = None
    customer_id: str | None = None
    customer_name: str | None = None
    language: str = "es"
    order_number: str | None = None
    assignee_id: str | None = None
    attachments: frozenset[str] = frozenset()  # sha256 of every file the ticket references
    links_revoked_at: datetime | None = None  # links issued before this no longer open the ticket

    @property
    def exists(self) -> bool:
        return self.version > 0


def apply(state: TicketState, event: Event) -> TicketState:
    """Fold one event of the ticket's own stream."""
    state = replace(state, version=event.version or state.version, status=status_after(state.status, event))
    data = event.data
    files = [a.sha256 for a in files_of(event)]
    if files:
        state = replace(state, attachments=state.attachments | frozenset(files))
    if isinstance(event, t.TicketSubmitted):
        return replace(
            state,
            customer_email=str(data.customer.email).lower(),
            customer_id=data.customer.customer_id,
            customer_name=data.customer.name,
            language=data.customer.language.value,
            order_number=data.order_number,
        )
    if isinstance(event, t.TicketAssigned):
        return replace(state, assignee_id=data.assignee_id)
    if isinstance(event, t.TicketLinksRevoked):
        return replace(state, links_revoked_at=event.occurred_at)
    return state


def rebuild(ticket_id: str, events: list[Event]) -> TicketState:
    state = TicketState(ticket_id)
    for event in events:
        state = apply(state, event)
    return state


@dataclass(frozen=True)
class TicketAccess:
    """Which tickets a requester may see and act on: agents every one, everybody else their own."""

    every_ticket: bool = False  # agents
    customer_id: str | None = None  # a shop customer: the tickets of their account
    email: str | None = None  # customers and guests: the tickets opened with their address
    ticket_id: str | None = None  # a ticket-access token: that ticket only

    def allows(self, state: TicketState) -> bool:
        if not state.exists:
            return False  # nothing to see: the same 404 for everyone
        if self.every_ticket:
            return True
        if self.ticket_id is not None:
            return self.ticket_id == state.ticket_id
        if self.customer_id and state.customer_id == self.customer_id:
            return True
        return bool(self.email) and self.email.lower() == state.customer_email


# --- decisions --------------------------------------------------------------------------


def _require_exists(state: TicketState) -> None:
    if not state.exists:
        raise TicketNotFound(state.ticket_id)


def _require_agent(actor: Actor, what: str) -> None:
    if actor.kind is not ActorKind.AGENT:
        raise NotAllowed(f"only agents can {what}")


def _require_applies(state: TicketState, action: AgentAction, what: str) -> None:
    """The one lifecycle says which actions apply in each status (the console offers only those)."""
    if action in agent_actions(state.status):
        return
    if state.status is Status.RESOLVED:
        raise InvalidTransition(f"the ticket is resolved: reopen it before you {what}")
    raise InvalidTransition(f"not while the ticket is {state.status}: {what}")


Decision = list[tuple[type[Event], object]]  # (event type, payload) pairs, appended in order


def decide_submit(
    state: TicketState,
    *,
    category: Category,
    description: str,
    customer: t.CustomerRef,
    order_number: str | None,
    attachments: list[AttachmentRef],
    channel: Channel,
    actor: Actor,
    refused_attachments: list[RefusedFile] | None = None,
) -> Decision:
    if state.exists:
        raise InvalidTransition("a ticket with this id exists already")
    if channel in (Channel.PHONE, Channel.CHAT) and actor.kind is not ActorKind.AGENT:
        raise NotAllowed("only agents open tickets from a phone call or chat")
    return [
        (
            t.TicketSubmitted,
            t.TicketSubmittedData(
                category=category,
                description=description,
                customer=customer,
                order_number=order_number,
                attachments=attachments,
                channel=channel,
                opened_by_agent_id=actor.id if actor.kind is ActorKind.AGENT else None,
                actionability=assess(category, description, order_number, attachments),
                refused_attachments=refused_attachments or [],
            ),
        )
    ]


def decide_customer_reply(
    state: TicketState,
    body: str,
    attachments: list[AttachmentRef],
    actor: Actor,
    *,
    channel: Channel = Channel.WEB,
    refused_attachments: list[RefusedFile] | None = None,
) -> Decision:
    """A customer message (from the status page or by mail); on a resolved ticket it reopens it first."""
    _require_exists(state)
    if actor.kind is ActorKind.AGENT:
        raise NotAllowed("agents answer with a response or a note")
    payloads: Decision = []
    if state.status is Status.RESOLVED:
        payloads.append((t.TicketReopened, t.TicketReopenedData(reason=t.ReopenReason.CUSTOMER_REPLIED)))
    data = t.CustomerMessageData(
        body=body, attachments=attachments, channel=channel, refused_attachments=refused_attachments or []
    )
    payloads.append((t.CustomerReplied, data))
    return payloads


def decide_bounce(state: TicketState, bounce: t.NotificationBouncedData, actor: Actor) -> Decision:
    """A mail about the ticket came back undelivered: recorded whatever the ticket's status, by the system."""
    _require_exists(state)
    if actor.kind is not ActorKind.SYSTEM:
        raise NotAllowed("only the desk's mail-in records bounces")
    return [(t.NotificationBounced, bounce)]


def decide_agent_reply(state: TicketState, body: str, attachments: list[AttachmentRef], actor: Actor) -> Decision:
    _require_exists(state)
    _require_agent(actor, "respond")
    _require_applies(state, AgentAction.REPLY, "respond")
    return [(t.AgentReplied, t.MessageData(body=body, attachments=attachments))]


def decide_note(state: TicketState, body: str, actor: Actor) -> Decision:
    _require_exists(state)
    _require_agent(actor, "add internal notes")
    return [(t.InternalNoteAdded, t.MessageData(body=body))]


def decide_clarification(state: TicketState, question: str, actor: Actor) -> Decision:
    _require_exists(state)
    _require_agent(actor, "ask for clarification")
    _require_applies(state, AgentAction.CLARIFY, "ask for clarification (it waits on the customer already)")
    return [(t.ClarificationRequested, t.ClarificationRequestedData(question=question))]


def decide_resolve(state: TicketState, resolution: str, actor: Actor) -> Decision:
    _require_exists(state)
    _require_agent(actor, "resolve tickets")
    _require_applies(state, AgentAction.RESOLVE, "resolve it")
    return [(t.TicketResolved, t.TicketResolvedData(resolution=resolution))]


def decide_reopen(state: TicketState, actor: Actor) -> Decision:
    _require_exists(state)
    _require_agent(actor, "reopen tickets (customers reopen by replying)")
    _require_applies(state, AgentAction.REOPEN, "reopen it (only a resolved ticket is reopened)")
    return [(t.TicketReopened, t.TicketReopenedData(reason=t.ReopenReason.AGENT_REOPENED))]


def decide_assign(state: TicketState, assignee_id: str | None, assignee_name: str | None, actor: Actor) -> Decision:
    _require_exists(state)
    _require_agent(actor, "assign tickets")
    if state.assignee_id == assignee_id:
        return []
    return [(t.TicketAssigned, t.TicketAssignedData(assignee_id=assignee_id, assignee_name=assignee_name))]


def decide_return_label(
    state: TicketState, label: t.ReturnLabelIssuedData, actor: Actor, *, carriers: Collection[str]
) -> Decision:
    """A free return label by one of the desk's ``carriers`` (any carrier when it names none)."""
    _require_exists(state)
    _require_agent(actor, "issue return labels")
    _require_applies(state, AgentAction.RETURN_LABEL, "issue a return label")
    if carriers and label.carrier not in carriers:
        raise UnacceptableValue("carrier", "not one of the desk's carriers")
    return [(t.ReturnLabelIssued, label)]


def decide_deadline_change(state: TicketState, change: t.SlaDeadlineChangedData, actor: Actor) -> Decision:
    """An SLA deadline moved by an operator: only on an open ticket (a resolved one runs no clock)."""
    _require_exists(state)
    _require_agent(actor, "move SLA deadlines")
    _require_applies(state, AgentAction.MOVE_DEADLINE, "move an SLA deadline")
    return [(t.SlaDeadlineChanged, change)]


def decide_courier_claim(
    state: TicketState, claim_id: str, carrier: str, tracking_number: str | None, reason: str, actor: Actor
) -> Decision:
    _require_exists(state)
    _require_agent(actor, "open courier claims")
    _require_applies(state, AgentAction.COURIER_CLAIM, "open a courier claim")
    return [
        (
            t.CourierClaimOpened,
            t.CourierClaimOpenedData(
                claim_id=claim_id, carrier=carrier, tracking_number=tracking_number, reason=reason
            ),
        )
    ]
