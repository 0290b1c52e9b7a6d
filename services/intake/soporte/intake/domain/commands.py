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

import dataclasses
import functools
import hashlib
import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, Any, Literal, TypeVar

from pydantic import Field, TypeAdapter

from soporte.events import Actor, AttachmentRef, Category, Channel, Language, RefusedFile
from soporte.events import types as t

from .tickets import TicketAccess


@dataclass(frozen=True)
class IdempotencyKey:
    """A caller's ``Idempotency-Key``: the same key from another caller is another request.

    ``request`` is a digest of what the key was sent with (``request_digest``): the same key sent again for
    something else is refused (``IdempotencyKeyReused``), never answered with the first outcome. None for keys
    that name their request themselves (a mail's Message-ID: the same mail, whatever is made of it now).
    """

    caller: str  # who sent it, e.g. "agent:agent-1", "customer:cust-1"
    key: str
    request: str | None = field(default=None, compare=False)


class IdempotencyKeyTaken(Exception):
    """Another request with the same key committed first: answer with its outcome."""


class IdempotencyKeyReused(Exception):
    """The key was first sent with another request (another route or body): refused, nothing done."""


C = TypeVar("C", bound="Command")
# Not part of what was asked: the ticket number a submission is given, the key itself, the conversation id.
_NOT_THE_REQUEST = {"idempotency_key", "correlation_id"}


@functools.cache
def _adapter(command_type: type) -> TypeAdapter:
    return TypeAdapter(command_type)


def request_digest(command: Command) -> str:
    """What a command asks, as a digest: its kind, its ticket (none for a submission: it gets a new number) and
    everything it carries, so the same key can be checked to come with the same request."""
    excluded = _NOT_THE_REQUEST | ({"ticket_id"} if isinstance(command, SubmitTicket) else set())
    data = _adapter(type(command)).dump_python(command, mode="json", exclude=excluded)
    text = json.dumps([type(command).__name__, data], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def keyed_to_its_request(command: C) -> C:
    """``command`` with its idempotency key bound to what it asks (``request_digest``)."""
    key = command.idempotency_key
    if key is None:
        return command
    return dataclasses.replace(command, idempotency_key=dataclasses.replace(key, request=request_digest(command)))


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
    refused_attachments: tuple[RefusedFile, ...] = ()  # files that came by mail and were not kept


@dataclass(frozen=True, kw_only=True)
class TicketCommand(Command):
    """A command on an existing ticket, by someone whose ``access`` must reach it."""

    access: TicketAccess
    expected_version: int | None = None  # refused with a conflict when the ticket has moved on


@dataclass(frozen=True, kw_only=True)
class Message(TicketCommand):
    """A public message on the ticket; its two kinds below differ only in who may send them."""

    body: str
    attachments: tuple[AttachmentRef, ...] = ()


@dataclass(frozen=True, kw_only=True)
class ReplyAsCustomer(Message):
    """A customer's reply (it reopens a resolved ticket); JSON or multipart with files, or a mail."""

    channel: Channel = Channel.WEB
    refused_attachments: tuple[RefusedFile, ...] = ()  # files that came by mail and were not kept


@dataclass(frozen=True, kw_only=True)
class RespondAsAgent(Message):
    """An agent's public response, mailed to the customer; with a canned reply, its bundled action goes along."""

    canned_reply_id: str | None = None


@dataclass(frozen=True, kw_only=True)
class AddInternalNote(TicketCommand):
    """An internal note, seen by agents only."""

    body: str


@dataclass(frozen=True, kw_only=True)
class RequestClarification(TicketCommand):
    """Ask the customer for more (the ticket then waits on them)."""

    question: str


@dataclass(frozen=True, kw_only=True)
class ResolveTicket(TicketCommand):
    """Resolve the ticket."""

    resolution: str = ""


@dataclass(frozen=True, kw_only=True)
class ReopenTicket(TicketCommand):
    """Reopen a resolved ticket (customers reopen by replying)."""


@dataclass(frozen=True, kw_only=True)
class AssignTicket(TicketCommand):
    """Assign the ticket to an agent (or nobody)."""

    assignee_id: str | None  # None: nobody


@dataclass(frozen=True, kw_only=True)
class RecordBounce(TicketCommand):
    """Record that a mail about the ticket came back undelivered (mail-in, on a delivery status notification)."""

    bounce: t.NotificationBouncedData


@dataclass(frozen=True, kw_only=True)
class ParcelCommand(TicketCommand):
    """An action on the parcel of the ticket's order, with its carrier."""

    carrier: str
    tracking_number: str | None = None  # a return label without one gets one from the desk


class IssueReturnLabel(ParcelCommand):
    """Issue a free return label."""


@dataclass(frozen=True, kw_only=True)
class OpenCourierClaim(ParcelCommand):
    """Open a claim with the courier."""

    reason: str


@dataclass(frozen=True, kw_only=True)
class RecordDeadlineChange(TicketCommand):
    """Record that an operator moved a running SLA clock's deadline (``soporte sla recalculate``)."""

    change: t.SlaDeadlineChangedData


@dataclass(frozen=True, kw_only=True)
class RevokeTicketLinks(TicketCommand):
    """Stop every link to the ticket issued until now (a mail reached the wrong person, say)."""

    reason: str = ""


# --- reaching a ticket without an account (not about one ticket's stream) --------------------


@dataclass(frozen=True, kw_only=True)
class OpenGuestSession:
    """A guest proves who they are with the email and number of one of their orders."""

    email: str
    order_number: str
    client: str  # the asker's address (limits are counted per client too)


@dataclass(frozen=True, kw_only=True)
class RequestAccessLink:
    """Mail links: to the open and recent tickets of ``email``, or a fresh one to ``ticket_id``'s own address."""

    client: str
    language: Language = Language.ES
    email: str | None = None
    ticket_id: str | None = None


@dataclass(frozen=True)
class GuestSessionOpened:
    token: str
    order_number: str


@dataclass(frozen=True)
class AccessLinkRequestTaken:
    """The same answer whether or not there was anything to mail."""


# --- outcomes ---------------------------------------------------------------------------


@dataclass(frozen=True)
class TicketCreated:
    """A ticket was opened; the customer gets these to follow it."""

    ticket_id: str
    version: int
    access_token: str  # lets the customer follow and answer the ticket without an account
    actionability: t.Actionability
    # None: attended live (phone, chat), no clock runs; or stored before intake said when.
    expected_answer_by: datetime | None = None
    kind: Literal["ticket_created"] = "ticket_created"


@dataclass(frozen=True)
class TicketChanged:
    """New events were appended to the ticket."""

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
