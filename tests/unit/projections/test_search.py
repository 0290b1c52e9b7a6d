"""The console's search box (pure): what was typed read as a ticket id, an address or words; and the texts each
batch of events adds to its tickets' search documents."""

from __future__ import annotations

from soporte import events as ev
from soporte.businesstime import BusinessCalendar
from soporte.projections.domain.projection import fold
from soporte.projections.domain.search import MAX_PAGE, PAGE_SIZE, parse_search, searchable
from soporte.ticketrules import SlaPolicies, SlaRules
from tests.support.samples import T0
from tests.support.scenario import MINUTE, Stream

RULES = SlaRules(BusinessCalendar.always_open(), SlaPolicies())


def test_what_was_typed_is_a_ticket_id_an_address_or_words_a_page_at_a_time():
    ticket = parse_search("  t-7f3k2m9qxa ")
    assert ticket is not None and ticket.ticket_id == "T-7F3K2M9QXA" and ticket.email is None
    address = parse_search("Ana@Example.com", page="3")
    assert address is not None and address.email == "ana@example.com" and address.offset == 2 * PAGE_SIZE
    words = parse_search("batería   del portátil", page="no")
    assert words is not None and (words.text, words.ticket_id, words.email, words.page) == (
        "batería del portátil",
        None,
        None,
        1,
    )
    assert parse_search("pantalla", page="999").page == MAX_PAGE
    assert parse_search("   ") is None


def test_a_batch_adds_its_public_messages_and_notes_in_event_order_in_the_ticket_language():
    first, second = Stream(), Stream()
    events = [
        second.submitted(T0, description="The screen flickers", language=ev.Language.EN),
        first.submitted(T0 + MINUTE, description="La batería no carga"),
        first.note(T0 + 2 * MINUTE, "Lote defectuoso"),
        first.assigned(T0 + 3 * MINUTE),
        first.agent_replied(T0 + 4 * MINUTE, "Le enviamos otra"),
    ]
    changes = fold(RULES, {}, {}, events)
    texts = searchable((s.view for s in changes.tickets), changes.messages, changes.timeline)
    ordered = sorted([first.ticket_id, second.ticket_id])
    expected = {
        first.ticket_id: [(1, "La batería no carga"), (2, "Lote defectuoso"), (4, "Le enviamos otra")],
        second.ticket_id: [(1, "The screen flickers")],
    }
    assert [t.ticket_id for t in texts] == [ordered[0]] * len(expected[ordered[0]]) + [ordered[1]] * len(
        expected[ordered[1]]
    )
    for ticket_id, wanted in expected.items():
        assert [(t.version, t.text) for t in texts if t.ticket_id == ticket_id] == wanted
    assert {t.ticket_id: t.language for t in texts} == {first.ticket_id: "es", second.ticket_id: "en"}
    assert [t.at for t in texts if t.ticket_id == first.ticket_id] == [T0 + MINUTE, T0 + 2 * MINUTE, T0 + 4 * MINUTE]
