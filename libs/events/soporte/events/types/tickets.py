"""The ticket stream (``tickets.events.v1``): every event carries ``ticket_id`` and ``version``."""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar, Literal

from pydantic import AwareDatetime, EmailStr, Field

from ..envelope import AttachmentRef, Category, Channel, Event, Frozen, Language, Priority, RefusedFile
from .common import ShortText, Text

# --- ticket stream -----------------------------------------------------------


class SlaClock(StrEnum):
    FIRST_RESPONSE = "first_response"  # business time
    NEXT_RESPONSE = "next_response"  # business time, after each customer message
    ATTENTION = "attention"  # wall-clock, 24 h whatever the day


class CustomerRef(Frozen):
    """The person a ticket is for. ``customer_id`` is empty for guests."""

    name: ShortText
    email: EmailStr
    customer_id: str | None = Field(default=None, max_length=200)
    language: Language = Language.ES


class Actionability(Frozen):
    """The intake verdict: can an agent act on this ticket right away?"""

    actionable: bool
    missing: list[str] = Field(default_factory=list, description="what the customer still has to give")
    priority: Priority = Priority.NORMAL


class TicketSubmittedData(Frozen):
    category: Category
    description: Text
    customer: CustomerRef
    order_number: str | None = Field(default=None, max_length=64)
    attachments: list[AttachmentRef] = Field(default_factory=list)
    channel: Channel = Channel.WEB
    opened_by_agent_id: str | None = Field(default=None, description="set when an agent opened it for the customer")
    actionability: Actionability
    refused_attachments: list[RefusedFile] = Field(default_factory=list, description="files sent but not kept")


class TicketSubmitted(Event):
    # v2 added customer.language and channel (see upcasters.py for v1).
    SCHEMA_VERSION: ClassVar[int] = 2
    type: Literal["TicketSubmitted"] = "TicketSubmitted"
    data: TicketSubmittedData


class MessageData(Frozen):
    body: Text
    attachments: list[AttachmentRef] = Field(default_factory=list)


class CustomerMessageData(MessageData):
    channel: Channel = Channel.WEB
    refused_attachments: list[RefusedFile] = Field(default_factory=list, description="files sent but not kept")


class CustomerReplied(Event):
    type: Literal["CustomerReplied"] = "CustomerReplied"
    data: CustomerMessageData


class AgentReplied(Event):
    """A public agent response: the customer sees it and is mailed."""

    type: Literal["AgentReplied"] = "AgentReplied"
    data: MessageData


class InternalNoteAdded(Event):
    """An agent-only note: never shown or mailed to a customer."""

    type: Literal["InternalNoteAdded"] = "InternalNoteAdded"
    data: MessageData


class ClarificationRequestedData(Frozen):
    question: Text


class ClarificationRequested(Event):
    """The agent needs more from the customer; SLA clocks pause until they answer."""

    type: Literal["ClarificationRequested"] = "ClarificationRequested"
    data: ClarificationRequestedData


class TicketResolvedData(Frozen):
    resolution: str = Field(default="", max_length=20_000)


class TicketResolved(Event):
    type: Literal["TicketResolved"] = "TicketResolved"
    data: TicketResolvedData


class ReopenReason(StrEnum):
    CUSTOMER_REPLIED = "customer_replied"
    AGENT_REOPENED = "agent_reopened"


class TicketReopenedData(Frozen):
    reason: ReopenReason


class TicketReopened(Event):
    type: Literal["TicketReopened"] = "TicketReopened"
    data: TicketReopenedData


class TicketAssignedData(Frozen):
    assignee_id: str | None = Field(description="agent id; empty means unassigned")
    assignee_name: str | None = None


class TicketAssigned(Event):
    type: Literal["TicketAssigned"] = "TicketAssigned"
    data: TicketAssignedData


class ReturnLabelIssuedData(Frozen):
    label_id: ShortText
    carrier: ShortText
    tracking_number: ShortText
    order_number: str | None = None
    label: AttachmentRef | None = Field(default=None, description="the printable label, when stored")
    # What else the printed label shows, so that anyone can print the very same file again from the event.
    return_address: list[ShortText] = Field(default_factory=list, max_length=8, description="the shop's, a line each")
    customer_name: str | None = Field(default=None, max_length=200)
    customer_address: list[ShortText] = Field(default_factory=list, max_length=8, description="a line each")
    language: Language | None = Field(default=None, description="the language of the label's headings")


class ReturnLabelIssued(Event):
    """A free return label was issued to the customer."""

    type: Literal["ReturnLabelIssued"] = "ReturnLabelIssued"
    data: ReturnLabelIssuedData


class CourierClaimOpenedData(Frozen):
    claim_id: ShortText
    carrier: ShortText
    tracking_number: str | None = None
    reason: Text


class CourierClaimOpened(Event):
    type: Literal["CourierClaimOpened"] = "CourierClaimOpened"
    data: CourierClaimOpenedData


class TicketLinksRevokedData(Frozen):
    reason: str = Field(default="", max_length=2000)


class TicketLinksRevoked(Event):
    """Every link to the ticket issued before this event stops working (an agent revoked them)."""

    type: Literal["TicketLinksRevoked"] = "TicketLinksRevoked"
    data: TicketLinksRevokedData


class SlaDeadlineChangedData(Frozen):
    """A running clock's targets replaced by an operator's recalculation (the clock keeps its start)."""

    clock: SlaClock
    episode: str = Field(description="the id of the event that started the clock")
    old_deadline: AwareDatetime
    new_deadline: AwareDatetime
    target_seconds: int = Field(ge=0)
    warning_fraction: float = Field(gt=0, lt=1)
    policy_id: ShortText
    policy_version: int = Field(ge=1)
    cause: Text


class SlaDeadlineChanged(Event):
    """An SLA deadline moved explicitly (``soporte sla recalculate``): shown in the ticket's history."""

    type: Literal["SlaDeadlineChanged"] = "SlaDeadlineChanged"
    data: SlaDeadlineChangedData


class NotificationBouncedData(Frozen):
    recipient: str = Field(min_length=1, max_length=320)
    status: str = Field(default="", max_length=32, description="the enhanced status code, e.g. 5.1.1")
    diagnostic: str = Field(default="", max_length=2000, description="the remote server's words")
    message_id: str = Field(min_length=1, max_length=998, description="the Message-ID of the mail that came back")


class NotificationBounced(Event):
    """A mail the desk sent about the ticket came back undelivered (a delivery status notification)."""

    type: Literal["NotificationBounced"] = "NotificationBounced"
    data: NotificationBouncedData
