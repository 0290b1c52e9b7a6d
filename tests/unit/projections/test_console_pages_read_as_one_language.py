"""The console's pages for a caller's ticket, search and the leads' pages, in Spanish and English: one language,
no code; the presence notice, marks of what was found and the shown-once password in place."""

from __future__ import annotations

import pytest
from markupsafe import Markup

from soporte.events import Category
from soporte.projections.domain.access import Principal
from soporte.projections.domain.search import parse_search
from soporte.projections.entrypoints.console import AREA
from soporte.projections.entrypoints.console_search import marked
from soporte.projections.entrypoints.pages import render_page
from soporte.projections.entrypoints.presenters import Refusal
from soporte.ticketrules import PLACEHOLDERS, Explanation
from soporte.words import LANGUAGES, words
from tests.support.console_pages import AGENTS, CANNED, CUSTOMERS, ORDER, TYPED_ON_CONSOLE
from tests.support.language import assert_reads_as, visible_text
from tests.unit.projections.test_pages_read_as_one_language import CALENDAR, NOW, TEMPLATES, TICKETS, VIEW

NO_CLOCKS = Explanation(ticket_id=VIEW.ticket_id, at=NOW, version=1, attended_live=False, clocks=())
LEAD = Principal("agent", "agent-1", name="Marta Gil", role="lead")
TYPED = (
    *TYPED_ON_CONSOLE,
    "La",
    "carga",
    "batería",
    "Ana Pérez",
    "ana@example.com",
    "100234",
    "SEUR",
    "Correos Express",
    "\u00b7",
)


def page(template: str, lang: str, **context) -> str:
    html = render_page(TEMPLATES, template, lang=lang, calendar=CALENDAR, area=AREA, now=NOW, agent=LEAD, **context)
    assert_reads_as(lang, visible_text(html), typed=TYPED, where=template)
    return html


@pytest.mark.parametrize("lang", LANGUAGES)
def test_search_new_ticket_and_the_leads_pages_read_as_one_language(lang):
    t = words(lang).console
    query = parse_search("batería", "2")
    excerpt = marked("La \x02batería\x03 <no> carga")
    found = page("agent_search.html.j2", lang, query=query, search_text=query.text, results=[(VIEW, excerpt)],
                 pages={"previous": "/agent/search?q=x&page=1", "next": "/agent/search?q=x&page=3"})  # fmt: skip
    assert "La <mark>batería</mark> &lt;no&gt; carga" in found and t.next_page in found
    page("agent_search.html.j2", lang, query=parse_search("nada"), search_text="nada", results=[], pages={})
    for chosen, error in ((ORDER, None), (None, Refusal("validation-error", ("description", "customer_email")))):
        new = page(
            "agent_new_ticket.html.j2", lang, csrf="c", idem="i", query="perez", customers=CUSTOMERS, chosen=chosen,
            typed={"customer_name": "Ana Pérez", "channel": "chat"}, error=error,
            categories=[c.value for c in Category], channels=("phone", "chat"), languages=LANGUAGES,
        )  # fmt: skip
    assert t.fields.description in new and t.pick_order in new
    staff = page("agent_staff.html.j2", lang, csrf="c", idem="i", agents=AGENTS, typed={},
                 shown={"name": "Luis", "password": "Xk2-9fQ_a7LmPq3w"}, error=Refusal("forbidden"))  # fmt: skip
    assert 'id="new-password">Xk2-9fQ_a7LmPq3w<' in staff and t.disabled in staff and t.revoked in staff
    canned = page("agent_canned.html.j2", lang, csrf="c", idem="i", replies=CANNED, editing=CANNED[0],
                  error=Refusal("validation-error", ("body",)), languages=LANGUAGES, placeholders=PLACEHOLDERS,
                  carriers=["SEUR", "Correos Express"])  # fmt: skip
    assert all("{" + p + "}" in canned for p in PLACEHOLDERS) and t.canned_actions.return_label in canned


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_ticket_says_who_else_is_replying_and_marks_what_is_new(lang):
    t = words(lang).console
    html = render_page(
        TEMPLATES, "agent_ticket.html.j2", lang=lang, calendar=CALENDAR, area=AREA, now=NOW, agent=LEAD,
        ticket=TICKETS[1], thread=[], timeline=[], escalations=[], notifications=[], sla=NO_CLOCKS, carriers=[],
        csrf="c", idem="i", error=Refusal("version-conflict"), actions={"reply"}, canned=[], order=None,
        by_customer=[], by_order=[], replying=[], typed={"body": "lo que escribí"}, seen_version=None,
        live_url="/agent/live", refresh_seconds=5,
    )  # fmt: skip
    assert t.conflict in html and ">lo que escribí</textarea>" in html and 'id="presence" role="status" hidden' in html
    assert t.canned_none in visible_text(html) and 'id="clarify-form"' not in html  # only the actions that apply
    assert isinstance(marked("x"), Markup)
