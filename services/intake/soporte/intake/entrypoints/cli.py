"""``soporte intake serve|relay|migrate``, ``soporte agents create``, ``soporte orders import``."""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import re
import sys
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
from pydantic import ValidationError

from soporte.events import types as t
from soporte.intake.settings import IntakeSettings

REQUIRED_COLUMNS = ("order_number", "email", "placed_at")
PLAIN_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")  # agents' addresses may be on internal domains
IMPORT_BATCH = 500  # rows per transaction (and per progress line) in `orders import`


def intake(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="soporte intake", description="the intake service")
    parser.add_argument(
        "action",
        choices=["serve", "relay", "migrate"],
        help="serve: API, form, outbox relay and orders consumer; relay: the outbox relay alone; migrate: the schema",
    )
    args = parser.parse_args(argv)
    from soporte.intake import __main__ as entry

    return {"serve": entry.serve, "relay": entry.relay, "migrate": entry.migrate_only}[args.action]()


def agents(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="soporte agents", description="agent API tokens")
    parser.add_argument("action", choices=["create"])
    parser.add_argument("name")
    parser.add_argument("--email", required=True)
    args = parser.parse_args(argv)
    if not PLAIN_EMAIL.fullmatch(args.email):
        print(f"soporte agents: {args.email!r} is not an email address", file=sys.stderr)
        return 2

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

    try:
        agent, token = asyncio.run(create())
    except asyncpg.UniqueViolationError:
        print(f"soporte agents: an agent with the email {args.email} exists already", file=sys.stderr)
        return 1
    print(f"agent {agent.agent_id} ({agent.name} <{agent.email}>)")
    print(f"token {token}")
    print("The token is shown once; only its hash is stored.", file=sys.stderr)
    return 0


class BadRow(ValueError):
    """A CSV row that cannot be an order; the message says which column and why."""


def parse_order_row(row: dict[str, str | None]) -> t.OrderPlacedData:
    """One CSV row: order_number,email,customer_id,customer_name,placed_at,items (JSON or 'sku:name:qty;...')."""
    value = {k: (v or "").strip() for k, v in row.items() if k is not None}
    for column in REQUIRED_COLUMNS:
        if not value.get(column):
            raise BadRow(f"{column}: empty")
    items_text = value.get("items", "")
    if items_text.startswith("["):
        try:
            items = json.loads(items_text)
        except json.JSONDecodeError as exc:
            raise BadRow(f"items: not valid JSON ({exc.msg})") from exc
    else:
        items = []
        for part in filter(None, (p.strip() for p in items_text.split(";"))):
            sku, _, rest = part.partition(":")
            name, _, quantity = rest.rpartition(":")
            if not (sku and name and quantity.isdigit()):
                raise BadRow(f"items: {part!r} is not sku:name:quantity")
            items.append({"sku": sku, "name": name, "quantity": int(quantity)})
    try:
        placed_at = datetime.fromisoformat(value["placed_at"])
    except ValueError as exc:
        raise BadRow(f"placed_at: {value['placed_at']!r} is not an ISO date or date-time") from exc
    if placed_at.tzinfo is None:
        placed_at = placed_at.replace(tzinfo=UTC)
    try:
        return t.OrderPlacedData(
            order_number=value["order_number"],
            email=value["email"],
            customer_id=value.get("customer_id") or None,
            customer_name=value.get("customer_name") or None,
            items=items,
            placed_at=placed_at,
        )
    except ValidationError as exc:
        first = exc.errors()[0]
        column = ".".join(str(p) for p in first["loc"]) or "row"
        raise BadRow(f"{column}: {first['msg']}") from exc


def read_orders_csv(path: Path) -> tuple[list[t.OrderPlacedData], list[tuple[int, str]]]:
    """Good orders, and (line number, reason) for every refused row; line numbers are the file's own."""
    good, bad = [], []
    with path.open(newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        absent = [c for c in REQUIRED_COLUMNS if c not in (reader.fieldnames or [])]
        if absent:
            return [], [(1, f"missing columns: {', '.join(absent)}")]
        start = 2  # the first data row starts on the line after the header
        for row in reader:
            try:
                if None in row:
                    raise BadRow(f"{len(row[None])} value(s) more than there are columns")
                good.append(parse_order_row(row))
            except BadRow as exc:
                bad.append((start, str(exc)))
            start = reader.line_num + 1  # a quoted value may span several lines
    return good, bad


def orders(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="soporte orders", description="orders the desk knows")
    parser.add_argument("action", choices=["import"])
    parser.add_argument("file", type=Path)
    args = parser.parse_args(argv)
    if not args.file.is_file():
        print(f"soporte orders: no such file {args.file}", file=sys.stderr)
        return 2
    good, bad = read_orders_csv(args.file)

    async def store():
        from soporte.intake.adapters.store import Orders
        from soporte.intake.bootstrap import migrate

        settings = IntakeSettings.from_env()
        await migrate(settings.database_url)
        pool = await asyncpg.create_pool(settings.database_url, min_size=1, max_size=1)
        try:
            repo = Orders(pool)
            async with pool.acquire() as conn:
                for start in range(0, len(good), IMPORT_BATCH):
                    batch = good[start : start + IMPORT_BATCH]
                    async with conn.transaction():  # a batch at a time: a re-run upserts the same rows
                        for order in batch:
                            await repo.upsert(conn, order)
                    print(f"imported {start + len(batch)}/{len(good)}", file=sys.stderr, flush=True)
        finally:
            await pool.close()

    asyncio.run(store())
    for line, reason in bad:
        print(f"line {line}: {reason}", file=sys.stderr)
    print(f"{len(good)} orders imported, {len(bad)} rows refused" + (" (see the lines above)" if bad else ""))
    return 1 if bad else 0
