"""Intake's processes and commands: ``soporte intake serve|relay|migrate``, ``mailin serve``, ``orders import``
(``soporte agents ...`` is ``cli_agents``).

Each one reads the settings from the environment, applies intake's migrations
(idempotent) and wires what it needs through ``bootstrap``; ``python -m
soporte.intake`` is ``soporte intake serve``. SIGTERM stops ``serve`` and
``relay`` cleanly.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

import asyncpg
from prometheus_client import CollectorRegistry

from soporte.platform import lifecycle
from soporte.platform.lifecycle import refuse_unsafe_start
from soporte.platform.logging import configure_logging
from soporte.platform.migrations import migrate
from soporte.platform.startup import retry_until

from .adapters.orders import PostgresOrders
from .adapters.orders_csv import read_orders_csv
from .adapters.relay import OutboxRelay
from .bootstrap import MIGRATIONS, create_app
from .settings import IntakeSettings

IMPORT_BATCH = 500  # rows per transaction (and per progress line) in `orders import`


def _settings() -> IntakeSettings:
    settings = IntakeSettings.from_env()
    configure_logging("intake", settings.log_level, json=settings.log_json)
    return settings


def serve() -> int:
    """The API and the form, with the outbox relay and the orders reader beside them."""
    settings = _settings()
    refuse_unsafe_start(settings, settings.host)
    lifecycle.run(lambda stop: lifecycle.serve_app(create_app(settings), settings.host, settings.port, stop))
    return 0


def relay() -> int:
    """The outbox relay alone (several may run: one drains at a time, the others stand by)."""
    settings = _settings()
    refuse_unsafe_start(settings, None)

    async def main(stop: asyncio.Event) -> None:
        # PostgreSQL away at start is waited out like any later outage (the relay itself waits for Kafka).
        await retry_until(
            stop, "PostgreSQL (relay migrations)", lambda: migrate(settings.database_url, "intake", MIGRATIONS)
        )
        pool = await retry_until(
            stop, "PostgreSQL (relay pool)", lambda: asyncpg.create_pool(settings.database_url, min_size=1, max_size=3)
        )
        if pool is None:
            return
        try:
            registry = CollectorRegistry()
            poll = settings.relay_poll_seconds
            await OutboxRelay(pool, settings.kafka_bootstrap, settings.topic_prefix, registry, poll_seconds=poll).run(
                stop
            )
        finally:
            await pool.close()

    lifecycle.run(main)
    return 0


def migrate_only() -> int:
    """Apply intake's schema migrations (idempotent) and say so."""
    asyncio.run(migrate(_settings().database_url, "intake", MIGRATIONS))
    print("intake schema is up to date")
    return 0


def intake(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="soporte intake", description="the intake service")
    parser.add_argument(
        "action",
        choices=["serve", "relay", "migrate"],
        help="serve: API, form, outbox relay and orders reader; relay: the outbox relay alone; migrate: the schema",
    )
    args = parser.parse_args(argv)
    return {"serve": serve, "relay": relay, "migrate": migrate_only}[args.action]()


def mailin(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="soporte mailin", description="inbound mail: SMTP/LMTP and IMAP")
    parser.add_argument("action", choices=["serve"], help="serve: the listener and the poller the settings ask for")
    parser.parse_args(argv)
    from .mailin.bootstrap import run_mailin  # its mail libraries load only for this command
    from .mailin.settings import MailinSettings

    settings = MailinSettings.from_env()
    configure_logging("mailin", settings.log_level, json=settings.log_json)
    refuse_unsafe_start(settings, settings.mailin_host)
    lifecycle.run(lambda stop: run_mailin(settings, stop))
    return 0


async def _with_pool(settings: IntakeSettings, work):
    """Run ``work(pool)`` on a small pool of the migrated database."""
    await migrate(settings.database_url, "intake", MIGRATIONS)
    pool = await asyncpg.create_pool(settings.database_url, min_size=1, max_size=1)
    try:
        return await work(pool)
    finally:
        await pool.close()


def orders(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="soporte orders", description="orders the desk knows")
    parser.add_argument("action", choices=["import"])
    parser.add_argument("file", type=Path)
    args = parser.parse_args(argv)
    if not args.file.is_file():
        print(f"soporte orders: no such file {args.file}", file=sys.stderr)
        return 2
    good, bad = read_orders_csv(args.file)

    async def store(pool: asyncpg.Pool) -> None:
        async with pool.acquire() as conn:
            for start in range(0, len(good), IMPORT_BATCH):
                batch = good[start : start + IMPORT_BATCH]
                async with conn.transaction():  # a batch at a time: a re-run upserts the same rows
                    for order in batch:
                        await PostgresOrders(conn).upsert(order)
                print(f"imported {start + len(batch)}/{len(good)}", file=sys.stderr, flush=True)

    asyncio.run(_with_pool(IntakeSettings.from_env(), store))
    for line, reason in bad:
        print(f"line {line}: {reason}", file=sys.stderr)
    print(f"{len(good)} orders imported, {len(bad)} rows refused" + (" (see the lines above)" if bad else ""))
    return 1 if bad else 0
