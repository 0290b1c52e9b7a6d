"""A ticket's status, from its events: the one lifecycle intake decides on and projections show."""

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
