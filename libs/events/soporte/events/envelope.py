"""The envelope every Soporte event shares, and the small value types events carry."""

from __future__ import annotations

import secrets
import uuid
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, ClassVar

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

# Namespace for ids derived from content (escalations, notifications): a replay
# derives the same id, so consumers can dedupe on it.
SOPORTE_NAMESPACE = uuid.UUID("6f0a4e8e-3c1b-4d7e-9a51-2b8f0c7d9e10")

_TICKET_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32: no I, L, O, U


def new_ticket_id() -> str:
    """A short, human-friendly ticket number such as ``T-7F3K2M9QXA`` (50 random bits)."""
    return "T-" + "".join(secrets.choice(_TICKET_ALPHABET) for _ in range(10))


def deterministic_id(*parts: object) -> uuid.UUID:
    """A UUIDv5 from the given parts: the same parts give the same id on every replay."""
    return uuid.uuid5(SOPORTE_NAMESPACE, "|".join(str(p) for p in parts))


class Frozen(BaseModel):
    """Base of every contract model: immutable, unknown fields rejected."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class ActorKind(StrEnum):
    CUSTOMER = "customer"
    GUEST = "guest"
    AGENT = "agent"
    SYSTEM = "system"


class Actor(Frozen):
    """Who caused an event: a signed-in customer, a guest, an agent or the system."""

    kind: ActorKind
    id: str = Field(min_length=1, max_length=200)
    name: str | None = Field(default=None, max_length=200)


class Language(StrEnum):
    ES = "es"
    EN = "en"


class Channel(StrEnum):
    """Where a ticket came from; phone and chat tickets are opened by an agent."""

    WEB = "web"
    PHONE = "phone"
    CHAT = "chat"
    EMAIL = "email"


class Category(StrEnum):
    """Kinds of questions the shop takes (seed: pre-sales, LCD diagnosis, troubleshooting...)."""

    PRE_SALES = "pre_sales"
    LCD_DIAGNOSIS = "lcd_diagnosis"
    TROUBLESHOOTING = "troubleshooting"
    DAMAGED_ITEM = "damaged_item"
    WRONG_ITEM = "wrong_item"
    ORDER_STATUS = "order_status"
    RETURN_REQUEST = "return_request"
    OTHER = "other"


class Priority(StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


class AttachmentRef(Frozen):
    """A stored file, referenced by content hash; the bytes never travel in events."""

    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    filename: str = Field(min_length=1, max_length=255, description="display name only, never a path")
    content_type: str = Field(max_length=100)
    size: int = Field(ge=0)


class FileRefusal(StrEnum):
    """Why a file that came with a ticket or message was not kept (the codes of the form's refusals)."""

    FILE_TYPE = "file-type"  # not a photo, PDF, plain text or video, judged by its bytes
    FILE_TOO_LARGE = "file-too-large"
    TOTAL_TOO_LARGE = "total-too-large"
    TOO_MANY_FILES = "too-many-files"
    FILE_NAME = "file-name"  # a name with path tricks or invisible characters


class RefusedFile(Frozen):
    """A file sent (by mail) that the desk did not keep: its name, made safe to show, and why. No bytes."""

    filename: str = Field(min_length=1, max_length=255)
    reason: FileRefusal


class Event(Frozen):
    """The envelope. Subclasses pin ``type`` to a literal and ``data`` to their payload.

    ``ticket_id``/``version`` place a ticket event in its ticket's stream
    (version counts from 1); events outside a ticket stream (orders) leave
    them empty.
    """

    SCHEMA_VERSION: ClassVar[int] = 1

    event_id: uuid.UUID
    type: str
    schema_version: int = 1
    ticket_id: str | None = None
    version: int | None = Field(default=None, ge=1)
    occurred_at: AwareDatetime
    actor: Actor
    correlation_id: uuid.UUID
    causation_id: uuid.UUID | None = None
    data: Any

    @field_validator("occurred_at")
    @classmethod
    def _to_utc(cls, value: datetime) -> datetime:
        return value.astimezone(UTC)

    @classmethod
    def create(
        cls,
        *,
        data: Any,
        actor: Actor,
        occurred_at: datetime,
        ticket_id: str | None = None,
        version: int | None = None,
        correlation_id: uuid.UUID | None = None,
        causation_id: uuid.UUID | None = None,
        event_id: uuid.UUID | None = None,
    ) -> Event:
        """Build an event of this type with a fresh id (or the given one) at its current schema version."""
        event_id = event_id or uuid.uuid4()
        return cls(
            event_id=event_id,
            type=cls.model_fields["type"].default,
            schema_version=cls.SCHEMA_VERSION,
            ticket_id=ticket_id,
            version=version,
            occurred_at=occurred_at,
            actor=actor,
            correlation_id=correlation_id or event_id,
            causation_id=causation_id,
            data=data,
        )


def files_of(event: Event) -> list[AttachmentRef]:
    """Every stored file an event refers to: its attachments, and a return label's printable label."""
    data = event.data
    files = list(getattr(data, "attachments", None) or [])
    label = getattr(data, "label", None)
    return [*files, label] if isinstance(label, AttachmentRef) else files
