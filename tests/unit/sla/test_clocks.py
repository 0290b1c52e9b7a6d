"""The SLA state machine, without Kafka: named scenarios with a fixed calendar and event times."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from soporte.businesstime import BusinessCalendar, load_calendar
from soporte.events import Priority, deterministic_id
from soporte.events import types as t
from soporte.sla.domain.clocks import SlaEngine
from soporte.ticketrules import load_policies

from .scenario import Stream

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday
S = timedelta(seconds=1)
M = timedelta(minutes=1)


def engine(calendar: BusinessCalendar | None = None) -> SlaEngine:
    return SlaEngine(calendar or BusinessCalendar.always_open(), load_policies())


def kinds(events) -> list[tuple[str, str]]:
    return [(e.type, str(e.data.clock)) for e in events]


def test_unanswered_ticket_warns_at_80_percent_then_breaches_at_100():
    sla, stream = engine(), Stream()
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
    assert sla.due(T0 + 15 * M) == []  # fired once


def test_answered_in_time_raises_nothing_and_measures_the_first_response():
    sla, stream = engine(), Stream()
    sla.apply(stream.submitted(T0))
    kpis = sla.apply(stream.agent_replied(T0 + 9 * M))
    assert [k.type for k in kpis] == ["FirstResponseMeasured"]
    assert kpis[0].data.business_seconds == 9 * 60
    assert sla.due(T0 + timedelta(days=3)) == []


def test_duplicate_events_are_ignored():
    sla, stream = engine(), Stream()
    submitted = stream.submitted(T0)
    reply = stream.agent_replied(T0 + M)
    assert sla.apply(submitted) == []
    assert len(sla.apply(reply)) == 1
    assert sla.apply(reply) == [] and sla.apply(submitted) == []
    assert sla.due(T0 + timedelta(days=3)) == []


def test_clarification_pauses_and_the_customer_answer_resumes_with_elapsed_time_kept():
    sla, stream = engine(), Stream()
    sla.apply(stream.submitted(T0))
    sla.apply(stream.clarification(T0 + 5 * M))
    assert sla.due(T0 + timedelta(hours=5)) == []  # paused: nothing, however long the customer takes
    sla.apply(stream.customer_replied(T0 + 5 * timedelta(hours=1)))
    resumed = T0 + 5 * timedelta(hours=1)
    assert kinds(sla.due(resumed + 7 * M)) == [("SlaWarning", "first_response")]  # 5 + 7 = 12 minutes
    breach = sla.due(resumed + 10 * M)
    assert breach[0].data.deadline == resumed + 10 * M
    assert breach[0].data.elapsed_seconds == 15 * 60


def test_warning_fired_before_a_pause_is_not_raised_again_after_resume():
    sla, stream = engine(), Stream()
    sla.apply(stream.submitted(T0))
    assert len(sla.due(T0 + 13 * M)) == 1
    sla.apply(stream.clarification(T0 + 13 * M))
    sla.apply(stream.customer_replied(T0 + 60 * M))
    assert kinds(sla.due(T0 + 62 * M)) == [("SlaBreached", "first_response")]


def test_attention_clock_is_wall_clock_and_breaches_over_a_weekend():
    madrid = load_calendar()
    friday_evening = datetime(2026, 3, 6, 16, 59, tzinfo=UTC)  # 17:59 in Madrid, one business minute left
    sla, stream = engine(madrid), Stream()
    sla.apply(stream.submitted(friday_evening))
    saturday_night = friday_evening + timedelta(hours=24)
    raised = sla.due(saturday_night)
    assert ("SlaBreached", "attention") in kinds(raised)
    assert ("SlaBreached", "first_response") not in kinds(raised)  # business time stands still at the weekend
    first = [e for e in sla.due(datetime(2026, 3, 9, 0, 0, tzinfo=UTC)) if e.data.clock == t.SlaClock.FIRST_RESPONSE]
    assert [e.type for e in first] == ["SlaWarning", "SlaBreached"]
    # Monday 00:00 Madrid (Sunday 23:00 UTC) + the 14 business minutes left.
    assert first[1].data.deadline == datetime(2026, 3, 8, 23, 14, tzinfo=UTC)


def test_customer_message_after_an_answer_starts_the_next_response_clock_and_agent_reply_stops_it():
    sla, stream = engine(), Stream()
    sla.apply(stream.submitted(T0))
    sla.apply(stream.agent_replied(T0 + M))
    sla.apply(stream.customer_replied(T0 + 10 * M))
    warning = sla.due(T0 + 10 * M + 48 * M)
    assert kinds(warning) == [("SlaWarning", "next_response")]
    sla.apply(stream.agent_replied(T0 + 10 * M + 50 * M))
    assert sla.due(T0 + timedelta(days=2)) == []


def test_urgent_priority_has_a_tighter_first_response_target():
    sla, stream = engine(), Stream(priority=Priority.URGENT)
    sla.apply(stream.submitted(T0))
    breach = [e for e in sla.due(T0 + 10 * M) if e.type == "SlaBreached"]
    assert breach and breach[0].data.target_seconds == 600


def test_resolved_stops_every_clock_and_reopening_starts_a_next_response_clock():
    sla, stream = engine(), Stream()
    sla.apply(stream.submitted(T0))
    sla.apply(stream.resolved(T0 + M))
    assert sla.due(T0 + timedelta(days=2)) == []
    reopened_at = T0 + timedelta(days=2)
    sla.apply(stream.customer_replied(reopened_at))
    sla.apply(stream.reopened(reopened_at))
    breach = [e for e in sla.due(reopened_at + 60 * M) if e.type == "SlaBreached"]
    assert kinds(breach) == [("SlaBreached", "next_response")]


def test_notes_do_not_touch_the_clocks():
    sla, stream = engine(), Stream()
    sla.apply(stream.submitted(T0))
    sla.apply(stream.note(T0 + M))
    assert kinds(sla.due(T0 + 15 * M)) == [("SlaWarning", "first_response"), ("SlaBreached", "first_response")]


def test_replaying_the_same_events_gives_the_same_escalation_ids():
    stream = Stream()
    events = [stream.submitted(T0), stream.clarification(T0 + 3 * M), stream.customer_replied(T0 + 30 * M)]
    ids = []
    for _ in range(2):
        sla = engine()
        for event in events:
            sla.apply(event)
        ids.append([e.event_id for e in sla.due(T0 + timedelta(days=2))])
    assert ids[0] == ids[1] and len(ids[0]) == 2


def test_escalations_read_back_after_a_restart_are_not_raised_again():
    stream = Stream()
    events = [stream.submitted(T0)]
    first = engine()
    first.apply(events[0])
    raised = first.due(T0 + 13 * M)  # the warning went out, then the process died
    restarted = engine()
    restarted.apply(events[0])
    for e in raised:
        restarted.mark_fired(e.ticket_id, e.data.clock, e.data.level, e.causation_id)
    assert kinds(restarted.due(T0 + 15 * M)) == [("SlaBreached", "first_response")]


def test_unfire_lets_a_failed_publish_be_retried():
    sla, stream = engine(), Stream()
    sla.apply(stream.submitted(T0))
    [warning] = sla.due(T0 + 12 * M)
    sla.unfire(warning)
    assert [e.event_id for e in sla.due(T0 + 12 * M)] == [warning.event_id]


def test_deadlines_come_from_event_time_not_from_when_they_are_processed():
    sla, stream = engine(), Stream()
    sla.apply(stream.submitted(T0))
    late = sla.due(T0 + timedelta(days=30))  # processed a month late
    assert {e.data.deadline for e in late if e.data.clock == t.SlaClock.FIRST_RESPONSE} == {T0 + 15 * M}
