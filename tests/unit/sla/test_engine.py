"""The SLA worker's engine, without Kafka: named scenarios with a fixed calendar and event times."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from soporte.businesstime import calendar_from_dict
from soporte.events import Priority, deterministic_id
from soporte.events import types as t
from soporte.sla.domain.engine import TicketRecord
from tests.support.scenario import Stream

from .driver import PARTITION, Worker

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday
M = timedelta(minutes=1)
MADRID = calendar_from_dict(
    {
        "timezone": "Europe/Madrid",
        "weekly": {d: ["00:00-18:00"] for d in ("monday", "tuesday", "wednesday", "thursday", "friday")},
    }
)


def kinds(events) -> list[tuple[str, str]]:
    return [(e.type, str(e.data.clock)) for e in events if e.type.startswith("Sla")]


def test_unanswered_ticket_warns_at_80_percent_then_breaches_at_100():
    sla, stream = Worker(), Stream()
    sla.apply(stream.submitted(T0))
    assert sla.due(T0 + 11 * M) == []
    warning = sla.due(T0 + 12 * M)
    assert kinds(warning) == [("SlaWarning", "first_response")]
    assert warning[0].data.deadline == T0 + 15 * M
    assert warning[0].data.elapsed_seconds == 12 * 60
    assert warning[0].data.notify == ["team-lead"]
    breach = sla.due(T0 + 15 * M)
    assert kinds(breach) == [("SlaBreached", "first_response")]
    assert breach[0].data.level == 2 and breach[0].data.notify == ["team-lead", "ops"]
    assert breach[0].event_id == deterministic_id(stream.ticket_id, "first_response", 2, (T0 + 15 * M).isoformat())
    assert sla.due(T0 + 15 * M) == []  # raised once


def test_answered_in_time_raises_nothing_and_measures_the_first_response():
    sla, stream = Worker(), Stream()
    sla.apply(stream.submitted(T0))
    kpis = sla.apply(stream.agent_replied(T0 + 9 * M))
    assert [k.type for k in kpis] == ["FirstResponseMeasured"]
    assert kpis[0].data.business_seconds == 9 * 60
    assert sla.due(T0 + timedelta(days=3)) == []


def test_duplicate_events_are_ignored():
    sla, stream = Worker(), Stream()
    submitted, reply = stream.submitted(T0), stream.agent_replied(T0 + M)
    assert sla.apply(submitted) == []
    assert len(sla.apply(reply)) == 1
    assert sla.apply(reply) == [] and sla.apply(submitted) == []
    assert sla.due(T0 + timedelta(days=3)) == []


def test_a_clarification_answers_the_customer_and_their_answer_starts_next_response():
    sla, stream = Worker(), Stream()
    sla.apply(stream.submitted(T0))
    measured = sla.apply(stream.clarification(T0 + 5 * M))
    assert [e.type for e in measured] == ["FirstResponseMeasured"]
    assert sla.due(T0 + timedelta(hours=5)) == []  # nothing runs while the desk waits on the customer
    answered = T0 + 5 * timedelta(hours=1)
    sla.apply(stream.customer_replied(answered))
    assert kinds(sla.due(answered + 48 * M)) == [("SlaWarning", "next_response")]
    assert sla.due(answered + 60 * M)[0].data.deadline == answered + 60 * M


def test_a_late_answer_read_late_still_raises_what_was_due_before_it():
    sla, stream = Worker(), Stream()
    sla.apply(stream.submitted(T0))
    raised = sla.apply(stream.agent_replied(T0 + 20 * M))  # no timer ran in between (a backlog)
    assert kinds(raised) == [("SlaWarning", "first_response"), ("SlaBreached", "first_response")]
    assert [e.occurred_at for e in raised if e.type.startswith("Sla")] == [T0 + 12 * M, T0 + 15 * M]


def test_a_warning_raised_by_the_timer_is_not_raised_again_by_the_late_answer():
    sla, stream = Worker(), Stream()
    sla.apply(stream.submitted(T0))
    assert kinds(sla.due(T0 + 13 * M)) == [("SlaWarning", "first_response")]
    assert kinds(sla.apply(stream.agent_replied(T0 + 16 * M))) == [("SlaBreached", "first_response")]


def test_attention_clock_is_wall_clock_and_breaches_over_a_weekend():
    friday_evening = datetime(2026, 3, 6, 16, 59, tzinfo=UTC)  # 17:59 in Madrid, one business minute left
    sla, stream = Worker(MADRID), Stream()
    sla.apply(stream.submitted(friday_evening))
    raised = sla.due(friday_evening + timedelta(hours=24))
    assert ("SlaBreached", "attention") in kinds(raised)
    assert ("SlaBreached", "first_response") not in kinds(raised)  # business time stands still at the weekend
    first = [e for e in sla.due(datetime(2026, 3, 9, 0, 0, tzinfo=UTC)) if e.data.clock == t.SlaClock.FIRST_RESPONSE]
    assert [e.type for e in first] == ["SlaWarning", "SlaBreached"]
    # Monday 00:00 Madrid (Sunday 23:00 UTC) + the 14 business minutes left.
    assert first[1].data.deadline == datetime(2026, 3, 8, 23, 14, tzinfo=UTC)


def test_customer_message_after_an_answer_starts_the_next_response_clock_and_agent_reply_stops_it():
    sla, stream = Worker(), Stream()
    sla.apply(stream.submitted(T0))
    sla.apply(stream.agent_replied(T0 + M))
    sla.apply(stream.customer_replied(T0 + 10 * M))
    assert kinds(sla.due(T0 + 10 * M + 48 * M)) == [("SlaWarning", "next_response")]
    sla.apply(stream.return_label(T0 + 10 * M + 50 * M))  # a label answers like a reply
    assert sla.due(T0 + timedelta(days=2)) == []


def test_urgent_priority_has_a_tighter_first_response_target():
    sla, stream = Worker(), Stream(priority=Priority.URGENT)
    sla.apply(stream.submitted(T0))
    breach = [e for e in sla.due(T0 + 10 * M) if e.type == "SlaBreached"]
    assert breach and breach[0].data.target_seconds == 600


def test_resolved_stops_every_clock_and_a_customer_message_reopening_it_starts_next_response():
    sla, stream = Worker(), Stream()
    sla.apply(stream.submitted(T0))
    sla.apply(stream.resolved(T0 + M))
    assert sla.due(T0 + timedelta(days=2)) == []
    reopened_at = T0 + timedelta(days=2)
    sla.apply(stream.reopened(reopened_at))
    sla.apply(stream.customer_replied(reopened_at))
    assert kinds([e for e in sla.due(reopened_at + 60 * M) if e.type == "SlaBreached"]) == [
        ("SlaBreached", "next_response")
    ]


def test_notes_do_not_touch_the_clocks():
    sla, stream = Worker(), Stream()
    sla.apply(stream.submitted(T0))
    sla.apply(stream.note(T0 + M))
    assert kinds(sla.due(T0 + 15 * M)) == [("SlaWarning", "first_response"), ("SlaBreached", "first_response")]


def test_a_record_read_back_after_a_restart_keeps_what_was_raised():
    sla, stream = Worker(), Stream()
    sla.apply(stream.submitted(T0))
    sla.due(T0 + 13 * M)  # the warning went out, then the process died
    saved = TicketRecord.from_json(sla.engine.record(stream.ticket_id).as_json())
    restarted = Worker()
    restarted.engine.hold(saved, PARTITION)
    assert kinds(restarted.due(T0 + 15 * M)) == [("SlaBreached", "first_response")]


def test_deadlines_come_from_event_time_not_from_when_they_are_processed():
    sla, stream = Worker(), Stream()
    sla.apply(stream.submitted(T0))
    late = sla.due(T0 + timedelta(days=30))  # processed a month late
    assert {e.data.deadline for e in late if e.data.clock == t.SlaClock.FIRST_RESPONSE} == {T0 + 15 * M}
