"""Dead letters: a record a reader gives up on goes to the dead-letter topic, whole, with the reason.

The letter's id is derived from the record's place (reader, topic, partition,
offset), so a letter sent again (a crash between the send and the position's
commit) is the same letter, and readers of the dead-letter topic dedupe it.
The caller moves its position past the record only once ``send`` returned.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from aiokafka import AIOKafkaProducer
from prometheus_client import CollectorRegistry, Counter

from soporte.events import Actor, ActorKind, deterministic_id, encode
from soporte.events import types as t

from .logging import get_logger

log = get_logger(__name__)


class DeadLetters:
    """Letters of one reader (``reader_name``) on ``topic``, counted in ``soporte_<reader>_dead_lettered_total``."""

    def __init__(
        self,
        producer: AIOKafkaProducer,
        topic: str,
        reader_name: str,
        *,
        now: Callable[[], datetime],
        registry: CollectorRegistry,
    ) -> None:
        self.producer, self.topic, self.reader_name, self.now = producer, topic, reader_name, now
        self.actor = Actor(kind=ActorKind.SYSTEM, id=reader_name)
        metric = f"soporte_{reader_name.replace('-', '_')}_dead_lettered_total"
        self.sent = Counter(metric, "Records given up on", registry=registry)

    async def send(self, record: Any, reason: str, attempts: int) -> None:
        """Put ``record`` on the dead-letter topic and wait until the broker has it."""
        letter = t.DeadLettered.for_record(
            record,
            consumer=self.reader_name,
            reason=reason,
            attempts=attempts,
            actor=self.actor,
            occurred_at=self.now(),
            event_id=deterministic_id(f"{self.reader_name}-dead-letter", record.topic, record.partition, record.offset),
        )
        await self.producer.send_and_wait(self.topic, encode(letter), key=record.key)
        self.sent.inc()
        log.warning(
            "record dead-lettered",
            reader=self.reader_name,
            topic=record.topic,
            offset=record.offset,
            reason=reason[:300],
        )
