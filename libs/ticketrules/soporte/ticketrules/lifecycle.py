"""A ticket's status, from its events, and what an agent may do in each: the one lifecycle intake decides on and
projections show (the console offers only the actions ``agent_actions`` lists; intake's deciders refuse the rest)."""

from __future__ import annotations

from enum import StrEnum

from soporte.events import Event
from soporte.events import types as t


class Status(StrEnum):
    NEW = "new"
    OPEN = "open"
    WAITING_ON_CUSTOMER = "waiting_on_customer"
    RESOLVED = "resolved"


# What the customer sees as an answer from the desk: each fulfils the running response clocks.
PUBLIC_AGENT_RESPONSES: tuple[type[Event], ...] = (
    t.AgentReplied,
    t.ClarificationRequested,
    t.ReturnLabelIssued,
    t.CourierClaimOpened,
)


def status_after(status: Status | None, event: Event) -> Status | None:
    """The status once ``event`` is applied (None: the ticket does not exist yet)."""
    match event:
        case t.TicketSubmitted():
            return Status.NEW
        case t.ClarificationRequested():
            return Status.WAITING_ON_CUSTOMER
        case t.AgentReplied() | t.ReturnLabelIssued() | t.CourierClaimOpened():
            return Status.OPEN
        case t.CustomerReplied():
            # A new ticket stays new until the desk answers; otherwise the customer's turn is over.
            return Status.NEW if status is Status.NEW else Status.OPEN
        case t.TicketResolved():
            return Status.RESOLVED
        case t.TicketReopened():
            return Status.OPEN
        case _:
            return status  # notes and assignments change no status


class AgentAction(StrEnum):
    """What an agent can do to a ticket (the console's action names)."""

    REPLY = "reply"
    NOTE = "note"
    CLARIFY = "clarify"
    RESOLVE = "resolve"
    REOPEN = "reopen"
    ASSIGN = "assign"
    RETURN_LABEL = "return-label"
    COURIER_CLAIM = "courier-claim"
    REVOKE_LINKS = "revoke-links"
    MOVE_DEADLINE = "move-deadline"


# Whatever the status: notes, assignment and revoking the customer's links.
_ALWAYS = frozenset({AgentAction.NOTE, AgentAction.ASSIGN, AgentAction.REVOKE_LINKS})
_WHILE_OPEN = _ALWAYS | {
    AgentAction.REPLY,
    AgentAction.RESOLVE,
    AgentAction.RETURN_LABEL,
    AgentAction.COURIER_CLAIM,
    AgentAction.MOVE_DEADLINE,
}


def agent_actions(status: Status | None) -> frozenset[AgentAction]:
    """The actions that apply to a ticket in ``status`` (none before it exists).

    A resolved ticket is reopened before anything is said on it; a ticket that waits on the customer is not
    asked again.
    """
    if status is None:
        return frozenset()
    if status is Status.RESOLVED:
        return _ALWAYS | {AgentAction.REOPEN}
    if status is Status.WAITING_ON_CUSTOMER:
        return _WHILE_OPEN
    return _WHILE_OPEN | {AgentAction.CLARIFY}
