"""One contract for every ``Positions`` implementation: the PostgreSQL table and the in-memory fake."""

from __future__ import annotations

import asyncpg
import pytest

from soporte.platform.positions import MemoryPositions, PostgresPositions
from tests.support import isolation

pytestmark = pytest.mark.integration


@pytest.fixture(params=["memory", "postgres"])
async def store(request):
    """(positions, connection) for each implementation; the PostgreSQL one gets a fresh database."""
    if request.param == "memory":
        yield MemoryPositions(), None
        return
    admin_url = request.getfixturevalue("infra").database_url
    dsn = await isolation.create_database(admin_url)
    conn = await asyncpg.connect(dsn)
    positions = PostgresPositions("public.positions")
    await positions.ensure(conn)
    await positions.ensure(conn)  # idempotent
    try:
        yield positions, conn
    finally:
        await conn.close()
        await isolation.drop_database(admin_url, dsn)


async def test_nothing_is_stored_at_first(store):
    positions, conn = store
    assert await positions.load(conn, ["a"]) == {}


async def test_advance_stores_per_partition_and_load_filters_by_topic(store):
    positions, conn = store
    await positions.advance(conn, {("a", 0): 5, ("a", 1): 2, ("b", 0): 9})
    assert await positions.load(conn, ["a"]) == {("a", 0): 5, ("a", 1): 2}
    assert await positions.load(conn, ["a", "b"]) == {("a", 0): 5, ("a", 1): 2, ("b", 0): 9}


async def test_a_position_never_moves_back(store):
    positions, conn = store
    await positions.advance(conn, {("a", 0): 5})
    await positions.advance(conn, {("a", 0): 3})
    await positions.advance(conn, {})
    assert await positions.load(conn, ["a"]) == {("a", 0): 5}
    await positions.advance(conn, {("a", 0): 8})
    assert await positions.load(conn, ["a"]) == {("a", 0): 8}
