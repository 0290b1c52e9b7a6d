"""SLA clocks as a pure fold: start, pause, resume, stop, and the escalations that fall due."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from soporte.businesstime import BusinessCalendar, load_calendar, policies_from_dict
from soporte.events import Actor, ActorKind, Category, Priority
from soporte.events import types as t
from soporte.sla.domain.clocks import (
    TicketClocks,
    apply_event,
    due_escalations,
    escalation_event,
    mark_fired,
    pending_escalations,
)

T0 = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)  # a Wednesday, 10:00 in Madrid
CUSTOMER = Actor(kind=ActorKind.CUSTOMER, id="c-1")
AGENT = Actor(kind=ActorKind.AGENT, id="a-1")
ALWAYS = BusinessCalendar.always_open()
POLICIES = policies_from_dict({"default": {"first_response": "15m", "next_response": "60m", "attention": "24h"}})


class Ticket:
    """Builds a ticket's stream with versions counted, and folds it."""

    def __init__(self, calendar=ALWAYS, ticket_id="T-CLOCK00001"):
        self.calendar, self.version = calendar, 0
        self.state = TicketClocks(ticket_id)
        self.kpis = []

    def add(self, cls, data, minutes: float, actor=AGENT):
        self.version += 1
        event = cls.create(
            data=data, actor=actor, occurred_at=T0 + timedelta(minutes=minutes), ticket_id=self.state.ticket_id, version=self.version
        )
        return self.apply(event)

    def apply(self, event):
        applied = apply_event(self.state, event, self.calendar, POLICIES)
        self.state = applied.state
        if applied.first_response:
            self.kpis.append(applied.first_response)
        return event

    def submitted(self, minutes=0):
        return self.add(
            t.TicketSubmitted,
            t.TicketSubmittedData(
                category=Category.DAMAGED_ITEM,
                description="Pantalla rota",
                customer=t.CustomerRef(name="Ana", email="ana@example.com"),
                actionability=t.Actionability(actionable=True, priority=Priority.NORMAL),
            ),
            minutes,
            CUSTOMER,
        )

    def due(self, minutes):
        return due_escalations(self.state, self.calendar, POLICIES, T0 + timedelta(minutes=minutes))


def kinds(escalations):
    return [(e.clock.value, e.kind) for e in escalations]


def test_an_unanswered_ticket_warns_at_80_percent_then_breaches():
    ticket = Ticket()
    ticket.submitted()
    assert ticket.due(11.9) == []
    assert kinds(ticket.due(12)) == [("first_response", "warning")]
    assert kinds(ticket.due(15)) == [("first_response", "warning"), ("first_response", "breach")]
    breach = ticket.due(15)[1]
    assert breach.deadline == T0 + timedelta(minutes=15)
    assert breach.level == 2 and "ops" in breach.notify


def test_a_ticket_answered_in_time_raises_nothing_and_measures_its_first_response():
    ticket = Ticket()
    ticket.submitted()
    ticket.add(t.AgentReplied, t.MessageData(body="Hola"), 9)
    assert ticket.due(60 * 48) == []
    assert [k.business_seconds for k in ticket.kpis] == [9 * 60]


def test_clarification_pauses_and_the_customer_answer_resumes_with_elapsed_time_kept():
    ticket = Ticket()
    ticket.submitted()
    ticket.add(t.ClarificationRequested, t.ClarificationRequestedData(question="¿Foto?"), 5)
    assert pending_escalations(ticket.state, ALWAYS, POLICIES) == []  # paused: nothing can fall due
    assert ticket.due(600) == []
    ticket.add(t.CustomerReplied, t.MessageData(body="Aquí"), 100, CUSTOMER)
    # 5 minutes used before the pause, 10 left: the breach is at 110, the warning (12 min used) at 107.
    due = ticket.due(110)
    assert [(e.kind, e.deadline) for e in due] == [
        ("warning", T0 + timedelta(minutes=107)),
        ("breach", T0 + timedelta(minutes=110)),
    ]


def test_a_clarification_request_counts_as_attention_but_not_as_first_response():
    ticket = Ticket()
    ticket.submitted()
    ticket.add(t.ClarificationRequested, t.ClarificationRequestedData(question="¿Foto?"), 5)
    assert t.SlaClock.ATTENTION not in ticket.state.clocks
    assert t.SlaClock.FIRST_RESPONSE in ticket.state.clocks
    assert ticket.kpis == []


def test_the_attention_clock_counts_wall_clock_hours_whatever_the_day():
    friday_evening = datetime(2026, 11, 27, 17, 30, tzinfo=UTC)  # 18:30 Madrid: closed
    ticket = Ticket(calendar=load_calendar())
    ticket.apply(
        t.TicketSubmitted.create(
            data=t.TicketSubmittedData(
                category=Category.PRE_SALES,
                description="¿Tienen 15.6?",
                customer=t.CustomerRef(name="Ana", email="ana@example.com"),
                actionability=t.Actionability(actionable=True),
            ),
            actor=CUSTOMER,
            occurred_at=friday_evening,
            ticket_id="T-CLOCK00001",
            version=1,
        )
    )
    escalations = pending_escalations(ticket.state, ticket.calendar, POLICIES)
    attention = [e for e in escalations if e.clock is t.SlaClock.ATTENTION and e.kind == "breach"]
    first = [e for e in escalations if e.clock is t.SlaClock.FIRST_RESPONSE and e.kind == "breach"]
    assert attention[0].deadline == friday_evening + timedelta(hours=24)
    assert first[0].deadline == datetime(2026, 11, 29, 23, 15, tzinfo=UTC)  # Monday 00:15 Madrid


def test_a_customer_message_after_the_first_answer_starts_the_next_response_clock():
    ticket = Ticket()
    ticket.submitted()
    ticket.add(t.AgentReplied, t.MessageData(body="Hola"), 3)
    ticket.add(t.CustomerReplied, t.MessageData(body="Gracias, pero..."), 30, CUSTOMER)
    assert kinds(ticket.due(30 + 60)) == [("next_response", "warning"), ("next_response", "breach")]
    ticket.add(t.AgentReplied, t.MessageData(body="Claro"), 40)
    assert ticket.due(300) == []


def test_resolving_stops_every_clock_and_a_reopen_starts_a_next_response_clock():
    ticket = Ticket()
    ticket.submitted()
    ticket.add(t.TicketResolved, t.TicketResolvedData(resolution="Hecho"), 2)
    assert ticket.due(10_000) == []
    ticket.add(t.TicketReopened, t.TicketReopenedData(reason=t.ReopenReason.AGENT_REOPENED), 20)
    assert kinds(ticket.due(80)) == [("next_response", "warning"), ("next_response", "breach")]


def test_a_redelivered_event_changes_nothing():
    ticket = Ticket()
    submitted = ticket.submitted()
    reply = ticket.add(t.AgentReplied, t.MessageData(body="Hola"), 9)
    before = ticket.state
    ticket.apply(submitted)
    ticket.apply(reply)
    assert ticket.state == before
    assert len(ticket.kpis) == 1


def test_fired_escalations_are_not_due_again_and_ids_are_deterministic():
    ticket = Ticket()
    ticket.submitted()
    due = ticket.due(20)
    replay = Ticket()
    replay.submitted()
    assert [e.escalation_id for e in replay.due(20)] == [e.escalation_id for e in due]
    ticket.state = mark_fired(ticket.state, [e.escalation_id for e in due])
    assert ticket.due(20) == []


def test_escalation_events_carry_the_deterministic_id_and_the_facts():
    ticket = Ticket()
    ticket.submitted()
    warning = ticket.due(12)[0]
    event = escalation_event(warning, ticket.state, ALWAYS)
    assert isinstance(event, t.SlaWarning)
    assert str(event.event_id) == warning.escalation_id
    assert event.ticket_id == "T-CLOCK00001"
    assert event.data.elapsed_seconds == 12 * 60 and event.data.target_seconds == 15 * 60
    assert event.data.notify == ["team-lead"]
    assert event.occurred_at == T0 + timedelta(minutes=12)  # event time, not processing time


@pytest.mark.parametrize("pause_at", [1, 7, 11])
def test_elapsed_business_time_is_kept_across_any_pause(pause_at):
    ticket = Ticket()
    ticket.submitted()
    ticket.add(t.ClarificationRequested, t.ClarificationRequestedData(question="?"), pause_at)
    ticket.add(t.CustomerReplied, t.MessageData(body="ok"), 500, CUSTOMER)
    breach = [e for e in ticket.due(10_000) if e.kind == "breach" and e.clock is t.SlaClock.FIRST_RESPONSE][0]
    assert breach.deadline == T0 + timedelta(minutes=500 + 15 - pause_at)
