"""The console's one search box (``/agent/search?q=``): a ticket id, an address, an order number, or words of any
public message or internal note, ranked and a page at a time (``domain.search``, ``adapters.search``)."""

from __future__ import annotations

from urllib.parse import urlencode

from aiohttp import web
from markupsafe import Markup, escape

from soporte.projections import keys
from soporte.projections.adapters.search import MARK_END, MARK_START, TicketSearch
from soporte.projections.domain.access import Principal
from soporte.projections.domain.search import parse_search
from soporte.projections.entrypoints.pages import render
from soporte.projections.entrypoints.staff_session import AREA, for_agents


def marked(excerpt: str) -> Markup:
    """An excerpt with the words found in ``<mark>``; everything else escaped."""
    return Markup(str(escape(excerpt)).replace(MARK_START, "<mark>").replace(MARK_END, "</mark>"))


async def search(request: web.Request, principal: Principal, _token: str) -> web.Response:
    """Tickets matching what was typed: exact ticket, address and order matches first, then by the words found."""
    query = parse_search(request.query.get("q", ""), request.query.get("page"))
    found, more = await TicketSearch(request.app[keys.POOL]).search(query) if query else ([], False)
    pages = {}
    if query and query.page > 1:
        pages["previous"] = "/agent/search?" + urlencode({"q": query.text, "page": query.page - 1})
    if query and more:
        pages["next"] = "/agent/search?" + urlencode({"q": query.text, "page": query.page + 1})
    return render(
        request,
        "agent_search.html.j2",
        area=AREA,
        agent=principal,
        query=query,
        search_text=query.text if query else "",
        results=[(f.ticket, marked(f.excerpt)) for f in found],
        pages=pages,
    )


def add_search_routes(app: web.Application) -> None:
    app.router.add_get("/agent/search", for_agents(search))
