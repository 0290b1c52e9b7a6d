"""Every event type of Soporte, each a frozen model; ``AnyEvent`` is their union by ``type``.

Ticket stream events (``tickets.events.v1``) carry ``ticket_id`` and ``version``.
Events past tense, payload fields named for what they are.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Annotated, ClassVar, Literal, Union

from pydantic import AwareDatetime, EmailStr, Field, TypeAdapter

from .envelope import (
    Actor,
    AttachmentRef,
    Category,
    Channel,
    Event,
    Frozen,
    Language,
    Priority,
    RefusedFile,
)

Text = Annotated[str, Field(min_length=1, max_length=20_000)]
ShortText = Annotated[str, Field(min_length=1, max_length=200)]


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


# --- shop orders -------------------------------------------------------------


class OrderItem(Frozen):
    sku: ShortText
    name: ShortText
    quantity: int = Field(ge=1)


class OrderPlacedData(Frozen):
    order_number: Annotated[str, Field(min_length=1, max_length=64)]
    customer_id: str | None = None
    email: EmailStr
    customer_name: str | None = None
    items: list[OrderItem] = Field(default_factory=list)
    placed_at: AwareDatetime


class OrderPlaced(Event):
    """The shop tells the desk about an order (topic ``shop.orders.v1``)."""

    type: Literal["OrderPlaced"] = "OrderPlaced"
    data: OrderPlacedData


# --- SLA ---------------------------------------------------------------------


class EscalationData(Frozen):
    clock: SlaClock
    level: int = Field(ge=1, description="1 = warning level, higher = further up")
    deadline: AwareDatetime
    target_seconds: int = Field(ge=0)
    elapsed_seconds: int = Field(ge=0, description="business seconds for business clocks, else wall-clock")
    notify: list[str] = Field(default_factory=list, description="who must act: roles or addresses")
    category: Category | None = None
    priority: Priority | None = None


class SlaWarning(Event):
    """A clock passed its warning fraction. ``event_id`` is derived (ticket, clock, level, deadline)."""

    type: Literal["SlaWarning"] = "SlaWarning"
    data: EscalationData


class SlaBreached(Event):
    """A clock passed its target. ``event_id`` is derived (ticket, clock, level, deadline)."""

    type: Literal["SlaBreached"] = "SlaBreached"
    data: EscalationData


class FirstResponseMeasuredData(Frozen):
    submitted_at: AwareDatetime
    responded_at: AwareDatetime
    business_seconds: int = Field(ge=0)
    category: Category | None = None


class FirstResponseMeasured(Event):
    """KPI: how long a ticket waited for its first agent response, in business time."""

    type: Literal["FirstResponseMeasured"] = "FirstResponseMeasured"
    data: FirstResponseMeasuredData


# --- notifications -----------------------------------------------------------


class NotificationOutcomeData(Frozen):
    notification_id: str
    kind: str
    recipient: str
    source_event_id: str
    attempts: int = Field(ge=1)
    reason: str | None = None


class NotificationSent(Event):
    type: Literal["NotificationSent"] = "NotificationSent"
    data: NotificationOutcomeData


class NotificationFailed(Event):
    type: Literal["NotificationFailed"] = "NotificationFailed"
    data: NotificationOutcomeData


class NotificationBouncedData(Frozen):
    recipient: str = Field(min_length=1, max_length=320)
    status: str = Field(default="", max_length=32, description="the enhanced status code, e.g. 5.1.1")
    diagnostic: str = Field(default="", max_length=2000, description="the remote server's words")
    message_id: str = Field(min_length=1, max_length=998, description="the Message-ID of the mail that came back")


class NotificationBounced(Event):
    """A mail the desk sent about the ticket came back undelivered (a delivery status notification)."""

    type: Literal["NotificationBounced"] = "NotificationBounced"
    data: NotificationBouncedData


# --- dead letters ------------------------------------------------------------


class DeadLetteredData(Frozen):
    consumer: str = Field(description="which reader gave up")
    source_topic: str
    source_partition: int | None = None
    source_offset: int | None = None
    key: str | None = None
    payload: str = Field(description="the original message as text")
    reason: str
    attempts: int = Field(ge=1)


class DeadLettered(Event):
    type: Literal["DeadLettered"] = "DeadLettered"
    data: DeadLetteredData

    @classmethod
    def for_record(
        cls,
        record,
        *,
        consumer: str,
        reason: str,
        attempts: int,
        actor: Actor,
        occurred_at: datetime,
        event_id: uuid.UUID,
    ) -> DeadLettered:
        """The letter for a Kafka record a reader gives up on (``record``: topic, partition, offset, key, value).

        The caller derives ``event_id`` from the record's position, so a redelivered bad record makes the same letter.
        """
        return cls.create(
            data=DeadLetteredData(
                consumer=consumer,
                source_topic=record.topic,
                source_partition=record.partition,
                source_offset=record.offset,
                key=record.key.decode("utf-8", "replace") if record.key else None,
                payload=record.value.decode("utf-8", "replace") if record.value else "",
                reason=reason[:2000],
                attempts=attempts,
            ),
            actor=actor,
            occurred_at=occurred_at,
            event_id=event_id,
        )


TICKET_STREAM_TYPES: tuple[type[Event], ...] = (
    TicketSubmitted,
    CustomerReplied,
    AgentReplied,
    InternalNoteAdded,
    ClarificationRequested,
    TicketResolved,
    TicketReopened,
    TicketAssigned,
    ReturnLabelIssued,
    CourierClaimOpened,
    SlaDeadlineChanged,
    NotificationBounced,
)
OTHER_TYPES: tuple[type[Event], ...] = (
    OrderPlaced,
    SlaWarning,
    SlaBreached,
    FirstResponseMeasured,
    NotificationSent,
    NotificationFailed,
    DeadLettered,
)
ALL_EVENT_TYPES: tuple[type[Event], ...] = TICKET_STREAM_TYPES + OTHER_TYPES
EVENT_TYPES_BY_NAME: dict[str, type[Event]] = {t.model_fields["type"].default: t for t in ALL_EVENT_TYPES}

AnyEvent = Annotated[Union[tuple(ALL_EVENT_TYPES)], Field(discriminator="type")]  # type: ignore[valid-type]  # noqa: UP007
ANY_EVENT_ADAPTER: TypeAdapter[Event] = TypeAdapter(AnyEvent)
