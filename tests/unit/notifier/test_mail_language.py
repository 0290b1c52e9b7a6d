"""Every mail reads as one language: each template's subject, text and HTML part, in Spanish and in
English, for every category, every missing item, every channel, every clock and both escalation kinds.

What the customer or agent typed is not ours to judge and is passed as ``typed``.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from soporte import events as ev
from soporte.businesstime import load_calendar
from soporte.events import types as t
from soporte.notifier.domain.notifications import ESCALATION, Desk, Notification, contact_from, plan
from soporte.notifier.domain.rendering import make_environment, render_email
from soporte.ticketrules import SlaRules, load_policies, replay_escalations
from soporte.words import LANGUAGES, words
from tests.support.language import assert_reads_as, visible_text
from tests.support.scenario import HOUR, MINUTE, PHOTO, Stream

MADRID = ZoneInfo("Europe/Madrid")
AT = datetime(2026, 11, 27, 17, 50, tzinfo=MADRID)  # a Friday, ten minutes before closing
RULES = SlaRules(load_calendar(), load_policies())
RECIPIENTS = {"team-lead": ["lead@shop.test"], "ops": ["ops@shop.test"]}
ENV = make_environment()
MISSING_ITEMS = tuple(words("es").vocabulary.missing_items)
# What people typed into the events the scenario builds, and the customer's name.
TYPED = (
    "Ana Pérez",
    "Le ayudamos",
    "¿Puede enviar una foto?",
    "Hecho",
    "Golpe en el envío",
    "Correos",
    "PK123",
    "RL-1",
    "CC-1",
    PHOTO.filename,
)


def desk(lang: str) -> Desk:
    return Desk(RULES, "http://portal.test", RECIPIENTS, staff_language=lang)


def check(notification: Notification) -> None:
    message = render_email(ENV, notification, "Soporte <soporte@shop.test>")
    lang, where = notification.language, f"{notification.kind} {notification.context}"
    assert_reads_as(lang, message["Subject"], TYPED, where=f"subject of {where}")
    assert_reads_as(lang, message.get_body(("plain",)).get_content(), TYPED, where=f"text of {where}")
    assert_reads_as(lang, visible_text(message.get_body(("html",)).get_content()), TYPED, where=f"HTML of {where}")


def customer_mails(stream: Stream, submitted: ev.Event, lang: str) -> list[Notification]:
    contact = contact_from(submitted)
    history = [submitted, *stream.every_answer(AT + MINUTE)]
    return [mail for event in history for mail in plan(event, contact, desk(lang))]


@pytest.mark.parametrize("category", list(ev.Category))
@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_customer_mail_of_every_category_reads_as_the_customers_language(lang, category):
    incomplete, complete = Stream(category=category), Stream(category=category)
    mails = customer_mails(
        incomplete,
        incomplete.submitted(AT, language=ev.Language(lang), missing=MISSING_ITEMS, attachments=(PHOTO,)),
        lang,
    ) + customer_mails(complete, complete.submitted(AT, language=ev.Language(lang)), lang)
    assert {m.kind for m in mails} == {
        "ticket_received",
        "agent_response",
        "clarification_requested",
        "return_label_issued",
        "courier_claim_opened",
        "ticket_resolved",
    }
    assert all(m.language == lang for m in mails)
    for mail in mails:
        check(mail)


@pytest.mark.parametrize("missing", MISSING_ITEMS)
@pytest.mark.parametrize("channel", list(ev.Channel))
@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_acknowledgement_reads_as_the_customers_language_whatever_the_channel_and_what_is_missing(
    lang, channel, missing
):
    event = Stream().submitted(AT, language=ev.Language(lang), channel=channel, missing=(missing,))
    (mail,) = plan(event, contact_from(event), desk(lang))
    check(mail)


def all_escalations() -> list[ev.Event]:
    """Warning and breach of every clock: a ticket nobody answers (first response, attention), and one
    whose customer wrote again after the answer (next response)."""
    silent, waiting = Stream(), Stream(priority=ev.Priority.HIGH, category=ev.Category.LCD_DIAGNOSIS)
    history = [
        silent.submitted(AT),
        waiting.submitted(AT),
        waiting.agent_replied(AT + MINUTE),
        waiting.customer_replied(AT + HOUR),
    ]
    return list(replay_escalations(history, RULES, AT + 30 * 24 * HOUR).values())


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_escalation_mail_reads_as_the_staffs_language(lang):
    escalations = all_escalations()
    assert {(e.type, e.data.clock) for e in escalations} == {
        (kind, clock) for kind in ("SlaWarning", "SlaBreached") for clock in t.SlaClock
    }
    mails = [mail for event in escalations for mail in plan(event, None, desk(lang))]
    assert mails and all(m.kind == ESCALATION and m.language == lang for m in mails)
    for mail in mails:
        check(mail)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_mails_with_links_and_the_label_attached_read_as_the_customers_language(lang):
    from soporte.events import AttachmentRef
    from soporte.notifier.domain.access_links import KnownTicket, plan_access_links

    known = [
        KnownTicket(f"T-LINKS0000{n}", "Ana Pérez", "ana@example.com", lang, "cust-1", category.value, status, AT)
        for n, (category, status) in enumerate(
            zip(ev.Category, ("new", "open", "waiting_on_customer", "resolved"), strict=False)
        )
    ]
    mails = []
    for ticket_id in (None, known[0].ticket_id):
        data = t.AccessLinkRequestedData(email="ana@example.com", language=lang, ticket_id=ticket_id)
        event = t.AccessLinkRequested.create(data=data, actor=ev.Actor(kind="guest", id="anyone"), occurred_at=AT)
        mails += plan_access_links(event, known, desk(lang))
    stream = Stream()
    submitted = stream.submitted(AT, language=ev.Language(lang))
    pdf = AttachmentRef(sha256="d" * 64, filename="etiqueta.pdf", content_type="application/pdf", size=1)
    label = stream.return_label(AT).data.model_copy(update={"label": pdf, "return_address": ["Pantallas LCD S.L."]})
    mails += plan(stream.place(t.ReturnLabelIssued, label, stream.agent, AT), contact_from(submitted), desk(lang))
    assert [m.kind for m in mails] == ["access_links", "access_links", "return_label_issued"]
    for mail in mails:
        check(mail)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_acknowledgement_names_every_file_it_did_not_keep_and_why_in_the_customers_language(lang):
    refused = tuple(ev.RefusedFile(filename=f"archivo-{r.value}.bin", reason=r) for r in ev.FileRefusal)
    submitted = Stream().submitted(AT, language=ev.Language(lang), channel=ev.Channel.EMAIL, refused=refused)
    (mail,) = plan(submitted, contact_from(submitted), desk(lang))
    message = render_email(ENV, mail, "Soporte <soporte@shop.test>")
    typed = (*TYPED, *(f.filename for f in refused))
    text, html = message.get_body(("plain",)).get_content(), visible_text(message.get_body(("html",)).get_content())
    for part in (text, html):
        assert_reads_as(lang, part, typed, where="acknowledgement with refused files")
        assert words(lang).mail.files_refused in part
        for file in refused:
            assert f"{file.filename}: {words(lang).vocabulary.file_refusals[file.reason]}" in part
