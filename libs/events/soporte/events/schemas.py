"""JSON Schemas of the contract, exported to ``libs/events/schemas/`` and checked for compatibility.

A file per (type, schema version): ``TicketSubmitted.v2.json``. A change to a
type either keeps its schema backward compatible (readers of the old schema
still read new events: no field removed, no field newly required, no type
changed) or bumps ``SCHEMA_VERSION`` and registers an upcaster.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .types import EVENT_TYPES_BY_NAME

SCHEMA_DIR = Path(__file__).resolve().parents[2] / "schemas"


def schema_filename(event_type: str, version: int) -> str:
    return f"{event_type}.v{version}.json"


def current_schemas() -> dict[str, dict[str, Any]]:
    """File name -> JSON Schema of every event type at its current version."""
    return {
        schema_filename(name, cls.SCHEMA_VERSION): cls.model_json_schema(mode="serialization")
        for name, cls in EVENT_TYPES_BY_NAME.items()
    }


def export_schemas(folder: Path = SCHEMA_DIR) -> list[Path]:
    """Write the current schemas (old versions stay as they were). Returns the files written."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for filename, schema in current_schemas().items():
        path = folder / filename
        path.write_text(json.dumps(schema, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        written.append(path)
    return written


def _resolve(schema: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        return _resolve(root["$defs"][ref.removeprefix("#/$defs/")], root)
    return schema


def _type_of(schema: dict[str, Any], root: dict[str, Any]) -> Any:
    schema = _resolve(schema, root)
    if "anyOf" in schema:
        return sorted(json.dumps(_type_of(s, root), sort_keys=True) for s in schema["anyOf"])
    if "enum" in schema:
        return ("enum", schema.get("type"))
    if "const" in schema:
        return ("const", schema["const"])
    return schema.get("type")


def breaking_changes(old: dict[str, Any], new: dict[str, Any], path: str = "") -> list[str]:
    """Reasons why events valid under ``new`` could not be read by readers of ``old``."""
    return _compare(old, old, new, new, path or "$")


def _compare(old: dict, old_root: dict, new: dict, new_root: dict, path: str) -> list[str]:
    old, new = _resolve(old, old_root), _resolve(new, new_root)
    problems: list[str] = []
    old_props, new_props = old.get("properties", {}), new.get("properties", {})
    for name in old_props:
        if name not in new_props:
            problems.append(f"{path}.{name} was removed")
    for name in set(new.get("required", [])) - set(old.get("required", [])):
        if name in old_props or name not in new_props:
            problems.append(f"{path}.{name} became required")
        else:
            problems.append(f"{path}.{name} is new and required")
    for name, old_sub in old_props.items():
        if name not in new_props:
            continue
        new_sub = new_props[name]
        if _type_of(old_sub, old_root) != _type_of(new_sub, new_root):
            problems.append(f"{path}.{name} changed type")
            continue
        rs_old, rs_new = _resolve(old_sub, old_root), _resolve(new_sub, new_root)
        if "properties" in rs_old or "properties" in rs_new:
            problems.extend(_compare(rs_old, old_root, rs_new, new_root, f"{path}.{name}"))
        if "enum" in rs_old and set(rs_old["enum"]) - set(rs_new.get("enum", [])):
            problems.append(f"{path}.{name} lost enum values")
    return problems
