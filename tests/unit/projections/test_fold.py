"""The fold of events into read-model rows (pure): queue rows with the SLA rules' due times, thread, timeline."""

from __future__ import annotations

import uuid

import pytest

from soporte import events as ev
from soporte.businesstime import BusinessCalendar
from soporte.events import types as t
from soporte.projections.domain.history import public_message, timeline_entry
from soporte.projections.domain.projection import fold
from soporte.projections.domain.tickets import Escalation, NotInStream, SlaState, TicketView
from soporte.ticketrules import SlaPolicies, SlaRules, Status
from tests.support.samples import T0, sample_events
from tests.support.scenario import HOUR, MINUTE, Stream

RULES = SlaRules(BusinessCalendar.always_open(), SlaPolicies())


def view_after(*events: ev.Event) -> TicketView:
    """The ticket's row after ``events`` (one ticket), folded in one batch."""
    [stored] = fold(RULES, {}, {}, events).tickets
    return stored.view


def test_a_new_ticket_is_new_with_first_response_and_attention_due():
    customer = t.CustomerRef(name="Ana", email="Ana@Example.com")
    view = view_after(Stream(customer=customer).submitted(T0))
    assert view.status is Status.NEW and view.actionable and view.customer_email == "ana@example.com"
    assert view.due_times == {"first_response": T0 + 15 * MINUTE, "attention": T0 + 24 * HOUR}
    assert view.sla_due_at == T0 + 15 * MINUTE and view.sla_state is SlaState.OK


def test_missing_details_make_a_ticket_not_actionable():
    view = view_after(Stream().submitted(T0, missing=("order_number",)))
    assert not view.actionable and view.missing == ("order_number",)


@pytest.mark.parametrize("response", ["agent_replied", "clarification", "return_label", "courier_claim"])
def test_every_public_agent_response_answers_the_customer_and_fulfils_the_clocks(response):
    # Issue #10: a clarification request, a return label and a courier claim answer the customer like a reply.
    s = Stream()
    view = view_after(s.submitted(T0), getattr(s, response)(T0 + 5 * MINUTE))
    assert view.first_responded_at == T0 + 5 * MINUTE and view.due_times == {} and view.sla_due_at is None
    assert view.status is (Status.WAITING_ON_CUSTOMER if response == "clarification" else Status.OPEN)


def test_the_customers_answer_to_a_clarification_starts_next_response():
    # Issue #10: the clarification fulfilled first response (no pause); the answer starts a fresh next response.
    s = Stream()
    view = view_after(s.submitted(T0), s.clarification(T0 + 5 * MINUTE), s.customer_replied(T0 + HOUR))
    assert view.status is Status.OPEN and view.due_times == {"next_response": T0 + 2 * HOUR}


def test_a_customer_message_after_an_answer_starts_the_next_response_clock():
    s = Stream()
    view = view_after(s.submitted(T0), s.agent_replied(T0 + 5 * MINUTE), s.customer_replied(T0 + 30 * MINUTE))
    assert view.due_times == {"next_response": T0 + 90 * MINUTE}


def test_a_customer_message_while_first_response_runs_starts_nothing_new():
    s = Stream()
    view = view_after(s.submitted(T0), s.customer_replied(T0 + 5 * MINUTE))
    assert view.status is Status.NEW and set(view.due_times) == {"first_response", "attention"}


@pytest.mark.parametrize("channel", [ev.Channel.PHONE, ev.Channel.CHAT])
def test_a_ticket_an_agent_opens_during_a_call_starts_no_clock_until_the_customer_writes(channel):
    s = Stream()
    opened = view_after(s.submitted(T0, channel=channel))
    assert opened.due_times == {} and opened.channel == channel.value
    written = view_after(s.submitted(T0, channel=channel), s.customer_replied(T0 + HOUR))
    assert written.due_times == {"next_response": T0 + 2 * HOUR}


def test_resolving_stops_the_clocks_an_agent_reopening_starts_none_a_customer_message_does():
    s = Stream()
    history = [s.submitted(T0), s.resolved(T0 + 5 * MINUTE)]
    resolved = view_after(*history)
    assert resolved.status is Status.RESOLVED and resolved.resolved_at == T0 + 5 * MINUTE and resolved.due_times == {}
    # Issue #10: an agent's reopening starts no clock.
    reopened = view_after(*history, s.reopened(T0 + 10 * MINUTE, by_customer=False))
    assert reopened.status is Status.OPEN and reopened.resolved_at is None and reopened.due_times == {}
    # The customer's message that reopens a resolved ticket starts next response.
    answered = view_after(*history, s.reopened(T0 + 20 * MINUTE), s.customer_replied(T0 + 20 * MINUTE))
    assert answered.due_times == {"next_response": T0 + 80 * MINUTE}


def test_assignment_and_unassignment():
    s = Stream()
    history = [s.submitted(T0), s.assigned(T0 + MINUTE)]
    assert (view_after(*history).assignee_id, view_after(*history).assignee_name) == ("agent-1", "Luis")
    nobody = s.place(t.TicketAssigned, t.TicketAssignedData(assignee_id=None), s.agent, T0 + 2 * MINUTE)
    view = view_after(*history, nobody)
    assert view.assignee_id is None and view.assignee_name is None


def test_an_event_before_its_submission_is_refused():
    s = Stream()
    s.submitted(T0)  # taken, never folded
    with pytest.raises(NotInStream):
        fold(RULES, {}, {}, [s.agent_replied(T0 + 5 * MINUTE)])


def test_a_version_already_in_changes_nothing():
    s = Stream()
    submitted, replied = s.submitted(T0), s.agent_replied(T0 + 5 * MINUTE)
    [stored] = fold(RULES, {}, {}, [submitted, replied]).tickets
    again = fold(RULES, {s.ticket_id: stored}, {}, [submitted, replied])
    assert again.tickets == [] and again.timeline == [] and again.messages == []


def escalation(stream: Stream, started_by: ev.Event, clock: str, breached: bool) -> Escalation:
    return Escalation(
        str(uuid.uuid4()), stream.ticket_id, breached, clock, 2 if breached else 1, str(started_by.event_id), T0, T0
    )


def test_sla_state_follows_the_escalations_of_the_clock_episodes_still_running():
    s = Stream()
    submitted = s.submitted(T0)
    [stored] = fold(RULES, {}, {}, [submitted]).tickets
    ticket = {s.ticket_id: stored}

    def state(*escalations: Escalation, events=()) -> SlaState:
        changes = fold(RULES, ticket, {s.ticket_id: list(escalations)}, list(events) or [submitted])
        return (changes.tickets or [stored])[0].view.sla_state

    warned = escalation(s, submitted, "first_response", breached=False)
    assert state() is SlaState.OK
    assert state(events=[_escalated(warned)]) is SlaState.AT_RISK
    assert state(warned, events=[_escalated(escalation(s, submitted, "attention", True))]) is SlaState.BREACHED
    # An escalation of an episode that has ended no longer counts.
    assert state(warned, events=[s.agent_replied(T0 + 5 * MINUTE)]) is SlaState.OK


def test_an_escalation_read_before_its_ticket_counts_once_the_ticket_is_there():
    s = Stream()
    submitted = s.submitted(T0)
    warning = _escalated(escalation(s, submitted, "first_response", breached=False))
    early = fold(RULES, {}, {}, [warning])
    assert early.tickets == [] and len(early.escalations) == 1
    later = fold(RULES, {}, {s.ticket_id: early.escalations}, [submitted])
    assert later.tickets[0].view.sla_state is SlaState.AT_RISK
    assert fold(RULES, {}, {s.ticket_id: early.escalations}, [warning]).escalations == []  # once per event id


def _escalated(e: Escalation) -> ev.Event:
    """The SlaWarning or SlaBreached an ``Escalation`` row was made from."""
    event_type = t.SlaBreached if e.breached else t.SlaWarning
    data = t.EscalationData(
        clock=t.SlaClock(e.clock), level=e.level, deadline=e.deadline, target_seconds=900, elapsed_seconds=720
    )
    actor = ev.Actor(kind=ev.ActorKind.SYSTEM, id="sla")
    return event_type.create(
        data=data,
        actor=actor,
        ticket_id=e.ticket_id,
        occurred_at=e.occurred_at,
        event_id=uuid.UUID(e.event_id),
        causation_id=uuid.UUID(e.episode),
    )


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


def test_the_sample_history_folds_end_to_end_with_every_other_topic_beside_it():
    changes = fold(RULES, {}, {}, sample_events())
    [stored] = changes.tickets
    assert stored.view.version == 13 and stored.view.status is Status.OPEN and stored.view.assignee_id == "agent-1"
    assert len(changes.timeline) == 13 and len(changes.messages) == 8  # a bounce and revoked links: agents only
    assert len(changes.escalations) == 2 and len(changes.first_responses) == 1 and len(changes.notifications) == 2
