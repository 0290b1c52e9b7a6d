"""One contract for every event store: the in-memory one the service-layer tests use, and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

import asyncpg
import pytest

from soporte.intake.adapters.event_store import PostgresEventStore
from soporte.intake.adapters.memory import InMemoryEventStore
from soporte.intake.bootstrap import MIGRATIONS
from soporte.intake.domain.tickets import ConcurrencyConflict
from soporte.platform.migrations import migrate
from tests.support import isolation
from tests.support.scenario import PHOTO, Stream

pytestmark = pytest.mark.integration
NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


@pytest.fixture(params=["memory", "postgres"])
async def store(request):
    """An empty event store of each kind; the PostgreSQL one on a fresh, migrated database."""
    if request.param == "memory":
        yield InMemoryEventStore()
        return
    admin_url = request.getfixturevalue("infra").database_url
    dsn = await isolation.create_database(admin_url)
    await migrate(dsn, "intake", MIGRATIONS)
    conn = await asyncpg.connect(dsn)
    try:
        yield PostgresEventStore(conn)
    finally:
        await conn.close()
        await isolation.drop_database(admin_url, dsn)


async def test_an_unknown_ticket_has_no_events(store):
    assert await store.load("T-NOBODYHERE") == []
    assert not await store.references_file(PHOTO.sha256)


async def test_appended_events_load_back_equal_and_in_version_order(store):
    stream = Stream()
    first = [stream.submitted(NOW), stream.note(NOW)]
    await store.append(stream.ticket_id, 0, first)
    then = [stream.clarification(NOW)]
    await store.append(stream.ticket_id, 2, then)
    assert await store.load(stream.ticket_id) == first + then
    assert [e.version for e in await store.load(stream.ticket_id)] == [1, 2, 3]


async def test_a_stale_expected_version_is_refused_with_the_current_one_and_appends_nothing(store):
    stream = Stream()
    await store.append(stream.ticket_id, 0, [stream.submitted(NOW)])
    late = [stream.note(NOW)]
    with pytest.raises(ConcurrencyConflict) as refused:
        await store.append(stream.ticket_id, 0, late)
    assert (refused.value.expected, refused.value.actual) == (0, 1)
    with pytest.raises(ConcurrencyConflict):
        await store.append(stream.ticket_id, 5, late)
    assert len(await store.load(stream.ticket_id)) == 1


async def test_tickets_are_streams_of_their_own(store):
    ana, bea = Stream(), Stream()
    await store.append(ana.ticket_id, 0, [ana.submitted(NOW)])
    await store.append(bea.ticket_id, 0, [bea.submitted(NOW), bea.resolved(NOW)])
    assert [e.ticket_id for e in await store.load(ana.ticket_id)] == [ana.ticket_id]
    assert len(await store.load(bea.ticket_id)) == 2


async def test_a_file_is_referenced_once_an_event_holds_it(store):
    stream = Stream()
    await store.append(stream.ticket_id, 0, [stream.submitted(NOW)])
    assert not await store.references_file(PHOTO.sha256)
    await store.append(stream.ticket_id, 1, [stream.customer_replied(NOW, attachments=[PHOTO])])
    assert await store.references_file(PHOTO.sha256)
    assert not await store.references_file("f" * 64)
