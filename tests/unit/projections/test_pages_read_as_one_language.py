"""Every console and status-page template, rendered in Spanish and in English with every category, missing
item, status, event type, clock, escalation and mail outcome, reads as its language: no code, no word of the
other language (what people typed is theirs and left out)."""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import date, timedelta

import pytest

from soporte import events as ev
from soporte.businesstime import calendar_from_dict
from soporte.events import types as t
from soporte.projections.adapters.intake import IntakeAnswer
from soporte.projections.adapters.queries import Figures
from soporte.projections.domain.access import Principal
from soporte.projections.domain.history import event_of
from soporte.projections.domain.projection import NotificationOutcome, fold
from soporte.projections.domain.tickets import Escalation, SlaState
from soporte.projections.entrypoints.console import AREA as CONSOLE
from soporte.projections.entrypoints.pages import Sent, page_templates, render_page
from soporte.projections.entrypoints.presenters import Presenter, Refusal
from soporte.projections.entrypoints.status_page import AREA as STATUS_PAGE
from soporte.ticketrules import SlaPolicies, SlaRules, Status, explain
from soporte.words import LANGUAGES, too_many_attempts, words
from tests.support.console_pages import TYPED_ON_CONSOLE, console_ticket_context
from tests.support.language import assert_reads_as, visible_text
from tests.support.samples import T0
from tests.support.scenario import HOUR, MINUTE, PHOTO, Stream

CALENDAR = calendar_from_dict(
    {"timezone": "Europe/Madrid", "weekly": {d: ["00:00-18:00"] for d in ("monday", "tuesday", "wednesday")}}
)
RULES = SlaRules(CALENDAR, SlaPolicies())
TEMPLATES = page_templates()
MISSING = ("order_number", "photo_of_item", "detailed_description")
# What people typed (names, messages, addresses, carriers, a mail server's answer): theirs, not the page's words.
TYPED = ("Ana Pérez", "Luis", "La pantalla llegó rota", "Le ayudamos", "Gracias", "¿Puede enviar una foto?")
TYPED += ("nota interna", "Hecho", "Golpe en el envío", "Correos", "PK123", "PK000", "ana@example.com")
TYPED += ("pantalla-rota.jpg", "image/jpeg", "550 mailbox unavailable", "lead@shop.test", "100234", "agent-1")
TYPED += ("buzón ajeno", "SEUR", "SE123456", "RL-1A2B3C4D", "CC-1")
TYPED += ("factura.exe", "5.1.1", *TYPED_ON_CONSOLE)
AGENT = Principal("agent", "agent-1", name="Luis")


def every_event() -> tuple:
    """A ticket with every ticket event type (both reopen reasons), folded: its row, thread and timeline."""
    s = Stream()
    history = [s.submitted(T0, missing=MISSING, attachments=(PHOTO,)), s.assigned(T0 + MINUTE)]
    history += [s.note(T0 + 2 * MINUTE), s.clarification(T0 + 3 * MINUTE), s.customer_replied(T0 + HOUR)]
    history += [s.agent_replied(T0 + 2 * HOUR), s.printed_label(T0 + 3 * HOUR)[0], s.courier_claim(T0 + 4 * HOUR)]
    history += [s.resolved(T0 + 5 * HOUR), s.reopened(T0 + 6 * HOUR), s.customer_replied(T0 + 6 * HOUR)]
    history += [s.resolved(T0 + 7 * HOUR), s.reopened(T0 + 8 * HOUR, by_customer=False)]
    history += [s.deadline_changed(T0 + 9 * HOUR, episode=history[0]), s.bounced(T0 + 10 * HOUR)]
    history += [s.links_revoked(T0 + 10 * HOUR, "buzón ajeno")]
    refused = (ev.RefusedFile(filename="factura.exe", reason=reason) for reason in ev.FileRefusal)
    history += [s.customer_replied(T0 + 11 * HOUR, channel=ev.Channel.EMAIL, refused=tuple(refused))]
    changes = fold(RULES, {}, {}, history)
    assert {e.type for e in changes.timeline} == {cls.model_fields["type"].default for cls in t.TICKET_STREAM_TYPES}
    return changes.tickets[0].view, changes.messages, changes.timeline


VIEW, THREAD, TIMELINE = every_event()
# The same ticket in every category, status and SLA state, with a due time.
TICKETS = [
    replace(VIEW, category=category.value, status=status, sla_state=state, due_times={"attention": T0 + 9 * HOUR})
    for category, status, state in zip(ev.Category, itertools.cycle(Status), itertools.cycle(SlaState))
]
REFUSALS = [Refusal("validation-error", ("body", "data.question", "files", "an_unknown_field")), Refusal("teapot")]
REFUSALS += [Refusal(kind) for kind in ("version-conflict", "invalid-transition", "forbidden", "payload-too-large")]
ESCALATIONS = [
    Escalation(f"e-{clock}-{breached}", VIEW.ticket_id, breached, clock.value, 1 + breached, None, T0, T0)
    for clock in t.SlaClock
    for breached in (False, True)
]
NOTIFICATIONS = [
    NotificationOutcome(f"n-{kind}", VIEW.ticket_id, outcome, kind, "lead@shop.test", 1, reason, T0)
    for kind in [*words("es").console.notification_kinds, "a_kind_added_later"]
    for outcome, reason in (("sent", None), ("failed", "550 mailbox unavailable"))
]


NOW = T0 + HOUR + 5 * MINUTE  # when the pages are drawn


def render(template: str, lang: str, area: str, **context) -> str:
    html = render_page(TEMPLATES, template, lang=lang, calendar=CALENDAR, area=area, now=NOW, **context)
    text = visible_text(html)
    assert_reads_as(lang, text, typed=TYPED, where=template)
    return text


def ticket_pages(template: str, lang: str, area: str, **context):
    """``template`` for the ticket in every category, status and SLA state (refusals shown on the way), rendered."""
    vocabulary = words(lang).vocabulary
    for ticket, refusal in zip(TICKETS, itertools.cycle(REFUSALS)):
        error = refusal if ticket.status is not Status.NEW else None
        page = render(template, lang, area, ticket=ticket, thread=THREAD, csrf="c", idem="i", error=error, **context)
        assert vocabulary.categories[ticket.category] in page and vocabulary.statuses[ticket.status] in page
        yield page


def test_every_category_status_and_sla_state_is_covered():
    assert {tk.category for tk in TICKETS} == {c.value for c in ev.Category}
    assert {tk.status for tk in TICKETS} == set(Status) and {tk.sla_state for tk in TICKETS} == set(SlaState)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_console_reads_as_one_language(lang):
    vocabulary = words(lang).vocabulary
    for error, wait in ((True, None), (False, too_many_attempts(12, lang))):
        render("agent_sign_in.html.j2", lang, CONSOLE, error=error, wait=wait, email="ana@example.com")
    figures = Figures(date(2026, 3, 2), 3, 1, 12.5, 4)
    for view in ("unassigned", "mine", "waiting", "at-risk", "all"):
        queue = render(
            "agent_queue.html.j2",
            lang,
            CONSOLE,
            agent=AGENT,
            figures=figures,
            view=view,
            views=("unassigned", "mine", "waiting", "at-risk", "all"),
            tickets=TICKETS,
            next_url="/agent?cursor=x",
            paged=True,
            refresh_seconds=5,
            csrf="c",
            notice="nothing_to_take",
            live_url="/agent/live",
        )
    for code in MISSING:
        assert vocabulary.missing_items[code] in queue
    # An hour after the customer answered the clarification: two clocks met, next response running.
    sla = explain([event_of(e) for e in TIMELINE], RULES, T0 + HOUR + 5 * MINUTE)
    context = {"timeline": TIMELINE, "escalations": ESCALATIONS, "notifications": NOTIFICATIONS, "sla": sla}
    context |= console_ticket_context() | {"by_customer": TICKETS[:2], "by_order": TICKETS[2:3]}
    for carriers in ([], ["Correos Express", "SEUR"]):
        *_, page = ticket_pages(
            "agent_ticket.html.j2", lang, CONSOLE, agent=AGENT, refresh_seconds=5, carriers=carriers, **context
        )
    for name in ("label_id", "claim_id", "carrier", "tracking_number"):
        assert vocabulary.parcel[name] in page
    for event_type in {e.type for e in TIMELINE}:
        assert vocabulary.events[event_type] in page
    for clock in t.SlaClock:
        assert vocabulary.clocks[clock.value] in page
    assert all(reason in page for reason in vocabulary.reopen_reasons.values())
    html = render_page(
        TEMPLATES, "agent_ticket.html.j2", lang=lang, calendar=CALENDAR, area=CONSOLE, ticket=VIEW, thread=THREAD,
        csrf="c", idem="i", error=None, agent=AGENT, refresh_seconds=5, carriers=[], now=NOW, **context,
    )  # fmt: skip
    assert 'id="bounced"' in html  # the customer's address bounced: said above the thread, not only in the timeline
    assert_lists_refused_files(page, lang, CONSOLE)
    assert f"{vocabulary.clocks['first_response']}: " in page  # the recalculated deadline, in words
    assert (
        vocabulary.clock_states["met"] in page
        and words(lang).vocabulary.countdown.left_minutes.format(minutes=55) in page
    )
    for message in ("not_found", "unavailable", "forbidden"):
        render("message.html.j2", lang, CONSOLE, message_key=message, hint_key="not_found_hint")


def assert_lists_refused_files(page: str, lang: str, area: str) -> None:
    assert words(lang)[area].files_refused in page
    assert all(f"factura.exe: {reason}" in page for reason in words(lang).vocabulary.file_refusals.values())


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_status_page_reads_as_one_language(lang):
    wait = too_many_attempts(12, lang)
    for expired, sent, wait_message in ((True, False, None), (False, True, None), (False, False, wait)):
        context = {"expired": expired, "sent": sent, "wait": wait_message}
        render("customer_access.html.j2", lang, STATUS_PAGE, ticket_id=VIEW.ticket_id, error=True, **context)
    for sent, invalid, wait_message in ((False, True, None), (True, False, None), (False, False, wait)):
        context = {"sent": sent, "invalid": invalid, "wait": wait_message}
        render("access_request.html.j2", lang, STATUS_PAGE, email="ana@example.com", **context)
    for tickets in (None, [], TICKETS):
        mine = render("my_tickets.html.j2", lang, STATUS_PAGE, tickets=tickets, name="Ana Pérez")
    assert all(words(lang).vocabulary.statuses[s] in mine for s in Status)
    for page in ticket_pages("customer_ticket.html.j2", lang, STATUS_PAGE):
        assert "Europe/Madrid" in page  # the desk's times, zone named
    assert words(lang).vocabulary.parcel.download_label in page
    assert_lists_refused_files(page, lang, STATUS_PAGE)
    for message in ("not_found", "unavailable", "forbidden"):
        render("message.html.j2", lang, STATUS_PAGE, message_key=message, hint_key=None)


def test_times_are_the_desks_with_the_zone_named():
    page = render(
        "customer_ticket.html.j2", "es", STATUS_PAGE, ticket=VIEW, thread=THREAD, csrf="c", idem="i", error=None
    )
    local = (T0 + timedelta(hours=1)).strftime("%H:%M")  # Madrid is UTC+1 in March
    assert f"lunes 2 de marzo de 2026, {local} (Europe/Madrid)" in page and "Horas de Europe/Madrid" in page


def test_intakes_refusal_is_read_from_its_problem_type_and_fields_not_its_english_title():
    body = {
        "type": "https://soporte.dev/problems/validation-error",
        "title": "The request has invalid fields",
        "errors": [{"field": "body", "message": "must not be empty"}],
    }
    assert Sent(IntakeAnswer(422, body)).refusal() == Refusal("validation-error", ("body",))
    assert Sent(IntakeAnswer(201, {"version": 3})).refusal() is None and Sent(None).forged
    show = Presenter("es", CALENDAR, CONSOLE)
    assert show.refusal(Refusal("validation-error", ("body",))) == "Revise lo que escribió (mensaje)"
