"""``python -m soporte.intake``: the API with its outbox relay and orders consumer (SIGTERM stops it)."""

from __future__ import annotations

import asyncio
import sys

import asyncpg
from prometheus_client import CollectorRegistry

from soporte.platform import lifecycle
from soporte.platform.logging import configure_logging

from .adapters.relay import OutboxRelay
from .bootstrap import create_app, migrate
from .settings import IntakeSettings


def _settings() -> IntakeSettings:
    settings = IntakeSettings.from_env()
    configure_logging("intake", settings.log_level, json=settings.log_json)
    return settings


def serve() -> int:
    settings = _settings()
    lifecycle.run(lambda stop: lifecycle.serve_app(create_app(settings), settings.host, settings.port, stop))
    return 0


def relay() -> int:
    """The outbox relay alone (several may run: one drains at a time, the others stand by)."""
    settings = _settings()

    async def main(stop: asyncio.Event) -> None:
        await migrate(settings.database_url)
        pool = await asyncpg.create_pool(settings.database_url, min_size=1, max_size=3)
        try:
            await OutboxRelay(
                pool,
                settings.kafka_bootstrap,
                settings.topic_prefix,
                CollectorRegistry(),
                poll_seconds=settings.relay_poll_seconds,
            ).run(stop)
        finally:
            await pool.close()

    lifecycle.run(main)
    return 0


def migrate_only() -> int:
    """Apply intake's schema migrations (idempotent) and say so."""
    asyncio.run(migrate(_settings().database_url))
    print("intake schema is up to date")
    return 0


if __name__ == "__main__":
    sys.exit(relay() if sys.argv[1:] == ["relay"] else serve())
