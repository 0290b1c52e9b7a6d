"""Does every ticket on the ticket topic have an up-to-date clock? Read from Kafka, not from a worker.

:func:`audit_clocks` reads the ticket topic and the clocks changelog topic from their beginning to
their ends at call time (no consumer group: it moves nothing and commits nothing). A ticket is

- *without a clock* when the changelog has no live value under its id (never written, or a tombstone);
  the latest value of a key counts per partition, and the highest ``last_version`` across partitions (an
  older processor could write a ticket's clock to another ticket's changelog partition);
- *behind* when its clock's ``last_version`` is lower than the highest version of the ticket's
  events on the ticket topic (the processor has not seen some of the ticket's events).

Only the ``last_version`` field of a changelog value is read: the rest of the value is the
processor's own business and may change. The ticket topic is read first, so a clock read after it
can only be as fresh or fresher than the events it is compared with; with ``wait_seconds`` what is
new on the changelog is read again until nothing is missing or the time is up, so a busy worker a
moment behind is not reported.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from aiokafka import TopicPartition

from soporte.events import TICKET_STREAM_TYPES, UndecodableEvent, decode

from .topics import read_topic

PROGRESS_EVERY = 5000  # records between two progress lines


@dataclass
class ClockAudit:
    """What the audit found; ``ok`` when every ticket has a clock that has seen its last event."""

    tickets: dict[str, int] = field(default_factory=dict)  # ticket id -> highest version on the ticket topic
    latest: dict[str, dict[int, int | None]] = field(default_factory=dict)  # id -> partition -> last_version/None
    undecodable: int = 0  # ticket topic records that are not events (the processor dead-letters them)

    @property
    def clocks(self) -> dict[str, int]:
        """Ticket id -> ``last_version`` of its clock, for the ids with a live value."""
        return {
            ticket: max(live)
            for ticket, by_partition in self.latest.items()
            if (live := [v for v in by_partition.values() if v is not None])
        }

    @property
    def without_clock(self) -> list[str]:
        clocks = self.clocks
        return sorted(ticket for ticket in self.tickets if ticket not in clocks)

    @property
    def behind(self) -> dict[str, tuple[int, int]]:
        """Ticket id -> (clock's last version, ticket's last version), for clocks that missed events."""
        clocks = self.clocks
        return {
            ticket: (clocks[ticket], version)
            for ticket, version in sorted(self.tickets.items())
            if ticket in clocks and clocks[ticket] < version
        }

    @property
    def ok(self) -> bool:
        return not self.without_clock and not self.behind


async def audit_clocks(
    bootstrap: str,
    tickets_topic: str,
    changelog_topic: str,
    *,
    wait_seconds: float = 0.0,
    progress: Callable[[str], None] = lambda _: None,
    client_id: str = "soporte-sla-audit",
) -> ClockAudit:
    """Compare the tickets on ``tickets_topic`` with the clocks on ``changelog_topic``."""
    audit = ClockAudit()
    read = 0
    async for record in read_topic(bootstrap, tickets_topic, client_id=client_id):
        read += 1
        if read % PROGRESS_EVERY == 0:
            progress(f"{tickets_topic}: {read} records read, {len(audit.tickets)} tickets")
        try:
            event = decode(record.value)
        except UndecodableEvent:
            audit.undecodable += 1
            continue
        # The same filter as the processor's: only ticket stream events with a version move a clock.
        if isinstance(event, TICKET_STREAM_TYPES) and event.ticket_id is not None and event.version is not None:
            audit.tickets[event.ticket_id] = max(audit.tickets.get(event.ticket_id, 0), event.version)
    progress(f"{tickets_topic}: {read} records read, {len(audit.tickets)} tickets")

    positions: dict[TopicPartition, int] = {}
    deadline = time.monotonic() + wait_seconds
    while True:
        read = await _read_clocks(bootstrap, changelog_topic, client_id, positions, audit, progress)
        progress(
            f"{changelog_topic}: {read} records read, {len(audit.clocks)} clocks; "
            f"{len(audit.without_clock)} tickets without a clock, {len(audit.behind)} behind"
        )
        if audit.ok or time.monotonic() >= deadline:
            return audit
        await asyncio.sleep(min(1.0, max(deadline - time.monotonic(), 0.0)))


async def _read_clocks(
    bootstrap: str,
    topic: str,
    client_id: str,
    positions: dict[TopicPartition, int],
    audit: ClockAudit,
    progress: Callable[[str], None],
) -> int:
    """Fold what is new on the changelog into ``audit.latest`` (per partition, the latest value of a key wins)."""
    read = 0
    async for record in read_topic(bootstrap, topic, client_id=client_id, positions=positions):
        read += 1
        if read % PROGRESS_EVERY == 0:
            progress(f"{topic}: {read} records read, {len(audit.latest)} keys")
        if record.key is None:
            continue
        ticket_id = json.loads(record.key)  # faust's JSON key serializer: the id as a JSON string
        # A tombstone (no value) deletes the key; only the last_version field of a value is read.
        version = None if record.value is None else int(json.loads(record.value)["last_version"])
        audit.latest.setdefault(ticket_id, {})[record.partition] = version
    return read
