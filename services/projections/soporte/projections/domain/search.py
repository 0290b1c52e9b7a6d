"""What an agent typed in the console's one search box (pure): which ticket it names, or which words to look for.

One box takes a ticket id (``T-7F3K2M9QXA``, any case), a customer's address, an
order number, or words of any public message or internal note. The exact kinds
are matched as such and come first; words are looked up in full-text search
(Spanish and English, accents aside) and ranked. Results come a page at a time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

PAGE_SIZE = 20
MAX_PAGE = 50
MAX_LENGTH = 200
_TICKET_ID = re.compile(r"T-[0-9A-Z]{10}")


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
