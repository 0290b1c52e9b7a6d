"""``soporte notifier run`` and ``soporte notifications retry``."""

from __future__ import annotations

import argparse
import asyncio

import asyncpg

from soporte.notifier.adapters.ledger import Ledger
from soporte.notifier.settings import NotifierSettings


def notifier(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="soporte notifier", description="send the desk's emails")
    parser.add_argument("action", choices=["run"])
    parser.parse_args(argv)
    from soporte.notifier.__main__ import main

    return main()


async def _retry(settings: NotifierSettings, limit: int) -> int:
    from soporte.notifier.bootstrap import migrate, utc_now

    await migrate(settings.database_url)
    pool = await asyncpg.create_pool(settings.database_url, min_size=1, max_size=2)
    try:
        return await Ledger(pool).requeue_failed(utc_now(), limit)
    finally:
        await pool.close()


def notifications(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="soporte notifications", description="the dead-lettered mails")
    parser.add_argument("action", choices=["retry"])
    parser.add_argument("--limit", type=int, default=1000, help="at most this many (oldest first)")
    args = parser.parse_args(argv)
    count = asyncio.run(_retry(NotifierSettings.from_env(), args.limit))
    print(f"{count} failed notification(s) queued again; a running notifier sends them now")
    return 0
