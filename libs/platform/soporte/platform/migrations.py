"""Plain versioned SQL migrations: ``NNNN_name.sql`` files applied once, recorded in a table.

Each service owns a folder of migrations. Applying is serialized with an
advisory lock, so two processes starting together do not race, and applying
twice is a no-op.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

import asyncpg

_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")
_LOCK_KEY = 0x50F0_27E5  # advisory lock id for "soporte migrations"


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode("utf-8")).hexdigest()


class MigrationError(RuntimeError):
    pass


def load_migrations(folder: Path) -> list[Migration]:
    """The migrations in ``folder``, in version order; a misnamed .sql file is an error."""
    found = []
    for path in sorted(folder.glob("*.sql")):
        match = _NAME.match(path.name)
        if not match:
            raise MigrationError(f"{path}: migration files are named NNNN_lower_case.sql")
        found.append(Migration(int(match[1]), match[2], path.read_text(encoding="utf-8")))
    versions = [m.version for m in found]
    if len(set(versions)) != len(versions):
        raise MigrationError(f"{folder}: two migrations share a version")
    return found


async def apply_migrations(conn: asyncpg.Connection, service: str, folder: Path) -> list[Migration]:
    """Apply the not-yet-applied migrations of ``service``; returns those applied now."""
    applied_now = []
    async with conn.transaction():
        # The lock comes first: concurrent CREATE TABLE IF NOT EXISTS can still collide.
        await conn.execute("SELECT pg_advisory_xact_lock($1)", _LOCK_KEY)
        await conn.execute(
            """
            CREATE TABLE IF NOT EXISTS soporte_migrations (
                service    text        NOT NULL,
                version    integer     NOT NULL,
                name       text        NOT NULL,
                checksum   text        NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT now(),
                PRIMARY KEY (service, version)
            )
            """
        )
        rows = await conn.fetch("SELECT version, checksum FROM soporte_migrations WHERE service = $1", service)
        done = {r["version"]: r["checksum"] for r in rows}
        for migration in load_migrations(folder):
            if migration.version in done:
                if done[migration.version] != migration.checksum:
                    raise MigrationError(
                        f"{service} migration {migration.version:04d}_{migration.name} changed after it was applied; "
                        "add a new migration instead"
                    )
                continue
            await conn.execute(migration.sql)
            await conn.execute(
                "INSERT INTO soporte_migrations (service, version, name, checksum) VALUES ($1, $2, $3, $4)",
                service,
                migration.version,
                migration.name,
                migration.checksum,
            )
            applied_now.append(migration)
    return applied_now


async def migrate(database_url: str, service: str, folder: Path) -> list[Migration]:
    """Open a connection, apply ``service``'s pending migrations from ``folder``, close it."""
    conn = await asyncpg.connect(database_url)
    try:
        return await apply_migrations(conn, service, folder)
    finally:
        await conn.close()
