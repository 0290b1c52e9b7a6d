"""The notifier's commands: ``python -m soporte.notifier``, ``soporte notifier run`` and
``soporte notifications retry`` (failed mails queued again, e.g. after an address was corrected)."""

from __future__ import annotations

import argparse
import asyncio

import asyncpg

from soporte.platform import lifecycle
from soporte.platform.clock import utc_now
from soporte.platform.lifecycle import refuse_unsafe_start
from soporte.platform.logging import configure_logging
from soporte.platform.migrations import migrate

from .adapters.ledger import Ledger
from .bootstrap import MIGRATIONS, SERVICE, run
from .settings import NotifierSettings


def serve() -> int:
    """The notifier with settings from the environment, until SIGTERM or SIGINT."""
    settings = NotifierSettings.from_env()
    configure_logging(SERVICE, settings.log_level, json=settings.log_json)
    refuse_unsafe_start(settings, settings.host)
    lifecycle.run(lambda stop: run(settings, stop))
    return 0


def notifier(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="soporte notifier", description="send the desk's emails")
    parser.add_argument("action", choices=["run"])
    parser.parse_args(argv)
    return serve()


async def _retry(settings: NotifierSettings, limit: int) -> int:
    await migrate(settings.database_url, SERVICE, MIGRATIONS)
    pool = await asyncpg.create_pool(settings.database_url, min_size=1, max_size=2)
    try:
        return await Ledger(pool).requeue_failed(utc_now(), limit)
    finally:
        await pool.close()


def notifications(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="soporte notifications", description="the mails given up on")
    parser.add_argument("action", choices=["retry"])
    parser.add_argument("--limit", type=int, default=1000, help="at most this many (oldest first)")
    args = parser.parse_args(argv)
    count = asyncio.run(_retry(NotifierSettings.from_env(), args.limit))
    print(f"{count} failed notification(s) queued again; a running notifier sends them now")
    return 0
