"""The projection under the shared tracked reader, with in-memory positions and rows (no broker, no database):
a whole fetch folds to the same rows as one record at a time, and records read again change nothing."""

from __future__ import annotations

import contextlib

import pytest
from aiokafka import TopicPartition
from aiokafka.structs import ConsumerRecord

from soporte.businesstime import BusinessCalendar
from soporte.events import encode
from soporte.platform.positions import MemoryPositions
from soporte.platform.projection import ReaderSettings, ReseekRequired
from soporte.platform.reader import TrackedReader
from soporte.projections.adapters.tables import GenerationGuard, LivePositions
from soporte.projections.adapters.writer import ReadModelProjection
from soporte.projections.domain.projection import Changes
from soporte.ticketrules import SlaPolicies, SlaRules
from tests.support.samples import T0, sample_events
from tests.support.scenario import HOUR, MINUTE, Stream

RULES = SlaRules(BusinessCalendar.always_open(), SlaPolicies())
TP = TopicPartition("tickets.events.v1", 0)


class MemoryStore:
    """The read models in dicts, keyed as the tables are (a row already there is left alone; tickets replaced)."""

    def __init__(self) -> None:
        self.tickets, self.escalations, self.rows = {}, {}, {}

    async def load(self, conn, ticket_ids):
        tickets = {i: self.tickets[i] for i in ticket_ids if i in self.tickets}
        return tickets, {i: [e for e in self.escalations.values() if e.ticket_id == i] for i in ticket_ids}

    async def write(self, conn, changes: Changes) -> None:
        for stored in changes.tickets:
            self.tickets[stored.view.ticket_id] = stored
        for escalation in changes.escalations:
            self.escalations.setdefault(escalation.event_id, escalation)
        keys = {"timeline": ("ticket_id", "version"), "messages": ("ticket_id", "version")}
        keys |= {"first_responses": ("ticket_id",), "notifications": ("event_id",)}
        for table, key in keys.items():
            for row in getattr(changes, table):
                self.rows.setdefault((table, *(getattr(row, name) for name in key)), row)

    def snapshot(self) -> tuple:
        return self.tickets, self.escalations, self.rows


class NoProducer:
    async def send_and_wait(self, topic, value, key=None):
        raise AssertionError("nothing here is dead-lettered")


def reader(store: MemoryStore, positions: MemoryPositions) -> TrackedReader:
    settings = ReaderSettings("unused:9092", [TP.topic], "deadletters", retry_base_seconds=0)
    projection = ReadModelProjection(store, RULES)
    return TrackedReader(projection, positions, contextlib.nullcontext, NoProducer(), settings, now=lambda: T0)


def desk_records() -> list[ConsumerRecord]:
    """Two tickets' histories and every other topic's records, as one partition's records."""
    a, b = Stream(), Stream()
    events = [
        a.submitted(T0),
        b.submitted(T0 + MINUTE, missing=("photo_of_item",)),
        a.clarification(T0 + 5 * MINUTE),
        b.agent_replied(T0 + 6 * MINUTE),
        a.customer_replied(T0 + HOUR),
        b.resolved(T0 + 2 * HOUR),
        *[e for e in sample_events() if e.ticket_id],
    ]
    return [record(offset, encode(e)) for offset, e in enumerate(events)]


def record(offset: int, value: bytes) -> ConsumerRecord:
    return ConsumerRecord(TP.topic, TP.partition, offset, 0, 0, b"T", value, None, 1, len(value), [])


async def test_a_whole_fetch_folds_to_the_rows_of_one_record_at_a_time():
    records = desk_records()
    batched, one_by_one = MemoryStore(), MemoryStore()
    positions = MemoryPositions()
    assert await reader(batched, positions).apply_records(TP, records) == len(records)
    assert positions.next_offsets == {(TP.topic, 0): len(records)}
    single = reader(one_by_one, MemoryPositions())
    for record in records:
        await single.apply_records(TP, [record])
    assert batched.snapshot() == one_by_one.snapshot()
    assert len(batched.tickets) == 3 and len(batched.escalations) == 2


async def test_records_read_again_change_nothing_whether_the_position_stops_them_or_not():
    records = desk_records()
    store, positions = MemoryStore(), MemoryPositions()
    await reader(store, positions).apply_records(TP, records)
    once = MemoryStore()
    once.tickets, once.escalations, once.rows = dict(store.tickets), dict(store.escalations), dict(store.rows)

    # A restarted reader seeks to the stored position: a fetch that raced the seek hands the records back.
    again = reader(store, positions)
    again.next_offsets = dict(positions.next_offsets)
    assert await again.apply_records(TP, records) == 0
    # Replayed from the start under new positions: the fold itself keeps every row as it was.
    assert await reader(store, MemoryPositions()).apply_records(TP, records) == len(records)
    assert store.snapshot() == once.snapshot()


class GenerationRow:
    """A connection that only knows ``projections.generation`` and records the positions written."""

    def __init__(self) -> None:
        self.generation, self.positions_written = 0, []

    async def fetchval(self, sql: str, *args):
        assert "projections.generation" in sql
        return self.generation

    async def executemany(self, sql: str, rows) -> None:
        self.positions_written += rows


class Letters:
    def __init__(self) -> None:
        self.sent = []

    async def send_and_wait(self, topic, value, key=None):
        self.sent.append(value)


async def test_after_a_swap_the_live_reader_moves_no_position_not_even_a_dead_letters():
    conn, letters, store = GenerationRow(), Letters(), MemoryStore()
    guard = GenerationGuard(pool=None)
    settings = ReaderSettings("unused:9092", [TP.topic], "deadletters", retry_base_seconds=0)
    projection = ReadModelProjection(store, RULES, generation=guard)

    def in_transaction():
        return contextlib.nullcontext(conn)

    live = TrackedReader(projection, LivePositions(guard), in_transaction, letters, settings, now=lambda: T0)
    await guard.remember(conn)
    conn.generation += 1  # a rebuild swapped its tables in

    good = desk_records()[0]
    with pytest.raises(ReseekRequired):
        await live.apply_records(TP, [good])
    with pytest.raises(ReseekRequired):
        await live.apply_records(TP, [record(1, b"not an event")])
    assert conn.positions_written == [] and store.tickets == {}
    assert len(letters.sent) == 1  # sent before the move failed; read again, the same record gets the same letter id
