"""Intake's pure decisions: who may do what, when, and how complete a submission is."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from soporte import events as ev
from soporte.events import Actor, ActorKind, AttachmentRef, Category, Channel, Language, Priority
from soporte.events import types as t
from soporte.intake.domain import access
from soporte.intake.domain import tickets as d
from soporte.intake.domain.return_labels import printed, return_label_data
from tests.support.scenario import AGENT, GUEST, Stream

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
PHOTO = AttachmentRef(sha256="b" * 64, filename="lcd.jpg", content_type="image/jpeg", size=10)
PDF = AttachmentRef(sha256="c" * 64, filename="factura.pdf", content_type="application/pdf", size=10)
CUSTOMER = t.CustomerRef(name="Ana", email="ana@example.com")
CARRIERS = ("Correos", "SEUR")


def label_of(state: d.TicketState, label_id: str = "RL-1", tracking_number: str = "PK123") -> t.ReturnLabelIssuedData:
    return return_label_data(
        state,
        label_id=label_id,
        carrier="Correos",
        tracking_number=tracking_number,
        return_address=("Pantallas LCD S.L.", "28001 Madrid"),
        customer_address=("Avenida del Sol 3", "41001 Sevilla"),
    )


def fold(*events) -> d.TicketState:
    return d.rebuild(events[0].ticket_id, list(events))


def history(stream: Stream, *steps: str) -> list:
    """The ticket submitted, then each named step of the scenario builder."""
    return [stream.submitted(NOW), *(getattr(stream, step)(NOW) for step in steps)]


def placed(stream: Stream, decision, actor=AGENT) -> list:
    """A decision's payloads as the stream's next events, as the handler appends them."""
    return [stream.place(event_type, data, actor, NOW) for event_type, data in decision]


def submit(state, channel=Channel.WEB, actor=GUEST):
    return d.decide_submit(
        state,
        category=Category.PRE_SALES,
        description="¿Hay stock?",
        customer=CUSTOMER,
        order_number=None,
        attachments=[],
        channel=channel,
        actor=actor,
    )


@pytest.mark.parametrize(
    ("category", "order", "attachments", "description", "missing", "priority"),
    [
        (Category.DAMAGED_ITEM, "100234", [PHOTO], "Rota", [], Priority.HIGH),
        (Category.DAMAGED_ITEM, None, [PDF], "Rota", ["order_number", "photo_of_item"], Priority.NORMAL),
        (Category.WRONG_ITEM, "100234", [], "No es la pieza", ["photo_of_item"], Priority.NORMAL),
        (Category.PRE_SALES, None, [], "¿Tienen 15.6?", [], Priority.NORMAL),
        (Category.LCD_DIAGNOSIS, None, [], "No va", ["detailed_description"], Priority.NORMAL),
        (
            Category.LCD_DIAGNOSIS,
            None,
            [],
            "Líneas verticales al abrir la tapa; con monitor externo va bien",
            [],
            Priority.NORMAL,
        ),
        (
            Category.TROUBLESHOOTING,
            None,
            [],
            "La pantalla recibida no enciende con el cable original del portátil",
            ["order_number"],
            Priority.NORMAL,
        ),
    ],
)
def test_each_category_has_its_own_completeness_rules(category, order, attachments, description, missing, priority):
    verdict = d.assess(category, description, order, attachments)
    assert verdict.missing == missing
    assert verdict.actionable is (not missing)
    assert verdict.priority is priority


def test_only_agents_open_phone_or_chat_tickets_and_record_themselves():
    with pytest.raises(d.NotAllowed):
        submit(d.TicketState("T-1"), channel=Channel.PHONE, actor=GUEST)
    ((event_type, data),) = submit(d.TicketState("T-1"), channel=Channel.CHAT, actor=AGENT)
    assert event_type is t.TicketSubmitted and data.opened_by_agent_id == "agent-1" and data.channel is Channel.CHAT


def test_a_customer_reply_on_a_resolved_ticket_reopens_it_first():
    stream = Stream()
    state = fold(stream.submitted(NOW), stream.resolved(NOW))
    decided = d.decide_customer_reply(state, "Sigue mal", [], GUEST)
    assert [event_type for event_type, _ in decided] == [t.TicketReopened, t.CustomerReplied]
    assert decided[0][1].reason is t.ReopenReason.CUSTOMER_REPLIED


def test_a_mailed_reply_answers_a_clarification_and_lists_the_files_it_did_not_keep():
    stream = Stream()
    so_far = [stream.submitted(NOW), stream.clarification(NOW)]
    refused = [ev.RefusedFile(filename="factura.exe", reason=ev.FileRefusal.FILE_TYPE)]
    decided = d.decide_customer_reply(
        fold(*so_far), "Aquí va la foto", [PHOTO], GUEST, channel=Channel.EMAIL, refused_attachments=refused
    )
    [(event_type, data)] = decided
    assert event_type is t.CustomerReplied
    assert (data.channel, data.attachments, data.refused_attachments) == (Channel.EMAIL, [PHOTO], refused)
    assert fold(*so_far, *placed(stream, decided, GUEST)).status is d.Status.OPEN


def test_a_bounce_is_recorded_by_the_system_only_and_changes_no_status():
    stream = Stream()
    so_far = [stream.submitted(NOW), stream.resolved(NOW)]
    bounce = t.NotificationBouncedData(recipient="ana@example.com", status="5.1.1", message_id="n.1@tienda.example")
    mailin = Actor(kind=ActorKind.SYSTEM, id="mailin")
    decided = d.decide_bounce(fold(*so_far), bounce, mailin)
    assert decided == [(t.NotificationBounced, bounce)]
    assert fold(*so_far, *placed(stream, decided, mailin)).status is d.Status.RESOLVED
    with pytest.raises(d.NotAllowed):
        d.decide_bounce(fold(*so_far), bounce, GUEST)
    with pytest.raises(d.TicketNotFound):
        d.decide_bounce(d.TicketState("T-NONE"), bounce, mailin)


def test_agents_only_commands_and_wrong_moments():
    stream = Stream()
    state = fold(stream.submitted(NOW))
    with pytest.raises(d.NotAllowed):
        d.decide_clarification(state, "?", GUEST)
    with pytest.raises(d.NotAllowed):
        d.decide_customer_reply(state, "hola", [], AGENT)
    waiting = fold(*history(Stream(), "clarification"))
    assert waiting.status is d.Status.WAITING_ON_CUSTOMER
    with pytest.raises(d.InvalidTransition):
        d.decide_clarification(waiting, "¿Otra?", AGENT)
    resolved = fold(*history(Stream(), "resolved"))
    for decide in (
        lambda s: d.decide_agent_reply(s, "x", [], AGENT),
        lambda s: d.decide_resolve(s, "", AGENT),
        lambda s: d.decide_return_label(s, label_of(s), AGENT, carriers=CARRIERS),
    ):
        with pytest.raises(d.InvalidTransition):
            decide(resolved)
    with pytest.raises(d.InvalidTransition):
        d.decide_reopen(state, AGENT)
    with pytest.raises(d.TicketNotFound):
        d.decide_note(d.TicketState("T-NONE"), "x", AGENT)


def test_assigning_the_same_agent_again_changes_nothing():
    stream = Stream()
    marta = Actor(kind=ActorKind.AGENT, id="agent-2", name="Marta")
    state = fold(stream.submitted(NOW), stream.assigned(NOW, marta))
    assert state.assignee_id == "agent-2"
    assert d.decide_assign(state, "agent-2", "Marta", AGENT) == []


def test_the_fold_follows_the_ticket_through_its_statuses():
    submitted = fold(*history(Stream()))
    assert (submitted.status, submitted.version, submitted.customer_email) == (d.Status.NEW, 1, "ana@example.com")
    assert fold(*history(Stream(), "customer_replied")).status is d.Status.NEW  # still unanswered
    assert fold(*history(Stream(), "agent_replied")).status is d.Status.OPEN
    assert fold(*history(Stream(), "clarification")).status is d.Status.WAITING_ON_CUSTOMER
    stream = Stream()
    replied = fold(stream.submitted(NOW), stream.clarification(NOW), stream.customer_replied(NOW, attachments=[PHOTO]))
    assert replied.status is d.Status.OPEN and replied.attachments == {PHOTO.sha256}
    stream = Stream()
    so_far = [stream.submitted(NOW), stream.resolved(NOW)]
    so_far += placed(stream, d.decide_customer_reply(fold(*so_far), "Sigue", [], GUEST), GUEST)
    reopened = fold(*so_far)
    assert (reopened.status, reopened.version) == (d.Status.OPEN, 4)
    stream = Stream()
    by_agent = fold(stream.submitted(NOW), stream.resolved(NOW), stream.reopened(NOW, by_customer=False))
    assert by_agent.status is d.Status.OPEN


def test_return_labels_and_courier_claims_carry_what_the_customer_mail_needs():
    state = d.TicketState("T-1", version=1, status=d.Status.NEW, order_number="100234", customer_name="Ana")
    ((label_type, label),) = d.decide_return_label(state, label_of(state), AGENT, carriers=CARRIERS)
    assert label_type is t.ReturnLabelIssued and label.order_number == "100234" and label.tracking_number == "PK123"
    assert label.customer_name == "Ana" and label.customer_address == ["Avenida del Sol 3", "41001 Sevilla"]
    ((claim_type, claim),) = d.decide_courier_claim(state, "CC-1", "SEUR", None, "Caja aplastada", AGENT)
    assert claim_type is t.CourierClaimOpened and claim.reason == "Caja aplastada"
    for decide in (
        lambda s: d.decide_return_label(s, label_of(s), GUEST, carriers=CARRIERS),
        lambda s: d.decide_courier_claim(s, "CC-2", "SEUR", None, "x", GUEST),
        lambda s: d.decide_assign(s, "agent-2", "Marta", GUEST),
        lambda s: d.decide_note(s, "x", GUEST),
    ):
        with pytest.raises(d.NotAllowed):
            decide(state)


def test_submitting_twice_under_one_id_is_refused():
    with pytest.raises(d.InvalidTransition):
        submit(fold(Stream().submitted(NOW)))


def test_a_return_label_is_by_one_of_the_desks_carriers_and_its_file_is_the_pdf_of_what_it_says():
    state = fold(Stream().submitted(NOW))
    elsewhere = label_of(state).model_copy(update={"carrier": "Paloma mensajera"})
    with pytest.raises(d.UnacceptableValue) as refused:
        d.decide_return_label(state, elsewhere, AGENT, carriers=CARRIERS)
    assert refused.value.field == "carrier"
    assert d.decide_return_label(state, elsewhere, AGENT, carriers=()) != []  # a desk that names none takes any
    pdf, label = printed(state.ticket_id, label_of(state))
    assert pdf.startswith(b"%PDF-") and label.label.size == len(pdf) and label.label.content_type == "application/pdf"
    assert label.language == "es" and label.customer_name == "Ana Pérez"
    assert printed(state.ticket_id, label_of(state)) == (pdf, label)  # the same label, the same bytes


def test_revoked_links_are_an_agents_call_and_the_state_remembers_when():
    stream = Stream()
    state = fold(stream.submitted(NOW))
    with pytest.raises(d.NotAllowed):
        access.decide_revoke_links(state, "", GUEST)
    with pytest.raises(d.TicketNotFound):
        access.decide_revoke_links(d.TicketState("T-NONE"), "", AGENT)
    ((kind, data),) = access.decide_revoke_links(state, "reenviado por error", AGENT)
    assert kind is t.TicketLinksRevoked and data.reason == "reenviado por error"
    later = NOW.replace(hour=12)
    revoked = fold(stream.submitted(NOW), stream.links_revoked(later))
    assert revoked.links_revoked_at == later and state.links_revoked_at is None


def test_links_go_to_an_address_or_to_an_existing_tickets_own_address_in_its_language():
    asked = access.decide_access_link(None, email="ana@example.com", language="en")
    assert (asked.email, asked.language, asked.ticket_id) == ("ana@example.com", "en", None)
    stream = Stream(customer=t.CustomerRef(name="John", email="john@example.com", language="en"))
    fresh = access.decide_access_link(fold(stream.submitted(NOW, language=Language.EN)), email=None, language="es")
    assert (fresh.email, fresh.language, fresh.ticket_id) == ("john@example.com", "en", stream.ticket_id)
    assert access.decide_access_link(d.TicketState("T-NONE"), email=None, language="es") is None
