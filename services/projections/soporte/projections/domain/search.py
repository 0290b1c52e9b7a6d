"""What an agent typed in the console's one search box (pure): which ticket it names, or which words to look for;
and which words each batch of events adds to its tickets' search documents.

One box takes a ticket id (``T-7F3K2M9QXA``, any case), a customer's address, an
order number, or words of any public message or internal note. The exact kinds
are matched as such and come first; words are looked up in full-text search
(Spanish and English, accents aside) and ranked. Results come a page at a time.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from soporte.projections.domain.history import PublicMessage, TimelineEntry
from soporte.projections.domain.tickets import TicketView

PAGE_SIZE = 20
MAX_PAGE = 50
MAX_LENGTH = 200
_TICKET_ID = re.compile(r"T-[0-9A-Z]{10}")
NOTE = "InternalNoteAdded"  # the timeline's notes are searched too (agents' words, never shown to customers)


@dataclass(frozen=True)
class SearchQuery:
    text: str  # as typed, trimmed
    ticket_id: str | None  # the text read as a ticket id
    email: str | None  # the text read as an address (lower case)
    page: int = 1

    @property
    def offset(self) -> int:
        return (self.page - 1) * PAGE_SIZE


def parse_search(text: str, page: str | None = None) -> SearchQuery | None:
    """The search for what was typed (None for nothing to look for); a page that is not one is the first."""
    text = " ".join(text.split())[:MAX_LENGTH]
    if not text:
        return None
    number = int(page) if page and page.isdigit() else 1
    upper = text.upper()
    return SearchQuery(
        text,
        upper if _TICKET_ID.fullmatch(upper) else None,
        text.lower() if "@" in text and " " not in text else None,
        min(max(number, 1), MAX_PAGE),
    )


@dataclass(frozen=True)
class SearchText:
    """A new text of a ticket (a public message, an internal note), added to its search document in its language."""

    ticket_id: str
    version: int
    at: datetime
    language: str
    text: str


def searchable(
    tickets: Iterable[TicketView], messages: Iterable[PublicMessage], timeline: Iterable[TimelineEntry]
) -> list[SearchText]:
    """The texts a batch adds to its tickets' search documents, in each ticket's event order (documents grow one
    text at a time in that order, so a rebuild's are equal to the live ones whatever the batches).

    Empty texts add nothing (``0006_search.sql`` fills the documents of the tickets already there the same way).
    Each message and note comes once from the fold (a version is applied once), so each is added once.
    """
    language = {view.ticket_id: view.language for view in tickets}
    texts = [(m.ticket_id, m.version, m.occurred_at, m.body) for m in messages]
    texts += [
        (e.ticket_id, e.version, e.occurred_at, str(e.data.get("body") or "")) for e in timeline if e.type == NOTE
    ]
    return [
        SearchText(t, v, at, language.get(t, "es"), text)
        for t, v, at, text in sorted(texts, key=lambda x: x[:2])
        if text
    ]
