"""Reading a shop's order export (CSV): good rows become orders, every bad row is named by its line.

Columns ``order_number,email,customer_id,customer_name,placed_at,items`` and,
optionally, ``shipping_address`` (its lines separated by ``|`` or written on
lines of their own in a quoted value); items as JSON or ``sku:name:qty;...``; a
date without a zone is taken as UTC. Line numbers are the file's own, also after
a quoted value that spans lines.
"""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime
from pathlib import Path

from pydantic import ValidationError

from soporte.events import types as t

REQUIRED_COLUMNS = ("order_number", "email", "placed_at")


class BadRow(ValueError):
    """A CSV row that cannot be an order; the message says which column and why."""


def parse_order_row(row: dict[str, str | None]) -> t.OrderPlacedData:
    """One CSV row: order_number,email,customer_id,customer_name,placed_at,items (JSON or 'sku:name:qty;...')
    and an optional shipping_address ('line | line')."""
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
    address = [line.strip() for line in value.get("shipping_address", "").replace("\n", "|").split("|")]
    try:
        return t.OrderPlacedData(
            order_number=value["order_number"],
            email=value["email"],
            customer_id=value.get("customer_id") or None,
            customer_name=value.get("customer_name") or None,
            items=items,
            placed_at=placed_at,
            shipping_address=[line for line in address if line] or None,
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
