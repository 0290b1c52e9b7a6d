"""Canned replies' placeholders: the names a saved reply may hold, and the text with them filled in (pure).

Intake refuses a canned reply naming any other placeholder when a lead saves it;
the console fills them from the ticket when an agent inserts the reply into the
reply box, so the agent reads (and may change) exactly what the customer gets.
Only ``{name}`` with a known name is a placeholder: any other brace is text.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

PLACEHOLDERS = ("customer_name", "order_number", "ticket_id", "expected_by")
_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")


def placeholders_in(text: str) -> list[str]:
    """Every ``{name}`` in ``text``, in order, known or not."""
    return _PLACEHOLDER.findall(text)


def unknown_placeholders(text: str) -> list[str]:
    """The ``{name}``s of ``text`` that are not placeholders (a typo the lead should fix), once each."""
    return list(dict.fromkeys(name for name in placeholders_in(text) if name not in PLACEHOLDERS))


def fill(text: str, values: Mapping[str, str]) -> str:
    """``text`` with each known placeholder replaced by its value ("" when the ticket has none, e.g. no order)."""

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        return values.get(name, "") if name in PLACEHOLDERS else match.group(0)

    return _PLACEHOLDER.sub(value, text)
