"""Every event type of Soporte, each a frozen model; ``AnyEvent`` is their union by ``type``.

Ticket stream events (``tickets.events.v1``) carry ``ticket_id`` and ``version``.
Events past tense, payload fields named for what they are. One module per topic.
"""

from __future__ import annotations

from typing import Annotated, Union

from pydantic import Field, TypeAdapter

from ..envelope import Event
from .access import AccessLinkRequested, AccessLinkRequestedData
from .common import ShortText, Text
from .dead_letters import DeadLettered, DeadLetteredData
from .notifications import NotificationFailed, NotificationOutcomeData, NotificationSent
from .orders import OrderItem, OrderPlaced, OrderPlacedData
from .reports import SlaWeekSummarized, SlaWeekSummarizedData, WorstTicket
from .sla import EscalationData, FirstResponseMeasured, FirstResponseMeasuredData, SlaBreached, SlaWarning
from .tickets import (
    Actionability,
    AgentReplied,
    ClarificationRequested,
    ClarificationRequestedData,
    CourierClaimOpened,
    CourierClaimOpenedData,
    CustomerMessageData,
    CustomerRef,
    CustomerReplied,
    InternalNoteAdded,
    MessageData,
    NotificationBounced,
    NotificationBouncedData,
    ReopenReason,
    ReturnLabelIssued,
    ReturnLabelIssuedData,
    SlaClock,
    SlaDeadlineChanged,
    SlaDeadlineChangedData,
    TicketAssigned,
    TicketAssignedData,
    TicketLinksRevoked,
    TicketLinksRevokedData,
    TicketReopened,
    TicketReopenedData,
    TicketResolved,
    TicketResolvedData,
    TicketSubmitted,
    TicketSubmittedData,
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
    TicketLinksRevoked,
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
    AccessLinkRequested,
    SlaWeekSummarized,
)
ALL_EVENT_TYPES: tuple[type[Event], ...] = TICKET_STREAM_TYPES + OTHER_TYPES
EVENT_TYPES_BY_NAME: dict[str, type[Event]] = {t.model_fields["type"].default: t for t in ALL_EVENT_TYPES}

AnyEvent = Annotated[Union[tuple(ALL_EVENT_TYPES)], Field(discriminator="type")]  # type: ignore[valid-type]  # noqa: UP007
ANY_EVENT_ADAPTER: TypeAdapter[Event] = TypeAdapter(AnyEvent)

__all__ = [
    "ALL_EVENT_TYPES",
    "ANY_EVENT_ADAPTER",
    "AccessLinkRequested",
    "AccessLinkRequestedData",
    "Actionability",
    "AgentReplied",
    "AnyEvent",
    "ClarificationRequested",
    "ClarificationRequestedData",
    "CourierClaimOpened",
    "CourierClaimOpenedData",
    "CustomerMessageData",
    "CustomerRef",
    "CustomerReplied",
    "DeadLettered",
    "DeadLetteredData",
    "EVENT_TYPES_BY_NAME",
    "EscalationData",
    "FirstResponseMeasured",
    "FirstResponseMeasuredData",
    "InternalNoteAdded",
    "MessageData",
    "NotificationBounced",
    "NotificationBouncedData",
    "NotificationFailed",
    "NotificationOutcomeData",
    "NotificationSent",
    "OTHER_TYPES",
    "OrderItem",
    "OrderPlaced",
    "OrderPlacedData",
    "ReopenReason",
    "ReturnLabelIssued",
    "ReturnLabelIssuedData",
    "ShortText",
    "SlaBreached",
    "SlaClock",
    "SlaDeadlineChanged",
    "SlaDeadlineChangedData",
    "SlaWarning",
    "SlaWeekSummarized",
    "SlaWeekSummarizedData",
    "TICKET_STREAM_TYPES",
    "Text",
    "TicketAssigned",
    "TicketAssignedData",
    "TicketLinksRevoked",
    "TicketLinksRevokedData",
    "TicketReopened",
    "TicketReopenedData",
    "TicketResolved",
    "TicketResolvedData",
    "TicketSubmitted",
    "TicketSubmittedData",
    "WorstTicket",
]
