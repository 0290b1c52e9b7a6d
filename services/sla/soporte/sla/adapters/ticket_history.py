"""Ticket histories read back from the ticket topic (unlimited retention: it is the record of everything).

For operator commands that replay events through the clock rules: one ticket's
events (read from the one partition its key maps to) or every ticket's.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

from aiokafka import TopicPartition
from aiokafka.partitioner import DefaultPartitioner

from soporte.events import TICKET_EVENTS, Event, UndecodableEvent, decode
from soporte.events import types as t

from .topics import assigned_consumer, read_until_caught_up


async def ticket_stream_events(
    bootstrap: str, prefix: str, *, ticket_id: str | None = None, progress: Callable[[int, int], None] | None = None
) -> AsyncIterator[Event]:
    """The ticket-stream events on the topic now (one ticket's with ``ticket_id``), in topic order.

    ``progress(read, total)`` is called every few thousand records. Undecodable records are skipped: the
    readers of the topic dead-letter them.
    """
    consumer = await assigned_consumer(bootstrap, TICKET_EVENTS.name(prefix), client_id="soporte-sla-history")
    try:
        if ticket_id is not None:
            partitions = sorted(consumer.assignment(), key=lambda tp: tp.partition)
            mine = DefaultPartitioner()(ticket_id.encode(), [tp.partition for tp in partitions], [])
            consumer.assign([TopicPartition(partitions[0].topic, mine)])
            await consumer.seek_to_beginning()
        ends = await consumer.end_offsets(list(consumer.assignment()))
        starts = await consumer.beginning_offsets(list(consumer.assignment()))
        total, read = sum(ends[tp] - starts[tp] for tp in ends), 0
        async for record in read_until_caught_up(consumer):
            read += 1
            if progress is not None and (read % 5000 == 0 or read == total):
                progress(read, total)
            if ticket_id is not None and record.key != ticket_id.encode():
                continue
            try:
                event = decode(record.value)
            except UndecodableEvent:
                continue
            if isinstance(event, t.TICKET_STREAM_TYPES):
                yield event
    finally:
        await consumer.stop()
