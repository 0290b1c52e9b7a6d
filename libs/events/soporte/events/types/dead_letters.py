"""Records a reader gave up on (``tickets.deadletter.v1``)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import Field

from ..envelope import Actor, Event, Frozen

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
