"""SQL migrations on the real PostgreSQL: applied once, recorded, guarded."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest

from soporte.platform.migrations import MigrationError, apply_migrations, load_migrations


@pytest.fixture
def migrations_dir(tmp_path):
    folder = tmp_path / "migrations"
    folder.mkdir()
    (folder / "0001_create_widgets.sql").write_text(
        "CREATE SCHEMA IF NOT EXISTS demo; CREATE TABLE demo.widgets (id int PRIMARY KEY, name text NOT NULL);"
    )
    (folder / "0002_add_colour.sql").write_text("ALTER TABLE demo.widgets ADD COLUMN colour text;")
    return folder


async def test_migrations_apply_once_and_twice_is_a_no_op(pg_dsn, migrations_dir):
    conn = await asyncpg.connect(pg_dsn)
    try:
        first = await apply_migrations(conn, "demo", migrations_dir)
        assert [m.version for m in first] == [1, 2]
        await conn.execute("INSERT INTO demo.widgets (id, name, colour) VALUES (1, 'lcd', 'black')")
        second = await apply_migrations(conn, "demo", migrations_dir)
        assert second == []
        assert await conn.fetchval("SELECT count(*) FROM demo.widgets") == 1
        recorded = await conn.fetch("SELECT service, version, name FROM soporte_migrations ORDER BY version")
        assert [tuple(r) for r in recorded] == [("demo", 1, "create_widgets"), ("demo", 2, "add_colour")]
    finally:
        await conn.close()


async def test_a_new_migration_is_applied_alone(pg_dsn, migrations_dir):
    conn = await asyncpg.connect(pg_dsn)
    try:
        await apply_migrations(conn, "demo", migrations_dir)
        (migrations_dir / "0003_index_names.sql").write_text("CREATE INDEX widgets_name ON demo.widgets (name);")
        assert [m.version for m in await apply_migrations(conn, "demo", migrations_dir)] == [3]
    finally:
        await conn.close()


async def test_concurrent_starts_apply_each_migration_once(pg_dsn, migrations_dir):
    conns = [await asyncpg.connect(pg_dsn) for _ in range(3)]
    try:
        results = await asyncio.gather(*(apply_migrations(c, "demo", migrations_dir) for c in conns))
        assert sorted(len(r) for r in results) == [0, 0, 2]
    finally:
        for conn in conns:
            await conn.close()


async def test_an_edited_applied_migration_is_refused(pg_dsn, migrations_dir):
    conn = await asyncpg.connect(pg_dsn)
    try:
        await apply_migrations(conn, "demo", migrations_dir)
        (migrations_dir / "0002_add_colour.sql").write_text("ALTER TABLE demo.widgets ADD COLUMN color text;")
        with pytest.raises(MigrationError, match="changed after it was applied"):
            await apply_migrations(conn, "demo", migrations_dir)
    finally:
        await conn.close()


async def test_a_failing_migration_leaves_nothing_half_applied(pg_dsn, migrations_dir):
    (migrations_dir / "0003_broken.sql").write_text("CREATE TABLE demo.gadgets (id int); SELECT no_such_function();")
    conn = await asyncpg.connect(pg_dsn)
    try:
        with pytest.raises(asyncpg.PostgresError):
            await apply_migrations(conn, "demo", migrations_dir)
        assert await conn.fetchval("SELECT to_regclass('demo.widgets')") is None
        assert await conn.fetchval("SELECT to_regclass('soporte_migrations')") is None
    finally:
        await conn.close()


def test_misnamed_migration_files_are_an_error(tmp_path):
    (tmp_path / "1_oops.sql").write_text("SELECT 1;")
    with pytest.raises(MigrationError, match="NNNN_lower_case.sql"):
        load_migrations(tmp_path)
