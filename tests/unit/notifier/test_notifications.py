"""Which mails an event causes, and how each renders: pure, no SMTP."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from soporte.businesstime import load_calendar
from soporte.events import Actor, ActorKind, Category, Language, Priority
from soporte.events import types as t
from soporte.notifier.domain.notifications import Contact, contact_from, plan, retry_delay
from soporte.notifier.domain.rendering import SUBJECTS, make_environment, render_email
from soporte.ticketrules import load_policies
from tests.support.samples import sample_events

NOW = datetime(2026, 11, 27, 16, 50, tzinfo=UTC)  # Friday 17:50 in Madrid
AGENT = Actor(kind=ActorKind.AGENT, id="a-1")
RECIPIENTS = {"team-lead": ["lead@shop.test"], "ops": ["ops@shop.test", "lead@shop.test"]}


def submitted(name="Ana Pérez", language=Language.ES, actionable=False, missing=("a photo of the broken LCD",)):
    return t.TicketSubmitted.create(
        data=t.TicketSubmittedData(
            category=Category.DAMAGED_ITEM,
            description="Llegó rota",
            customer=t.CustomerRef(name=name, email="ana@example.com", language=language),
            order_number="100234",
            actionability=t.Actionability(actionable=actionable, missing=list(missing), priority=Priority.NORMAL),
        ),
        actor=Actor(kind=ActorKind.GUEST, id="ana@example.com"),
        occurred_at=NOW,
        ticket_id="T-NOTIFY0001",
        version=1,
    )


def planned(event, contact):
    return plan(
        event,
        contact,
        calendar=load_calendar(),
        policies=load_policies(),
        portal_url="http://portal.test",
        escalation_recipients=RECIPIENTS,
    )


def test_a_submission_gets_one_acknowledgement_with_the_expected_time_from_the_calendar():
    event = submitted()
    (mail,) = planned(event, contact_from(event))
    assert mail.kind == "ticket_received" and mail.recipient == "ana@example.com" and mail.language == "es"
    # 17:50 on a Friday + 15 business minutes: 10 min today, 5 on Monday (Madrid hours 00:00-18:00).
    assert mail.context["expected_by"] == "2026-11-30 00:05"
    assert mail.context["missing"] == ["a photo of the broken LCD"]


def test_ids_are_derived_so_a_redelivery_maps_to_the_same_notification():
    event = submitted()
    assert (
        planned(event, contact_from(event))[0].notification_id == planned(event, contact_from(event))[0].notification_id
    )


def test_internal_notes_and_customer_messages_send_nothing():
    contact = Contact("T-NOTIFY0001", "Ana", "ana@example.com")
    note = t.InternalNoteAdded.create(
        data=t.MessageData(body="secreto"), actor=AGENT, occurred_at=NOW, ticket_id="T-NOTIFY0001", version=2
    )
    reply = t.CustomerReplied.create(
        data=t.MessageData(body="hola"), actor=AGENT, occurred_at=NOW, ticket_id="T-NOTIFY0001", version=3
    )
    assert planned(note, contact) == [] and planned(reply, contact) == []


def test_every_public_agent_action_mails_the_customer():
    contact = Contact("T-0000000001", "Ana", "ana@example.com")
    kinds = [n.kind for e in sample_events() for n in planned(e, contact) if e.ticket_id]
    assert {
        "agent_response",
        "clarification_requested",
        "ticket_resolved",
        "return_label_issued",
        "courier_claim_opened",
    } <= set(kinds)


def test_escalations_go_once_to_each_address_the_level_names():
    escalation = next(e for e in sample_events() if isinstance(e, t.SlaBreached))
    mails = planned(escalation, None)
    assert sorted(m.recipient for m in mails) == ["lead@shop.test"]  # the sample names team-lead only
    breach = escalation.model_copy(update={"data": escalation.data.model_copy(update={"notify": ["team-lead", "ops"]})})
    assert sorted(m.recipient for m in planned(breach, None)) == ["lead@shop.test", "ops@shop.test"]


@pytest.mark.parametrize("language", ["es", "en"])
@pytest.mark.parametrize(
    "event",
    [e for e in sample_events() if e.ticket_id and not isinstance(e, t.FirstResponseMeasured)],
    ids=lambda e: e.type,
)
def test_every_template_renders_both_parts_with_the_ticket_number(event, language):
    contact = Contact(event.ticket_id, "Ana", "ana@example.com", language)
    env = make_environment()
    for mail in planned(event, contact):
        message = render_email(env, mail, "Soporte <soporte@shop.test>")
        text = message.get_body(("plain",)).get_content()
        html = message.get_body(("html",)).get_content()
        assert event.ticket_id in message["Subject"] and event.ticket_id in text and event.ticket_id in html
        assert SUBJECTS[mail.language][mail.kind] in message["Subject"]
        assert message["Subject"].startswith(f"[{event.ticket_id}]")


def test_english_customers_get_english():
    event = submitted(language=Language.EN)
    message = render_email(make_environment(), planned(event, contact_from(event))[0], "soporte@shop.test")
    assert message["Subject"] == "[T-NOTIFY0001] We received your ticket"
    assert "We have received your ticket" in message.get_body(("plain",)).get_content()


def test_a_hostile_customer_name_is_escaped_in_html_and_cannot_inject_headers():
    contact = Contact("T-NOTIFY0001", "Eve <script>alert(1)</script>\r\nBcc: victim@evil.test", "eve@example.com")
    event = submitted()
    mail = planned(event, contact)[0]
    message = render_email(make_environment(), mail, "soporte@shop.test\r\nBcc: x@evil.test")
    html = message.get_body(("html",)).get_content()
    assert "<script>" not in html and "&lt;script&gt;" in html
    raw = message.as_string()
    header_block = raw.split("\n\n", 1)[0]
    assert "\nBcc:" not in header_block and "\r\nBcc" not in raw
    for name in ("To", "From", "Subject"):
        assert "\n" not in message[name] and "\r" not in message[name]


def test_backoff_grows_with_jitter_and_a_cap():
    rng = random.Random(7)
    base, cap = timedelta(seconds=1), timedelta(seconds=30)
    delays = [retry_delay(n, base, cap, rng) for n in range(1, 12)]
    assert all(timedelta(0) <= d <= cap for d in delays)
    assert all(retry_delay(n, base, cap, random.Random(n)) <= base * 2 ** (n - 1) for n in range(1, 6))
    assert len({d for d in delays}) > 5  # jitter: not a fixed schedule
