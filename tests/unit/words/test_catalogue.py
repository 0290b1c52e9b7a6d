"""The word catalogue: both languages say the same things, every code has its words, and they read right."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from soporte import events as ev
from soporte.events import types as t
from soporte.ticketrules import Status
from soporte.words import LANGUAGES, format_date, format_datetime, pick_language, words
from tests.support.language import assert_reads_as


def keys(tree, prefix=""):
    out = set()
    for key, value in tree.items():
        out.add(prefix + key)
        if hasattr(value, "items"):
            out |= keys(value, f"{prefix}{key}.")
        elif isinstance(value, list):
            out.add(f"{prefix}{key}[{len(value)}]")
    return out


def leaves(tree):
    for value in tree.values():
        if hasattr(value, "items"):
            yield from leaves(value)
        elif isinstance(value, list):
            yield from (str(v) for v in value)
        else:
            yield str(value)


def test_both_languages_hold_the_same_keys():
    assert keys(words("es")) == keys(words("en"))


@pytest.mark.parametrize(
    ("area", "codes"),
    [
        ("categories", [c.value for c in ev.Category]),
        ("statuses", [s.value for s in Status]),
        ("priorities", [p.value for p in ev.Priority]),
        ("channels", [c.value for c in ev.Channel]),
        ("clocks", [c.value for c in t.SlaClock]),
        ("events", [cls.model_fields["type"].default for cls in t.TICKET_STREAM_TYPES]),
        ("escalations", ["SlaWarning", "SlaBreached"]),
        ("reopen_reasons", [r.value for r in t.ReopenReason]),
        ("file_refusals", [r.value for r in ev.FileRefusal]),
        ("missing_items", ["order_number", "photo_of_item", "detailed_description"]),
    ],
)
@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_code_the_system_uses_has_words(lang, area, codes):
    vocabulary = words(lang).vocabulary[area]
    assert set(codes) <= set(vocabulary)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_entry_reads_as_its_language(lang):
    for text in leaves(words(lang)):
        assert_reads_as(lang, text.replace("{", " ").replace("}", " "))


def test_times_read_in_the_desks_timezone_with_the_zone_named():
    madrid = ZoneInfo("Europe/Madrid")
    moment = datetime(2026, 3, 2, 8, 15, tzinfo=UTC)
    assert format_datetime(moment, madrid, "es") == "lunes 2 de marzo de 2026, 09:15 (Europe/Madrid)"
    assert format_datetime(moment, madrid, "en") == "Monday 2 March 2026, 09:15 (Europe/Madrid)"
    assert format_date(moment, madrid, "es") == "2 de marzo de 2026"


def test_language_negotiation():
    assert pick_language("en", "es-ES,es;q=0.9") == "en"
    assert pick_language(None, "en-GB,en;q=0.8") == "en"
    assert pick_language("fr", "de-DE") == "es"
    assert pick_language(None, None, default="en") == "en"
