"""soporte.words — the one word catalogue for everything a person reads (Spanish first, English).

The words live in YAML, one folder per language and one file per area
(``vocabulary`` is the desk's shared words: categories, statuses, events,
clocks...; ``form``, ``console``, ``status_page``, ``mail`` belong to the pages
and mails that use them). Both languages hold the same keys: a test says so.
Code looks words up by the codes the system uses, never shows a code itself:

    w = words("es")
    w.vocabulary.categories["damaged_item"]   # "Artículo dañado"
    w.mail.subjects.ticket_received

Times a person reads are shown in the desk's timezone, with the zone named
(``format_datetime``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime, tzinfo
from functools import cache
from importlib import resources
from typing import Any

import yaml

LANGUAGES = ("es", "en")
DEFAULT_LANGUAGE = "es"


class Words(Mapping[str, Any]):
    """A read-only tree of words: ``w.area.key`` or ``w["area"]["key"]``; a missing key is a KeyError."""

    def __init__(self, tree: Mapping[str, Any], path: str = "") -> None:
        self._tree, self._path = tree, path

    def __getitem__(self, key: str) -> Any:
        try:
            value = self._tree[key]
        except KeyError:
            raise KeyError(f"no words for {self._path}{key}") from None
        return Words(value, f"{self._path}{key}.") if isinstance(value, Mapping) else value

    def __getattr__(self, key: str) -> Any:
        if key.startswith("_"):
            raise AttributeError(key)
        try:
            return self[key]
        except KeyError as exc:
            raise AttributeError(str(exc)) from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._tree)

    def __len__(self) -> int:
        return len(self._tree)

    def get(self, key: str, default: Any = None) -> Any:
        return self[key] if key in self._tree else default


@cache
def words(lang: str) -> Words:
    """Every area's words in ``lang`` (es or en)."""
    if lang not in LANGUAGES:
        raise ValueError(f"no catalogue for language {lang!r}")
    folder = resources.files(__package__).joinpath(lang)
    tree = {
        entry.name.removesuffix(".yaml"): yaml.safe_load(entry.read_text("utf-8"))
        for entry in sorted(folder.iterdir(), key=lambda e: e.name)
        if entry.name.endswith(".yaml")
    }
    return Words(tree)


def pick_language(explicit: str | None, accept_language: str | None, default: str = DEFAULT_LANGUAGE) -> str:
    """An explicit choice (``?lang=``, a cookie, the ticket's language) first, then the browser's, then the default."""
    if explicit in LANGUAGES:
        return explicit
    for part in (accept_language or "").split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in LANGUAGES:
            return code
    return default if default in LANGUAGES else DEFAULT_LANGUAGE


def format_datetime(moment: datetime, tz: tzinfo, lang: str, *, zone_name: str | None = None) -> str:
    """``lunes 2 de marzo de 2026, 09:15 (Europe/Madrid)``: a moment as a person of the desk reads it."""
    local = moment.astimezone(tz)
    vocabulary = words(lang).vocabulary
    return vocabulary.datetime_format.format(
        weekday=vocabulary.weekdays[local.weekday()],
        day=local.day,
        month=vocabulary.months[local.month - 1],
        year=local.year,
        time=local.strftime("%H:%M"),
        zone=zone_name or str(tz),
    )


def format_date(moment: datetime, tz: tzinfo, lang: str) -> str:
    """``2 de marzo de 2026``."""
    local = moment.astimezone(tz)
    vocabulary = words(lang).vocabulary
    return vocabulary.date_format.format(day=local.day, month=vocabulary.months[local.month - 1], year=local.year)


def format_minutes(minutes: int, lang: str) -> str:
    """``1 minuto`` / ``12 minutos``."""
    forms = words(lang).vocabulary.minutes
    return (forms.one if minutes == 1 else forms.other).format(n=minutes)


def too_many_attempts(minutes: int, lang: str) -> str:
    """``Demasiados intentos; inténtelo de nuevo en 12 minutos.``: what a throttled person reads (never that
    what they typed was wrong)."""
    return words(lang).vocabulary.too_many_attempts.format(wait=format_minutes(minutes, lang))


__all__ = [
    "DEFAULT_LANGUAGE",
    "LANGUAGES",
    "Words",
    "format_date",
    "format_datetime",
    "format_minutes",
    "pick_language",
    "too_many_attempts",
    "words",
]
