"""The one reader loop, driven record by record with fakes (no broker, no database): what is applied,
skipped, retried and dead-lettered, and where the position ends."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass

import asyncpg
import pytest
from aiokafka import TopicPartition

from soporte.events import decode, encode
from soporte.platform.positions import MemoryPositions
from soporte.platform.projection import UNAVAILABLE, ReaderSettings, transaction_on
from soporte.platform.reader import TrackedReader
from tests.support.samples import T0, sample_events

TP = TopicPartition("tickets", 0)


@dataclass
class Record:
    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes


class FakeProducer:
    def __init__(self) -> None:
        self.sent: list[tuple[str, bytes]] = []

    async def send_and_wait(self, topic, value, key=None):
        self.sent.append((topic, value))


class Recording:
    """A projection that records what it was handed; ``fail_on`` offsets raise (``times`` times each)."""

    name = "test-reader"

    def __init__(self, fail_on=(), times=99, error=ValueError) -> None:
        self.handled: list[int] = []
        self.fail_on, self.times, self.error = set(fail_on), times, error
        self.failures: dict[int, int] = {}

    async def handle(self, conn, event, record) -> None:
        if record.offset in self.fail_on and self.failures.get(record.offset, 0) < self.times:
            self.failures[record.offset] = self.failures.get(record.offset, 0) + 1
            raise self.error(f"cannot apply offset {record.offset}")
        self.handled.append(record.offset)


def records(offsets, bad=()) -> list[Record]:
    events = sample_events()
    return [
        Record(TP.topic, TP.partition, o, b"T-1", b"{not json" if o in bad else encode(events[o % len(events)]))
        for o in offsets
    ]


def reader(projection, positions=None, producer=None) -> TrackedReader:
    settings = ReaderSettings("unused:9092", [TP.topic], "deadletters", retry_base_seconds=0)
    return TrackedReader(
        projection,
        positions or MemoryPositions(),
        contextlib.nullcontext,
        producer or FakeProducer(),
        settings,
        now=lambda: T0,
    )


async def test_records_are_applied_in_order_and_the_position_follows():
    projection, positions = Recording(), MemoryPositions()
    applied = await reader(projection, positions).apply_records(TP, records(range(4)))
    assert applied == 4
    assert projection.handled == [0, 1, 2, 3]
    assert positions.next_offsets == {(TP.topic, 0): 4}


async def test_a_record_handed_over_again_after_a_seek_is_neither_applied_nor_dead_lettered_again():
    # A rebalance's seek can race the first fetch: records below the stored position come back.
    projection, positions, producer = Recording(), MemoryPositions(), FakeProducer()
    tracked = reader(projection, positions, producer)
    await tracked.apply_records(TP, records(range(3), bad={1}))
    assert (projection.handled, len(producer.sent)) == ([0, 2], 1)
    await tracked.apply_records(TP, records(range(5), bad={1}))
    assert projection.handled == [0, 2, 3, 4]
    assert len(producer.sent) == 1
    assert positions.next_offsets[(TP.topic, 0)] == 5


async def test_an_undecodable_record_is_dead_lettered_with_its_position_then_passed():
    projection, positions, producer = Recording(), MemoryPositions(), FakeProducer()
    await reader(projection, positions, producer).apply_records(TP, records(range(3), bad={1}))
    assert projection.handled == [0, 2]
    [(topic, value)] = producer.sent
    letter = decode(value)
    assert topic == "deadletters"
    assert (letter.data.consumer, letter.data.source_offset, letter.data.attempts) == ("test-reader", 1, 1)
    assert letter.data.reason.startswith("undecodable")
    assert positions.next_offsets[(TP.topic, 0)] == 3


async def test_the_same_bad_record_gives_the_same_letter_id():
    first, second = FakeProducer(), FakeProducer()
    await reader(Recording(), producer=first).apply_records(TP, records([7], bad={7}))
    await reader(Recording(), producer=second).apply_records(TP, records([7], bad={7}))
    assert decode(first.sent[0][1]).event_id == decode(second.sent[0][1]).event_id


async def test_a_record_that_fails_once_is_retried_and_applied_and_its_batch_still_goes_through():
    projection = Recording(fail_on={1}, times=1)
    producer = FakeProducer()
    assert await reader(projection, producer=producer).apply_records(TP, records(range(3))) == 3
    assert sorted(projection.handled) == [0, 0, 1, 2]  # offset 0 was handled by the failed batch too (rolled back)
    assert producer.sent == []


async def test_a_record_that_keeps_failing_is_dead_lettered_after_its_attempts_and_the_rest_applied():
    projection, positions, producer = Recording(fail_on={1}), MemoryPositions(), FakeProducer()
    await reader(projection, positions, producer).apply_records(TP, records(range(3)))
    assert 1 not in projection.handled and 2 in projection.handled
    [(_, value)] = producer.sent
    assert decode(value).data.attempts == 3
    assert positions.next_offsets[(TP.topic, 0)] == 3


@pytest.mark.parametrize("error", [OSError, TimeoutError])
async def test_an_outage_is_not_the_records_fault_nothing_is_dead_lettered_and_the_position_stays(error):
    projection, positions, producer = Recording(fail_on={0}, error=error), MemoryPositions(), FakeProducer()
    with pytest.raises(error):
        await reader(projection, positions, producer).apply_records(TP, records(range(2)))
    assert producer.sent == []
    assert positions.next_offsets == {}


async def test_a_batch_projection_gets_a_whole_fetch_in_one_call():
    class Batched(Recording):
        def __init__(self) -> None:
            super().__init__()
            self.calls: list[list[int]] = []

        async def handle_batch(self, conn, items) -> None:
            self.calls.append([record.offset for _, record in items])

    projection = Batched()
    await reader(projection).apply_records(TP, records(range(5), bad={2}))
    assert projection.calls == [[0, 1], [3, 4]]


async def test_a_session_the_server_refuses_is_an_outage_never_the_records_fault():
    class RefusingPool:
        async def acquire(self):
            raise asyncpg.ObjectNotInPrerequisiteStateError('database "x" is not currently accepting connections')

    with pytest.raises(UNAVAILABLE):
        async with transaction_on(RefusingPool())():
            pass


class FakeConsumer:
    """Where a seek sent each partition (the broker is not needed to check what the reader asks for)."""

    def __init__(self) -> None:
        self.positions: dict[TopicPartition, int] = {}

    def seek(self, tp, offset) -> None:
        self.positions[tp] = offset

    async def seek_to_beginning(self, *partitions) -> None:
        for tp in partitions:
            self.positions[tp] = 0


class StaleReads(MemoryPositions):
    """Positions whose next load sees nothing yet: it ran before a commit of the reader's own landed."""

    def __init__(self) -> None:
        super().__init__()
        self.stale = False

    async def load(self, conn, topics):
        return {} if self.stale else await super().load(conn, topics)


async def test_an_assignment_that_read_the_positions_before_our_own_commit_does_not_redo_the_record():
    # The rebalance listener runs beside a round: it may read the positions just before the round's
    # dead letter moved them on, and seek after the round noted it. The record must not go out twice.
    positions, producer = StaleReads(), FakeProducer()
    tracked = reader(Recording(), positions, producer)
    tracked.consumer = FakeConsumer()
    await tracked.apply_records(TP, records([0], bad={0}))
    positions.stale = True
    await tracked.seek_to_stored([TP])
    assert tracked.consumer.positions[TP] == 1
    await tracked.apply_records(TP, records([0, 1], bad={0}))
    assert len(producer.sent) == 1


async def test_after_a_rebuild_swapped_the_positions_the_stored_ones_count_even_when_lower():
    positions = MemoryPositions()
    tracked = reader(Recording(), positions)
    tracked.consumer = FakeConsumer()
    await tracked.apply_records(TP, records(range(5)))
    positions.next_offsets.clear()  # a rebuild's fresh tables start over
    await tracked.seek_to_stored([TP], forget_known=True)
    assert tracked.consumer.positions[TP] == 0
    projection = Recording()
    tracked.projection = projection
    await tracked.apply_records(TP, records(range(2)))
    assert projection.handled == [0, 1]


async def test_records_fetched_before_the_assignments_seek_are_left_for_after_it():
    # A fetch races the listener's seek: what it brought is not applied, the seek fetches it again.
    projection, producer = Recording(), FakeProducer()
    tracked = reader(projection, producer=producer)
    tracked.consumer = FakeConsumer()

    async def fetch():
        return {TP: records([0, 1], bad={0})}

    assert await tracked._round(fetch) == 0
    assert (projection.handled, producer.sent) == ([], [])
    await tracked.seek_to_stored([TP])
    assert await tracked._round(fetch) == 1 and projection.handled == [1] and len(producer.sent) == 1


class Unreachable(MemoryPositions):
    """Positions behind a database that is away (or broken) for as long as the test wants."""

    def __init__(self, error: Exception) -> None:
        super().__init__()
        self.error, self.loads = error, 0

    async def load(self, conn, topics):
        self.loads += 1
        raise self.error


@pytest.mark.parametrize("error", [OSError("connection refused"), RuntimeError("relation does not exist")])
async def test_waiting_for_the_stored_positions_ends_when_the_reader_is_stopped(error):
    positions = Unreachable(error)
    tracked = reader(Recording(), positions)
    tracked.consumer, tracked.stop = FakeConsumer(), asyncio.Event()
    tracked.settings.outage_pause_seconds = 0.01
    waiting = asyncio.create_task(tracked.on_partitions_assigned([TP]))
    while positions.loads < 3:  # any error keeps it waiting (reading on from elsewhere could skip records)
        await asyncio.sleep(0.01)
    assert not waiting.done() and tracked.failing
    tracked.stop.set()
    await asyncio.wait_for(waiting, timeout=5)
    assert TP not in tracked.consumer.positions
