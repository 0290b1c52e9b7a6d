"""The weekly summary mail (pure): one per lead and week whatever publishes it, the week's figures against the
promise and its worst tickets, in the staff's language, reading as one language."""

from __future__ import annotations

from datetime import timedelta

import pytest

from soporte.businesstime import load_calendar
from soporte.events import deterministic_id
from soporte.events import types as t
from soporte.notifier.domain.links import with_signed_links
from soporte.notifier.domain.notifications import Desk
from soporte.notifier.domain.rendering import make_environment, render_email
from soporte.notifier.domain.weekly_summary import plan_weekly_summary, weekly_summary_id
from soporte.platform.tokens import TicketLinks
from soporte.ticketrules import SlaRules, load_policies
from soporte.words import LANGUAGES
from tests.support.language import assert_reads_as, visible_text
from tests.support.samples import SYSTEM, T0, week_summary
from tests.support.scenario import Stream

RULES = SlaRules(load_calendar(), load_policies())
RECIPIENTS = {"team-lead": ["lead@shop.test", "jefa@shop.test"], "ops": ["ops@shop.test"]}


def desk(lang: str = "es") -> Desk:
    return Desk(RULES, "http://portal.test", RECIPIENTS, staff_language=lang)


def summarized(**figures) -> t.SlaWeekSummarized:
    return t.SlaWeekSummarized.create(data=week_summary(**figures), actor=SYSTEM, occurred_at=T0)


def mail_text(lang: str, event: t.SlaWeekSummarized) -> tuple[str, str, str]:
    """The mail as the sender makes it (links signed, then rendered): subject, text and the HTML's words."""
    [notification, _] = plan_weekly_summary(event, desk(lang))
    notification = with_signed_links(notification, TicketLinks("a-secret", timedelta(days=30)), T0)
    message = render_email(make_environment(), notification, "Soporte <soporte@shop.test>")
    text, html = message.get_body(("plain",)).get_content(), visible_text(message.get_body(("html",)).get_content())
    for part in (message["Subject"], text, html):
        assert_reads_as(lang, part, typed=("T-0000000001",), where="weekly summary")
    return message["Subject"], text, html


def test_each_lead_gets_one_mail_per_week_whatever_event_brings_it():
    first, again = summarized(), summarized()  # the same week published twice (ids derived elsewhere, or not)
    mails = plan_weekly_summary(first, desk())
    assert [m.recipient for m in mails] == ["jefa@shop.test", "lead@shop.test"]  # the leads, not ops
    assert {m.notification_id for m in mails} == {m.notification_id for m in plan_weekly_summary(again, desk())}
    assert mails[0].notification_id == str(deterministic_id("weekly_summary", "2026-W10", "jefa@shop.test"))
    assert weekly_summary_id("2026-W10", "LEAD@shop.test") == mails[1].notification_id
    assert plan_weekly_summary(summarized(week="2026-W11"), desk())[0].notification_id != mails[0].notification_id
    assert mails[0].ticket_id is None and mails[0].language == "es"
    assert plan_weekly_summary(Stream().submitted(T0), desk()) == []


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_mail_reads_as_one_language(lang):
    mail_text(lang, summarized())
    mail_text(lang, summarized(first_responses=0, first_response_seconds=0, answered_in_time=0, worst=[]))
    unanswered = t.WorstTicket(ticket_id="T-0000000001", category="pre_sales", created_at=T0, breaches=2)
    mail_text(lang, summarized(worst=[unanswered]))


def test_the_figures_against_the_promise_and_the_worst_tickets():
    subject, text, html = mail_text("es", summarized())
    assert subject == "Resumen de la semana 10 de 2026"  # no ticket id before it: it is about no one ticket
    assert "semana 10 de 2026, del 2 de marzo al 8 de marzo (horas de Europe/Madrid)" in text
    assert "Primera respuesta media: 10,0 minutos laborables; la promesa es 15 de media. Promesa cumplida." in text
    assert "Respondidos a tiempo: 79 % (30 de 38)." in text and "Atendidos en 24 horas: 97 % (37 de 38)." in text
    assert "Tickets recibidos: 43, 3 de ellos por teléfono o chat" in text
    assert "Avisos de plazo: 9. Plazos incumplidos: 8." in text
    assert (
        "T-0000000001 (Artículo dañado): primera respuesta en 40,0 minutos laborables; plazos incumplidos: 1." in text
    )
    assert "http://portal.test/agent/tickets/T-0000000001" in text
    assert "http://portal.test/agent/dashboard?from=2026-03-02&to=2026-03-08" in text
    assert "T-0000000001 (Artículo dañado): primera respuesta en 40,0" in " ".join(html.split())
    _, late, _ = mail_text("en", summarized(first_response_seconds=38 * 960))
    assert "Average first response: 16.0 business minutes; the promise is 15 on average. Promise not kept." in late
