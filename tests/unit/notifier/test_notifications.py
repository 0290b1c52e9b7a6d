"""Which mails an event causes, what the acknowledgement promises, and how each mail renders: pure, no SMTP."""

from __future__ import annotations

import email
import email.policy
import random
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from soporte.businesstime import load_calendar
from soporte.events import Channel, Language
from soporte.notifier.domain.delivery import retry_delay
from soporte.notifier.domain.notifications import Contact, Desk, contact_from, plan
from soporte.notifier.domain.rendering import MailThreading, display_name, make_environment, render_email
from soporte.notifier.settings import NotifierSettings
from soporte.platform.reply_tokens import ticket_of_message_id, verify_reply_token
from soporte.ticketrules import SlaRules, load_policies, replay_escalations
from soporte.words import words
from tests.support.scenario import HOUR, MINUTE, PHOTO, Stream

MADRID = ZoneInfo("Europe/Madrid")
NOW = datetime(2026, 11, 27, 16, 50, tzinfo=UTC)  # Friday 17:50 in Madrid
FRIDAY_EVENING = datetime(2026, 11, 27, 20, 0, tzinfo=MADRID)
TUESDAY_MORNING = datetime(2026, 11, 24, 10, 0, tzinfo=MADRID)
RECIPIENTS = {"team-lead": ["lead@shop.test"], "ops": ["ops@shop.test", "lead@shop.test"]}
RULES = SlaRules(load_calendar(), load_policies())


def desk(staff_language: str = "es") -> Desk:
    return Desk(RULES, "http://portal.test", RECIPIENTS, staff_language)


def planned(event, contact, staff_language: str = "es"):
    return plan(event, contact, desk(staff_language))


def acknowledgement(event):
    (mail,) = planned(event, contact_from(event))
    assert mail.kind == "ticket_received"
    return mail


def promised(event) -> datetime | None:
    promise = acknowledgement(event).context["promised_by"]
    return datetime.fromisoformat(promise).astimezone(MADRID) if promise else None


def render(mail):
    message = render_email(make_environment(), mail, "Soporte <soporte@shop.test>")
    return message, message.get_body(("plain",)).get_content(), message.get_body(("html",)).get_content()


def test_a_submission_gets_one_acknowledgement_in_the_customers_language():
    event = Stream("T-NOTIFY0001").submitted(NOW, missing=("photo_of_item",))
    mail = acknowledgement(event)
    assert (mail.recipient, mail.language) == ("ana@example.com", "es")
    assert mail.context["missing"] == ["photo_of_item"]
    assert mail.context["status_url"] == "http://portal.test/tickets/T-NOTIFY0001"


def test_the_acknowledgement_promises_the_earliest_commitment_24_hours_over_a_weekend():
    # Friday 20:00, after hours: 15 business minutes end Monday 00:15, the 24-hour attention Saturday 20:00.
    assert promised(Stream().submitted(FRIDAY_EVENING)) == datetime(2026, 11, 28, 20, 0, tzinfo=MADRID)
    # Friday 17:50: 10 minutes today and 5 on Monday, but attention comes first (Saturday 17:50).
    assert promised(Stream().submitted(NOW)) == datetime(2026, 11, 28, 17, 50, tzinfo=MADRID)


def test_within_business_hours_the_first_response_is_the_promise():
    assert promised(Stream().submitted(TUESDAY_MORNING)) == TUESDAY_MORNING + 15 * MINUTE


def test_the_promise_reads_in_the_customers_language_and_the_desks_timezone():
    _, spanish, _ = render(acknowledgement(Stream().submitted(FRIDAY_EVENING)))
    assert "sábado 28 de noviembre de 2026, 20:00 (Europe/Madrid)" in spanish
    _, english, _ = render(acknowledgement(Stream().submitted(FRIDAY_EVENING, language=Language.EN)))
    assert "Saturday 28 November 2026, 20:00 (Europe/Madrid)" in english


@pytest.mark.parametrize("channel", [Channel.PHONE, Channel.CHAT])
def test_a_ticket_opened_during_a_call_or_chat_is_acknowledged_without_a_promise(channel):
    mail = acknowledgement(Stream("T-PHONE00001").submitted(TUESDAY_MORNING, channel=channel))
    assert mail.context["promised_by"] is None and mail.context["opened_during"] == channel.value
    message, text, html = render(mail)
    m = words("es").mail
    assert message["Subject"] == f"[T-PHONE00001] {m.subjects.ticket_opened_live}"
    assert m.ticket_received.opened_during[channel.value].format(ticket="T-PHONE00001") in text
    assert "como muy tarde" not in text and "como muy tarde" not in html
    assert (
        "http://portal.test/tickets/T-PHONE00001" in text and 'href="http://portal.test/tickets/T-PHONE00001"' in html
    )


def test_missing_items_are_named_in_words_never_by_their_code():
    event = Stream().submitted(NOW, missing=("photo_of_item", "order_number"))
    _, text, html = render(acknowledgement(event))
    assert "necesitamos: una foto del artículo y el número de pedido." in text
    assert "photo_of_item" not in text + html and "order_number" not in text + html


def test_ids_are_derived_so_a_redelivery_maps_to_the_same_notification():
    event = Stream().submitted(NOW)
    assert acknowledgement(event).notification_id == acknowledgement(event).notification_id


def test_internal_notes_and_customer_messages_send_nothing():
    stream = Stream("T-NOTIFY0001")
    contact = contact_from(stream.submitted(NOW))
    assert planned(stream.note(NOW + MINUTE), contact) == []
    assert planned(stream.customer_replied(NOW + 2 * MINUTE), contact) == []
    assert planned(stream.assigned(NOW + 3 * MINUTE), contact) == []
    assert planned(stream.reopened(NOW + 4 * MINUTE), contact) == []


def test_events_of_a_ticket_nobody_submitted_here_send_nothing():
    assert planned(Stream().agent_replied(NOW), None) == []


def test_every_public_agent_action_mails_the_customer():
    stream = Stream()
    contact = contact_from(stream.submitted(NOW))
    kinds = [n.kind for event in stream.every_answer(NOW + MINUTE) for n in planned(event, contact)]
    assert kinds == [
        "agent_response",
        "clarification_requested",
        "return_label_issued",
        "courier_claim_opened",
        "ticket_resolved",
    ]


def escalations(history, up_to):
    return sorted(replay_escalations(history, RULES, up_to).values(), key=lambda e: (e.data.clock, e.data.level))


def test_escalations_go_once_to_each_address_the_level_names():
    stream = Stream()
    warning, breach = [e for e in escalations([stream.submitted(TUESDAY_MORNING)], TUESDAY_MORNING + HOUR)]
    assert (warning.type, breach.type) == ("SlaWarning", "SlaBreached")
    assert [m.recipient for m in planned(warning, None)] == ["lead@shop.test"]
    assert [m.recipient for m in planned(breach, None)] == ["lead@shop.test", "ops@shop.test"]
    named = warning.model_copy(update={"data": warning.data.model_copy(update={"notify": ["boss@shop.test"]})})
    assert [m.recipient for m in planned(named, None)] == ["boss@shop.test"]


def test_the_escalation_mail_is_in_the_desks_language_with_the_clock_in_words_local_times_and_the_console_link():
    stream = Stream("T-ESCALATE01")
    _, breach = escalations([stream.submitted(TUESDAY_MORNING)], TUESDAY_MORNING + HOUR)
    mail = planned(breach, None)[0]
    assert mail.language == "es"
    message, text, html = render(mail)
    assert message["Subject"] == "[T-ESCALATE01] Plazo incumplido: primera respuesta"
    assert "El ticket T-ESCALATE01 ha superado el plazo de primera respuesta." in text
    assert "martes 24 de noviembre de 2026, 10:15 (Europe/Madrid)" in text  # 09:15 UTC
    assert "Avisados: responsable del equipo y operaciones" in text
    assert "http://portal.test/agent/tickets/T-ESCALATE01" in text
    assert 'href="http://portal.test/agent/tickets/T-ESCALATE01"' in html
    english = planned(breach, None, staff_language="en")[0]
    assert english.language == "en"
    assert render(english)[0]["Subject"] == "[T-ESCALATE01] Deadline missed: first response"


@pytest.mark.parametrize("language", [Language.ES, Language.EN])
def test_every_customer_template_renders_both_parts_with_the_ticket_number_and_its_subject(language):
    stream = Stream()
    submitted = stream.submitted(NOW, language=language, attachments=(PHOTO,))
    contact = contact_from(submitted)
    history = [submitted, *stream.every_answer(NOW + MINUTE)]
    subjects = words(language.value).mail.subjects
    for event in history:
        (mail,) = planned(event, contact)
        message, text, html = render(mail)
        assert stream.ticket_id in text and stream.ticket_id in html
        assert message["Subject"] == f"[{stream.ticket_id}] {subjects[mail.kind]}"


def test_english_customers_get_english():
    event = Stream("T-NOTIFY0001").submitted(NOW, language=Language.EN)
    message, text, _ = render(acknowledgement(event))
    assert message["Subject"] == "[T-NOTIFY0001] We received your ticket"
    assert "We have received your ticket" in text


def test_a_hostile_customer_name_is_escaped_in_html_and_cannot_inject_headers():
    contact = Contact("T-NOTIFY0001", "Eve <script>alert(1)</script>\r\nBcc: victim@evil.test", "eve@example.com")
    (mail,) = planned(Stream("T-NOTIFY0001").submitted(NOW), contact)
    message = render_email(make_environment(), mail, "soporte@shop.test\r\nBcc: x@evil.test")
    html = message.get_body(("html",)).get_content()
    assert "<script>" not in html and "&lt;script&gt;" in html
    raw = message.as_string()
    header_block = raw.split("\n\n", 1)[0]
    assert "\nBcc:" not in header_block and "\r\nBcc" not in raw
    for name in ("To", "From", "Subject"):
        assert "\n" not in message[name] and "\r" not in message[name]


@pytest.mark.parametrize(
    "name",
    [
        "Ana Pérez de la Fuente y Gómez-Aranda, atención: eve@evil.example, departamento de compras internacionales",
        'Eve "la de <intruso@evil.test>", ' + "Nombre muy largo; Bcc: victima@evil.test, " * 4,  # ASCII: quoted
    ],
)
def test_a_long_name_holding_an_address_stays_one_recipient_when_the_to_header_is_folded(name):
    (mail,) = planned(Stream("T-NOTIFY0001").submitted(NOW), Contact("T-NOTIFY0001", name, "ana@example.com"))
    raw = render_email(make_environment(), mail, "soporte@shop.test").as_bytes(policy=email.policy.SMTP)  # as sent
    assert b"\n " in raw.split(b"\r\n\r\n", 1)[0]  # the header was folded
    received = email.message_from_bytes(raw, policy=email.policy.default)
    [only] = received["To"].addresses  # one recipient, however the name folds
    assert only.addr_spec == "ana@example.com"
    # The name's words are all there (Python's decoder leaves a space where two encoded words meet).
    assert only.display_name.replace(" ", "") == display_name(name).replace(" ", "")
    assert "Nombre muy largo" in only.display_name or "Gómez-Aranda" in only.display_name


THREADING = MailThreading("soporte@tienda.example", "desk-secret-for-tests-0123456789abcdef")


def test_a_customer_mail_is_answered_to_a_signed_plus_address_and_its_message_id_names_the_ticket():
    submitted = Stream("T-7F3K2M9QXA").submitted(NOW)
    (mail,) = planned(submitted, contact_from(submitted))
    message = render_email(make_environment(), mail, "Soporte <soporte@tienda.example>", THREADING)
    local, _, domain = message["Reply-To"].partition("@")
    assert domain == "tienda.example" and local.startswith("soporte+")
    assert verify_reply_token(local.removeprefix("soporte+"), THREADING.secret) == "T-7F3K2M9QXA"
    assert ticket_of_message_id(message["Message-ID"], THREADING.secret) == "T-7F3K2M9QXA"
    again = render_email(make_environment(), mail, "Soporte <soporte@tienda.example>", THREADING)
    assert again["Message-ID"] == message["Message-ID"]  # a resend after a crash is the same mail
    assert message["References"] == "<T-7F3K2M9QXA@tienda.example>"


def test_escalation_mails_to_the_staff_have_a_stable_message_id_but_no_reply_to():
    warning, _ = escalations([Stream("T-ESCALATE01").submitted(TUESDAY_MORNING)], TUESDAY_MORNING + HOUR)
    mails = planned(warning, None)
    message = render_email(make_environment(), mails[0], "Soporte <soporte@tienda.example>", THREADING)
    assert message["Reply-To"] is None
    assert message["Message-ID"] == f"<n.{mails[0].notification_id}@tienda.example>"


def test_backoff_grows_with_jitter_and_a_cap():
    rng = random.Random(7)
    base, cap = timedelta(seconds=1), timedelta(seconds=30)
    delays = [retry_delay(n, base, cap, rng) for n in range(1, 12)]
    assert all(timedelta(0) <= d <= cap for d in delays)
    assert all(retry_delay(n, base, cap, random.Random(n)) <= base * 2 ** (n - 1) for n in range(1, 6))
    assert len({d for d in delays}) > 5  # jitter: not a fixed schedule


def test_the_staff_language_is_a_setting_and_only_a_language_the_catalogue_has():
    assert NotifierSettings.from_env({}).staff_language == "es"
    assert NotifierSettings.from_env({"SOPORTE_NOTIFIER_STAFF_LANGUAGE": "en"}).staff_language == "en"
    with pytest.raises(ValidationError):
        NotifierSettings.from_env({"SOPORTE_NOTIFIER_STAFF_LANGUAGE": "fr"})
