"""The commands intake accepts, and the outcomes it answers them with.

A command is a frozen value naming what someone asks of the desk (imperative:
``SubmitTicket``); the web form, the API, or any other sender builds the same
one. It carries who asks (the ``actor`` the events record), the ticket, the
data (files already stored, as ``AttachmentRef``), and the request's
``expected_version`` and ``idempotency_key``.

An outcome says what happened, never how to answer it (no HTTP status): the edge
renders it. Outcomes stored under an idempotency key are data (``outcome_to_data``)
and come back as the same value (``outcome_from_data``), so a retry is answered
exactly like the first request.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import Field, TypeAdapter

from soporte.events import Actor, AttachmentRef, Category, Channel
from soporte.events import types as t

from .tickets import TicketAccess


@dataclass(frozen=True)
class IdempotencyKey:
    """A caller's ``Idempotency-Key``: the same key from another caller is another request."""

    caller: str  # "agent:agent-1", "customer:cust-1", "anonymous:127.0.0.1"
    key: str


class IdempotencyKeyTaken(Exception):
    """Another request with the same key committed first: answer with its outcome."""


@dataclass(frozen=True, kw_only=True)
class Command:
    actor: Actor
    ticket_id: str
    idempotency_key: IdempotencyKey | None = None
    correlation_id: uuid.UUID | None = None  # the conversation the events belong to (new when None)


@dataclass(frozen=True, kw_only=True)
class SubmitTicket(Command):
    """Open a ticket (a customer or guest from the web, an agent for a caller)."""

    category: Category
    description: str
    customer: t.CustomerRef
    order_number: str | None = None
    channel: Channel = Channel.WEB
    attachments: tuple[AttachmentRef, ...] = ()


@dataclass(frozen=True, kw_only=True)
class TicketCommand(Command):
    """A command on an existing ticket, by someone whose ``access`` must reach it."""

    access: TicketAccess
    expected_version: int | None = None  # refused with a conflict when the ticket has moved on


@dataclass(frozen=True, kw_only=True)
class ReplyAsCustomer(TicketCommand):
    body: str
    attachments: tuple[AttachmentRef, ...] = ()


@dataclass(frozen=True, kw_only=True)
class RespondAsAgent(TicketCommand):
    body: str
    attachments: tuple[AttachmentRef, ...] = ()


@dataclass(frozen=True, kw_only=True)
class AddInternalNote(TicketCommand):
    body: str


@dataclass(frozen=True, kw_only=True)
class RequestClarification(TicketCommand):
    question: str


@dataclass(frozen=True, kw_only=True)
class ResolveTicket(TicketCommand):
    resolution: str = ""


@dataclass(frozen=True, kw_only=True)
class ReopenTicket(TicketCommand):
    pass


@dataclass(frozen=True, kw_only=True)
class AssignTicket(TicketCommand):
    assignee_id: str | None  # None: nobody


@dataclass(frozen=True, kw_only=True)
class IssueReturnLabel(TicketCommand):
    carrier: str
    tracking_number: str | None = None  # the desk makes one up when the agent has none


@dataclass(frozen=True, kw_only=True)
class OpenCourierClaim(TicketCommand):
    carrier: str
    reason: str
    tracking_number: str | None = None


# --- outcomes ---------------------------------------------------------------------------


@dataclass(frozen=True)
class TicketCreated:
    ticket_id: str
    version: int
    access_token: str  # lets the customer follow and answer the ticket without an account
    actionability: t.Actionability
    # None: attended live (phone, chat), no clock runs; or stored before intake said when.
    expected_answer_by: datetime | None = None
    kind: Literal["ticket_created"] = "ticket_created"


@dataclass(frozen=True)
class TicketChanged:
    ticket_id: str
    version: int  # the ticket's version after the new events
    kind: Literal["ticket_changed"] = "ticket_changed"


@dataclass(frozen=True)
class TicketUnchanged:
    """The command asked for what already is (the same assignee again): nothing appended."""

    ticket_id: str
    version: int
    kind: Literal["ticket_unchanged"] = "ticket_unchanged"


Outcome = TicketCreated | TicketChanged | TicketUnchanged
_OUTCOME = TypeAdapter(Annotated[Outcome, Field(discriminator="kind")])


def outcome_to_data(outcome: Outcome) -> dict[str, Any]:
    """JSON-ready data for the idempotency record."""
    return _OUTCOME.dump_python(outcome, mode="json")


def outcome_from_data(data: dict[str, Any]) -> Outcome:
    return _OUTCOME.validate_python(data)
