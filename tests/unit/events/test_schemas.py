"""The checked-in JSON Schemas: current, and never broken without an upcaster."""

from __future__ import annotations

import json
import re

import pytest

from soporte.events.codec import CURRENT_VERSIONS
from soporte.events.schemas import SCHEMA_DIR, breaking_changes, current_schemas
from soporte.events.upcasters import has_upcaster


def _checked_in() -> dict[str, dict]:
    return {p.name: json.loads(p.read_text()) for p in SCHEMA_DIR.glob("*.json")}


@pytest.mark.parametrize("filename", sorted(current_schemas()))
def test_current_schema_is_exported_and_up_to_date(filename):
    checked_in = _checked_in()
    assert filename in checked_in, "run `soporte events export-schemas` and commit the file"
    assert checked_in[filename] == current_schemas()[filename], (
        "schema changed: re-export it (same version only if compatible)"
    )


def test_every_older_schema_version_is_compatible_or_has_an_upcaster():
    for filename in _checked_in():
        event_type, version = re.fullmatch(r"(\w+)\.v(\d+)\.json", filename).groups()
        version = int(version)
        current = CURRENT_VERSIONS[event_type]
        if version == current:
            continue
        assert version < current, f"{filename} is newer than the code"
        for step in range(version, current):
            assert has_upcaster(event_type, step), f"{event_type} v{step} has no upcaster to v{step + 1}"


def test_ticket_submitted_v1_lacks_what_v2_adds_and_the_upcaster_supplies_it():
    checked_in = _checked_in()
    # Read backwards (v2 data seen by v1 readers) the difference shows: v1 events lack two fields.
    problems = breaking_changes(checked_in["TicketSubmitted.v2.json"], checked_in["TicketSubmitted.v1.json"])
    assert "$.data.channel was removed" in problems
    assert "$.data.customer.language was removed" in problems
    assert has_upcaster("TicketSubmitted", 1)


BASE = {
    "type": "object",
    "properties": {"a": {"type": "string"}, "n": {"$ref": "#/$defs/N"}},
    "required": ["a"],
    "$defs": {
        "N": {"type": "object", "properties": {"x": {"type": "integer"}, "kind": {"enum": ["p", "q"]}}, "required": []}
    },
}


def _variant(**changes) -> dict:
    schema = json.loads(json.dumps(BASE))
    for path, value in changes.items():
        target = schema
        *parents, leaf = path.split("__")
        for key in parents:
            target = target[key]
        if value is None:
            del target[leaf]
        else:
            target[leaf] = value
    return schema


def test_an_unchanged_schema_has_no_breaking_change():
    assert breaking_changes(BASE, BASE) == []


def test_an_optional_new_field_is_compatible():
    assert breaking_changes(BASE, _variant(properties__b={"type": "string"})) == []


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"properties__a": None, "required": []}, "$.a was removed"),
        ({"properties__b": {"type": "string"}, "required": ["a", "b"]}, "$.b is new and required"),
        ({"properties__a": {"type": "integer"}}, "$.a changed type"),
        ({"$defs__N__properties__x": {"type": "string"}}, "$.n.x changed type"),
        ({"$defs__N__properties__kind": {"enum": ["p"]}}, "$.n.kind lost enum values"),
    ],
)
def test_breaking_changes_are_named(changes, expected):
    assert expected in breaking_changes(BASE, _variant(**changes))
