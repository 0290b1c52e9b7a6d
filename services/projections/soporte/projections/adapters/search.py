"""The console's search over the live read models: exact ticket, address and order matches first, then tickets
whose public messages or internal notes hold the words, ranked (PostgreSQL full-text search, ``0006_search.sql``).

A ticket's score is an exact match's (above any word rank) plus the ranks of its
matching texts; ties go to the most recent activity. Each result carries a short
excerpt of its best-matching text with the words marked: the marks are control
characters here (never HTML), the page turns them into ``<mark>`` after escaping.
"""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg

from soporte.projections.adapters.rows import ticket_from_record
from soporte.projections.adapters.tables import LIVE
from soporte.projections.domain.search import PAGE_SIZE, SearchQuery
from soporte.projections.domain.tickets import TicketView

MARK_START, MARK_END = "\x02", "\x03"
EXACT = 100.0  # an exact match's score: above any sum of word ranks
HEADLINE = f"StartSel={MARK_START}, StopSel={MARK_END}, MaxWords=24, MinWords=10, MaxFragments=1"


@dataclass(frozen=True)
class Found:
    ticket: TicketView
    excerpt: str  # may hold MARK_START / MARK_END around the words found ("" for an exact match only)


class TicketSearch:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool

    async def search(self, query: SearchQuery) -> tuple[list[Found], bool]:
        """One page of results, best first, and whether there is a next page."""
        rows = await self.pool.fetch(
            f"""WITH words AS (SELECT projections.search_query($1) AS q),
                hits AS (
                    SELECT m.ticket_id, ts_rank(m.search, words.q) AS score
                      FROM {LIVE.messages} m, words WHERE m.search @@ words.q
                    UNION ALL
                    SELECT n.ticket_id, ts_rank(n.search, words.q)
                      FROM {LIVE.timeline} n, words WHERE n.search IS NOT NULL AND n.search @@ words.q
                    UNION ALL
                    SELECT ticket_id, {EXACT} FROM {LIVE.tickets}
                     WHERE ticket_id = $2 OR customer_email = $3 OR order_number = $1),
                ranked AS (SELECT ticket_id, sum(score) AS score FROM hits GROUP BY ticket_id)
                SELECT t.*, ranked.score FROM ranked JOIN {LIVE.tickets} t USING (ticket_id)
                 ORDER BY ranked.score DESC, t.last_activity_at DESC, t.ticket_id
                 LIMIT {PAGE_SIZE + 1} OFFSET $4""",
            query.text,
            query.ticket_id,
            query.email,
            query.offset,
        )
        page = [ticket_from_record(r) for r in rows[:PAGE_SIZE]]
        excerpts = await self._excerpts(query, [t.ticket_id for t in page])
        return [Found(t, excerpts.get(t.ticket_id, "")) for t in page], len(rows) > PAGE_SIZE

    async def _excerpts(self, query: SearchQuery, ticket_ids: list[str]) -> dict[str, str]:
        """The best-matching text of each ticket, shortened around the words found."""
        if not ticket_ids:
            return {}
        rows = await self.pool.fetch(
            f"""WITH words AS (SELECT projections.search_query($1) AS q),
                texts AS (
                    SELECT ticket_id, body AS text, search FROM {LIVE.messages} WHERE ticket_id = ANY($2::text[])
                    UNION ALL
                    SELECT ticket_id, data ->> 'body', search FROM {LIVE.timeline}
                     WHERE ticket_id = ANY($2::text[]) AND search IS NOT NULL)
                SELECT DISTINCT ON (ticket_id) ticket_id,
                       ts_headline('projections.search_es', text, words.q, '{HEADLINE}') AS excerpt
                  FROM texts, words WHERE search @@ words.q
                 ORDER BY ticket_id, ts_rank(search, words.q) DESC""",
            query.text,
            ticket_ids,
        )
        return {r["ticket_id"]: r["excerpt"] for r in rows}
