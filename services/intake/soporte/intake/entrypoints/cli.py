"""``soporte intake serve|relay|migrate``, ``soporte agents create``, ``soporte orders import``."""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import sys
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
from pydantic import ValidationError

from soporte.events import types as t
from soporte.intake.settings import IntakeSettings


def intake(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="soporte intake", description="the intake service")
    parser.add_argument("action", choices=["serve", "relay", "migrate"])
    args = parser.parse_args(argv)
    from soporte.intake import __main__ as entry

    return {"serve": entry.serve, "relay": entry.relay, "migrate": entry.migrate_only}[args.action]()


def agents(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="soporte agents", description="agent API tokens")
    parser.add_argument("action", choices=["create"])
    parser.add_argument("name")
    parser.add_argument("--email", required=True)
    args = parser.parse_args(argv)

    async def create():
        from soporte.intake.adapters.store import Agents
        from soporte.intake.bootstrap import migrate

        settings = IntakeSettings.from_env()
        await migrate(settings.database_url)
        pool = await asyncpg.create_pool(settings.database_url, min_size=1, max_size=1)
        try:
            return await Agents(pool).create(args.name, args.email)
        finally:
            await pool.close()

    agent, token = asyncio.run(create())
    print(f"agent {agent.agent_id} ({agent.name} <{agent.email}>)")
    print(f"token {token}")
    print("The token is shown once; only its hash is stored.", file=sys.stderr)
    return 0


def parse_order_row(row: dict[str, str]) -> t.OrderPlacedData:
    """One CSV row: order_number,email,customer_id,customer_name,placed_at,items (items as JSON or 'sku:name:qty;...')."""
    items_text = (row.get("items") or "").strip()
    if items_text.startswith("["):
        items = json.loads(items_text)
    else:
        items = []
        for part in filter(None, items_text.split(";")):
            sku, name, quantity = part.split(":")
            items.append({"sku": sku, "name": name, "quantity": int(quantity)})
    placed_at = datetime.fromisoformat(row["placed_at"])
    if placed_at.tzinfo is None:
        placed_at = placed_at.replace(tzinfo=UTC)
    return t.OrderPlacedData(
        order_number=row["order_number"], email=row["email"], customer_id=row.get("customer_id") or None,
        customer_name=row.get("customer_name") or None, items=items, placed_at=placed_at,
    )


def orders(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="soporte orders", description="orders the desk knows")
    parser.add_argument("action", choices=["import"])
    parser.add_argument("file", type=Path)
    args = parser.parse_args(argv)
    good, bad = [], []
    with args.file.open(newline="", encoding="utf-8") as fh:
        for line, row in enumerate(csv.DictReader(fh), start=2):
            try:
                good.append(parse_order_row(row))
            except (KeyError, ValueError, ValidationError, json.JSONDecodeError) as exc:
                reason = str(exc).splitlines()[0] if str(exc) else exc.__class__.__name__
                bad.append((line, reason))

    async def store():
        from soporte.intake.adapters.store import Orders
        from soporte.intake.bootstrap import migrate

        settings = IntakeSettings.from_env()
        await migrate(settings.database_url)
        pool = await asyncpg.create_pool(settings.database_url, min_size=1, max_size=1)
        try:
            repo = Orders(pool)
            for done, order in enumerate(good, start=1):
                async with pool.acquire() as conn:
                    await repo.upsert(conn, order)
                if done % 500 == 0 or done == len(good):
                    print(f"imported {done}/{len(good)}", file=sys.stderr, flush=True)
        finally:
            await pool.close()

    asyncio.run(store())
    for line, reason in bad:
        print(f"line {line}: {reason}", file=sys.stderr)
    print(f"{len(good)} orders imported, {len(bad)} rows refused")
    return 1 if bad else 0
