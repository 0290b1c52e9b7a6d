"""``soporte events export-schemas | check-schemas``."""

from __future__ import annotations

import argparse
import json

from soporte.events.schemas import SCHEMA_DIR, breaking_changes, current_schemas, export_schemas


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="soporte events")
    parser.add_argument("action", choices=["export-schemas", "check-schemas"])
    args = parser.parse_args(argv)
    if args.action == "export-schemas":
        for path in export_schemas():
            print(f"wrote {path}")
        return 0
    failures = 0
    for filename, schema in current_schemas().items():
        path = SCHEMA_DIR / filename
        if not path.exists():
            print(f"{filename}: not exported yet (run 'soporte events export-schemas')")
            failures += 1
            continue
        problems = breaking_changes(json.loads(path.read_text()), schema)
        for problem in problems:
            print(f"{filename}: {problem}")
        failures += bool(problems)
    print("schemas compatible" if not failures else f"{failures} schema(s) need attention")
    return 1 if failures else 0
