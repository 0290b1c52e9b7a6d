"""The fold of ticket events into queue rows, the public thread and the timeline (pure)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from soporte import events as ev
from soporte.businesstime import BusinessCalendar
from soporte.events import types as t
from soporte.projections.domain.tickets import (
    Escalation,
    NotInStream,
    SlaState,
    Status,
    apply_ticket_event,
    public_message,
    sla_state,
    timeline_entry,
)
from soporte.ticketrules import SlaPolicies
from tests.support.samples import sample_events

CAL = BusinessCalendar.always_open()
POLICIES = SlaPolicies()
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
GUEST = ev.Actor(kind=ev.ActorKind.GUEST, id="ana@example.com", name="Ana")
AGENT = ev.Actor(kind=ev.ActorKind.AGENT, id="agent-1", name="Luis")


def submitted(actionable=True, minutes=0, version=1, ticket_id="T-AAAAAAAAAA"):
    return t.TicketSubmitted.create(
        data=t.TicketSubmittedData(
            category=ev.Category.DAMAGED_ITEM,
            description="Pantalla rota",
            customer=t.CustomerRef(name="Ana", email="Ana@Example.com"),
            actionability=t.Actionability(actionable=actionable, missing=[] if actionable else ["order_number"]),
        ),
        actor=GUEST,
        occurred_at=T0 + timedelta(minutes=minutes),
        ticket_id=ticket_id,
        version=version,
    )


def event(cls, data, version, minutes, actor=AGENT, ticket_id="T-AAAAAAAAAA"):
    return cls.create(
        data=data, actor=actor, occurred_at=T0 + timedelta(minutes=minutes), ticket_id=ticket_id, version=version
    )


def fold(events):
    view = None
    for e in events:
        view = apply_ticket_event(view, e, CAL, POLICIES)
    return view


def test_a_new_ticket_is_new_with_first_response_and_attention_due():
    view = fold([submitted()])
    assert view.status is Status.NEW and view.actionable and view.customer_email == "ana@example.com"
    due = view.due_times(CAL)
    assert due == {"first_response": T0 + timedelta(minutes=15), "attention": T0 + timedelta(hours=24)}
    assert view.sla_due_at(CAL) == T0 + timedelta(minutes=15)


def test_missing_details_make_a_ticket_not_actionable():
    view = fold([submitted(actionable=False)])
    assert not view.actionable and view.missing == ("order_number",)


def test_an_agent_reply_opens_the_ticket_and_stops_the_clocks():
    view = fold([submitted(), event(t.AgentReplied, t.MessageData(body="Hola"), 2, 5)])
    assert view.status is Status.OPEN and view.first_responded_at == T0 + timedelta(minutes=5)
    assert view.sla_due_at(CAL) is None


def test_clarification_pauses_business_clocks_and_the_answer_resumes_them_with_time_kept():
    view = fold(
        [
            submitted(),
            event(t.ClarificationRequested, t.ClarificationRequestedData(question="¿Foto?"), 2, 5),
        ]
    )
    assert view.status is Status.WAITING_ON_CUSTOMER and view.sla_due_at(CAL) is None
    view = apply_ticket_event(
        view, event(t.CustomerReplied, t.MessageData(body="Aquí"), 3, 65, actor=GUEST), CAL, POLICIES
    )
    assert view.status is Status.OPEN
    # 5 of 15 minutes were used before the pause: 10 remain from the answer.
    assert view.due_times(CAL) == {"first_response": T0 + timedelta(minutes=75)}


def test_a_customer_message_after_an_answer_starts_the_next_response_clock():
    view = fold(
        [
            submitted(),
            event(t.AgentReplied, t.MessageData(body="Hola"), 2, 5),
            event(t.CustomerReplied, t.MessageData(body="Otra duda"), 3, 30, actor=GUEST),
        ]
    )
    assert view.due_times(CAL) == {"next_response": T0 + timedelta(minutes=90)}


def test_resolve_and_reopen():
    view = fold([submitted(), event(t.TicketResolved, t.TicketResolvedData(resolution="Hecho"), 2, 5)])
    assert view.status is Status.RESOLVED and view.clocks == ()
    view = apply_ticket_event(
        view,
        event(t.TicketReopened, t.TicketReopenedData(reason=t.ReopenReason.CUSTOMER_REPLIED), 3, 10, GUEST),
        CAL,
        POLICIES,
    )
    assert view.status is Status.OPEN and "next_response" in view.due_times(CAL)


def test_assignment_and_unassignment():
    view = fold(
        [submitted(), event(t.TicketAssigned, t.TicketAssignedData(assignee_id="agent-1", assignee_name="Luis"), 2, 1)]
    )
    assert (view.assignee_id, view.assignee_name) == ("agent-1", "Luis")
    view = apply_ticket_event(
        view, event(t.TicketAssigned, t.TicketAssignedData(assignee_id=None), 3, 2), CAL, POLICIES
    )
    assert view.assignee_id is None and view.assignee_name is None


def test_an_event_before_its_submission_is_refused():
    with pytest.raises(NotInStream):
        fold([event(t.AgentReplied, t.MessageData(body="Hola"), 2, 5)])


def _escalation(view, clock, breached, episode=None):
    episode = episode or next(c.episode for c in view.clocks if c.kind == clock)
    return Escalation(str(uuid.uuid4()), view.ticket_id, breached, clock, episode, T0, T0)


def test_sla_state_follows_escalations_of_the_clocks_still_on():
    view = fold([submitted()])
    assert sla_state(view, []) is SlaState.OK
    assert sla_state(view, [_escalation(view, "first_response", False)]) is SlaState.AT_RISK
    assert (
        sla_state(view, [_escalation(view, "first_response", False), _escalation(view, "attention", True)])
        is SlaState.BREACHED
    )
    # An escalation of an episode that has ended no longer counts.
    old = _escalation(view, "first_response", True)
    answered = apply_ticket_event(view, event(t.AgentReplied, t.MessageData(body="Hola"), 2, 5), CAL, POLICIES)
    assert sla_state(answered, [old]) is SlaState.OK


def test_the_public_thread_never_holds_internal_notes_or_assignments():
    stream = [e for e in sample_events() if e.ticket_id]
    kinds = {e.type: public_message(e) for e in stream}
    assert kinds["InternalNoteAdded"] is None and kinds["TicketAssigned"] is None
    assert kinds["TicketSubmitted"].body == "La pantalla llegó rota"
    assert kinds["AgentReplied"].kind == "agent_reply" and kinds["ClarificationRequested"].kind == "clarification"
    assert kinds["TicketResolved"].body == "Reemplazo enviado"
    assert kinds["CustomerReplied"].attachments[0]["filename"] == "broken-lcd.jpg"


def test_every_event_has_a_timeline_entry_naming_who_and_when():
    stream = [e for e in sample_events() if e.version]
    entries = [timeline_entry(e) for e in stream]
    assert [e.version for e in entries] == list(range(1, len(stream) + 1))
    note = next(e for e in entries if e.type == "InternalNoteAdded")
    assert note.actor_kind == "agent" and note.actor_name == "Luis" and note.summary == "Proveedor con defectos"


def test_the_sample_stream_folds_end_to_end():
    view = fold([e for e in sample_events() if e.version])
    assert view.version == 11 and view.status is Status.OPEN and view.assignee_id == "agent-1"
