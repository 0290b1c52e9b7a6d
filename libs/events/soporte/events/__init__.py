"""soporte.events — the one contract every Soporte service shares.

Envelope and event types (frozen pydantic models, a union discriminated by
``type``), the JSON codec used by aiokafka and faust alike, topic specs, JSON
Schema export and upcasters.
"""

from .codec import UndecodableEvent, decode, encode, event_key, from_dict, to_dict
from .envelope import (
    Actor,
    ActorKind,
    AttachmentRef,
    Category,
    Channel,
    Event,
    FileRefusal,
    Language,
    Priority,
    RefusedFile,
    deterministic_id,
    files_of,
    new_ticket_id,
)
from .topics import (
    ALL_TOPICS,
    DEAD_LETTERS,
    NOTIFICATION_OUTCOMES,
    SHOP_ORDERS,
    SLA_ESCALATIONS,
    SLA_KPIS,
    SLA_REPORTS,
    TICKET_EVENTS,
    TopicSpec,
)
from .types import *  # noqa: F403  (the event types are the public API)
from .types import ALL_EVENT_TYPES, ANY_EVENT_ADAPTER, EVENT_TYPES_BY_NAME, TICKET_STREAM_TYPES, AnyEvent

__all__ = [
    "ALL_EVENT_TYPES",
    "ALL_TOPICS",
    "ANY_EVENT_ADAPTER",
    "Actor",
    "ActorKind",
    "AnyEvent",
    "AttachmentRef",
    "Category",
    "Channel",
    "DEAD_LETTERS",
    "EVENT_TYPES_BY_NAME",
    "Event",
    "FileRefusal",
    "Language",
    "NOTIFICATION_OUTCOMES",
    "Priority",
    "RefusedFile",
    "SHOP_ORDERS",
    "SLA_ESCALATIONS",
    "SLA_KPIS",
    "SLA_REPORTS",
    "TICKET_EVENTS",
    "TICKET_STREAM_TYPES",
    "TopicSpec",
    "UndecodableEvent",
    "decode",
    "deterministic_id",
    "encode",
    "event_key",
    "files_of",
    "from_dict",
    "new_ticket_id",
    "to_dict",
]
