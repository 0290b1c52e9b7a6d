"""The console's search over the live read models: exact ticket, address and order matches first, then tickets
whose public messages or internal notes hold the words, ranked (PostgreSQL full-text search, ``0006_search.sql``:
one document per ticket, written with its texts by the projections' writer).

A ticket's score is an exact match's (above any word rank) plus its document's
rank; ties go to the ticket whose words came last. Only the page's tickets are
read in full. Each result carries a short
excerpt of its best-matching text with the words marked: the marks are control
characters here (never HTML), the page turns them into ``<mark>`` after escaping.
"""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg

from soporte.projections.adapters.rows import ticket_from_record
from soporte.projections.adapters.tables import LIVE
from soporte.projections.domain.search import NOTE, PAGE_SIZE, SearchQuery
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
                    SELECT d.ticket_id, ts_rank(d.document, words.q) AS score, d.latest
                      FROM {LIVE.search_docs} d, words WHERE d.document @@ words.q
                    UNION ALL
                    SELECT ticket_id, {EXACT}, last_activity_at FROM {LIVE.tickets}
                     WHERE ticket_id = $2 OR customer_email = $3 OR order_number = $1),
                ranked AS (
                    SELECT ticket_id, sum(score) AS score, max(latest) AS latest FROM hits GROUP BY ticket_id
                     ORDER BY score DESC, latest DESC, ticket_id LIMIT {PAGE_SIZE + 1} OFFSET $4)
                SELECT t.* FROM ranked JOIN {LIVE.tickets} t USING (ticket_id)
                 ORDER BY ranked.score DESC, ranked.latest DESC, t.ticket_id""",
            query.text,
            query.ticket_id,
            query.email,
            query.offset,
        )
        page = [ticket_from_record(r) for r in rows[:PAGE_SIZE]]
        excerpts = await self._excerpts(query, page)
        return [Found(t, excerpts.get(t.ticket_id, "")) for t in page], len(rows) > PAGE_SIZE

    async def _excerpts(self, query: SearchQuery, page: list[TicketView]) -> dict[str, str]:
        """The best-matching text of each ticket of the page, shortened around the words found."""
        if not page:
            return {}
        rows = await self.pool.fetch(
            f"""WITH words AS (SELECT projections.search_query($1) AS q),
                texts AS (
                    SELECT m.ticket_id, m.body AS text, t.language FROM {LIVE.messages} m
                      JOIN {LIVE.tickets} t USING (ticket_id) WHERE m.ticket_id = ANY($2::text[])
                    UNION ALL
                    SELECT n.ticket_id, n.data ->> 'body', t.language FROM {LIVE.timeline} n
                      JOIN {LIVE.tickets} t USING (ticket_id)
                     WHERE n.ticket_id = ANY($2::text[]) AND n.type = '{NOTE}'),
                scored AS (
                    SELECT ticket_id, text, language, projections.search_document(language, text) AS doc FROM texts)
                SELECT DISTINCT ON (ticket_id) ticket_id,
                       ts_headline(CASE WHEN language = 'en' THEN 'projections.search_en' ELSE 'projections.search_es'
                                   END::regconfig, text, words.q, '{HEADLINE}') AS excerpt
                  FROM scored, words WHERE doc @@ words.q
                 ORDER BY ticket_id, ts_rank(doc, words.q) DESC""",
            query.text,
            [t.ticket_id for t in page],
        )
        return {r["ticket_id"]: r["excerpt"] for r in rows}
