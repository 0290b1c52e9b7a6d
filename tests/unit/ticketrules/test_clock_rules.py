"""The clock rules, event by event: what starts, fulfils and stops each clock, and what is overdue."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from soporte.businesstime import BusinessCalendar, calendar_from_dict
from soporte.events import Channel
from soporte.events.types import SlaClock
from soporte.ticketrules import BREACH, WARNING, SlaRules, Status, TicketClocks, policies_from_dict
from soporte.ticketrules.escalations import replay_escalations
from tests.support.scenario import HOUR, MINUTE, Stream

# Monday 2 March 2026, 09:00 in Madrid (08:00 UTC); the desk is open Monday to Friday 00:00-18:00.
MONDAY_9 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
CALENDAR = calendar_from_dict(
    {
        "timezone": "Europe/Madrid",
        "weekly": {d: ["00:00-18:00"] for d in ("monday", "tuesday", "wednesday", "thursday", "friday")},
    }
)
RULES = SlaRules(CALENDAR, policies_from_dict({"id": "test", "version": 3}))


def fold(*events, rules: SlaRules = RULES):
    state, transitions = TicketClocks(events[0].ticket_id), []
    for event in events:
        transition = rules.apply(state, event)
        transitions.append(transition)
        state = transition.state
    return state, transitions


def kinds(state: TicketClocks) -> set[SlaClock]:
    return {c.kind for c in state.clocks}


def test_a_customers_ticket_starts_first_response_in_business_time_and_attention_in_wall_time():
    s = Stream()
    friday_17 = datetime(2026, 3, 6, 16, 0, tzinfo=UTC)  # 17:00 in Madrid, one business hour left
    state, _ = fold(s.submitted(friday_17))
    assert kinds(state) == {SlaClock.FIRST_RESPONSE, SlaClock.ATTENTION}
    deadlines = state.deadlines(CALENDAR)
    assert deadlines[SlaClock.FIRST_RESPONSE] == friday_17 + 15 * MINUTE
    assert deadlines[SlaClock.ATTENTION] == friday_17 + 24 * HOUR
    late = datetime(2026, 3, 6, 16, 55, tzinfo=UTC)  # 17:55: 5 business minutes left, then Monday 00:00
    state, _ = fold(Stream().submitted(late))
    assert state.deadlines(CALENDAR)[SlaClock.FIRST_RESPONSE] == datetime(2026, 3, 8, 23, 10, tzinfo=UTC)
    assert state.clock(SlaClock.FIRST_RESPONSE).policy_id == "test" and state.status is Status.NEW


@pytest.mark.parametrize("channel", [Channel.PHONE, Channel.CHAT])
def test_a_ticket_opened_by_an_agent_during_a_call_starts_no_clock_until_the_customer_writes(channel):
    s = Stream()
    state, [opened, written] = fold(s.submitted(MONDAY_9, channel=channel), s.customer_replied(MONDAY_9 + HOUR))
    assert opened.started == () and opened.state.attended_live
    assert [c.kind for c in written.started] == [SlaClock.NEXT_RESPONSE] and kinds(state) == {SlaClock.NEXT_RESPONSE}


@pytest.mark.parametrize("response", ["agent_replied", "clarification", "return_label", "courier_claim"])
def test_every_public_agent_response_fulfils_first_response_and_attention_and_measures_it(response):
    s = Stream()
    submitted = s.submitted(MONDAY_9)
    state, [_, answered] = fold(submitted, getattr(s, response)(MONDAY_9 + 7 * MINUTE))
    assert state.clocks == ()
    assert {c.kind for c in answered.stopped} == {SlaClock.FIRST_RESPONSE, SlaClock.ATTENTION}
    assert answered.first_response is not None and answered.overdue == ()
    assert state.first_responded_at == MONDAY_9 + 7 * MINUTE
    expected = Status.WAITING_ON_CUSTOMER if response == "clarification" else Status.OPEN
    assert state.status is expected


def test_the_customers_answer_to_a_clarification_starts_next_response():
    s = Stream()
    state, _ = fold(s.submitted(MONDAY_9), s.clarification(MONDAY_9 + 5 * MINUTE), s.customer_replied(MONDAY_9 + HOUR))
    assert kinds(state) == {SlaClock.NEXT_RESPONSE} and state.status is Status.OPEN
    assert state.deadlines(CALENDAR)[SlaClock.NEXT_RESPONSE] == MONDAY_9 + 2 * HOUR


def test_a_customer_writing_again_while_waiting_for_an_answer_starts_nothing_new():
    s = Stream()
    state, transitions = fold(s.submitted(MONDAY_9), s.customer_replied(MONDAY_9 + 5 * MINUTE))
    assert kinds(state) == {SlaClock.FIRST_RESPONSE, SlaClock.ATTENTION} and transitions[-1].started == ()
    s = Stream()
    state, transitions = fold(
        s.submitted(MONDAY_9),
        s.agent_replied(MONDAY_9 + MINUTE),
        s.customer_replied(MONDAY_9 + 2 * MINUTE),
        s.customer_replied(MONDAY_9 + 30 * MINUTE),
    )
    assert state.clock(SlaClock.NEXT_RESPONSE).started_at == MONDAY_9 + 2 * MINUTE


def test_reopening_by_an_agent_starts_nothing_a_customer_message_on_a_resolved_ticket_starts_next_response():
    s = Stream()
    state, _ = fold(
        s.submitted(MONDAY_9),
        s.agent_replied(MONDAY_9 + MINUTE),
        s.resolved(MONDAY_9 + 2 * MINUTE),
        s.reopened(MONDAY_9 + HOUR, by_customer=False),
    )
    assert state.clocks == () and state.status is Status.OPEN
    s = Stream()
    state, _ = fold(
        s.submitted(MONDAY_9),
        s.agent_replied(MONDAY_9 + MINUTE),
        s.resolved(MONDAY_9 + 2 * MINUTE),
        s.reopened(MONDAY_9 + HOUR),
        s.customer_replied(MONDAY_9 + HOUR),
    )
    assert kinds(state) == {SlaClock.NEXT_RESPONSE} and state.status is Status.OPEN


def test_notes_and_assignments_stop_nothing_and_a_resolution_stops_everything():
    s = Stream()
    state, transitions = fold(s.submitted(MONDAY_9), s.note(MONDAY_9 + MINUTE), s.assigned(MONDAY_9 + 2 * MINUTE))
    assert kinds(state) == {SlaClock.FIRST_RESPONSE, SlaClock.ATTENTION}
    assert [tr.moved for tr in transitions[1:]] == [(), ()]
    state = RULES.apply(state, s.resolved(MONDAY_9 + 3 * MINUTE)).state
    assert state.clocks == () and state.status is Status.RESOLVED


@pytest.mark.parametrize(
    ("answer_after", "overdue"),
    [
        (11 * MINUTE, []),  # before the warning (80 % of 15 min = 12 min)
        (12 * MINUTE, [WARNING]),  # at the warning instant: due at or before the event
        (15 * MINUTE - timedelta(seconds=1), [WARNING]),  # a second before the deadline: never a breach
        (15 * MINUTE, [WARNING, BREACH]),  # at the deadline
        (3 * HOUR, [WARNING, BREACH]),
    ],
)
def test_an_event_that_stops_a_clock_reports_the_levels_due_at_or_before_it(answer_after, overdue):
    s = Stream()
    _, [_, answered] = fold(s.submitted(MONDAY_9), s.agent_replied(MONDAY_9 + answer_after))
    first = [d.level.name for d in answered.overdue if d.clock.kind is SlaClock.FIRST_RESPONSE]
    assert first == overdue


def test_a_clock_keeps_the_policy_it_started_under():
    s = Stream()
    started, _ = fold(s.submitted(MONDAY_9))
    stricter = SlaRules(
        CALENDAR,
        policies_from_dict({"id": "test", "version": 4, "default": {"first_response": "5m"}, "warning_fraction": 0.5}),
    )
    state = stricter.apply(started, s.note(MONDAY_9 + MINUTE)).state
    clock = state.clock(SlaClock.FIRST_RESPONSE)
    assert (clock.target_seconds, clock.policy_version) == (900, 3)
    assert clock.due_at(clock.levels[0], CALENDAR) == MONDAY_9 + 12 * MINUTE
    next_clock = stricter.apply(
        stricter.apply(state, s.agent_replied(MONDAY_9 + 2 * MINUTE)).state, s.customer_replied(MONDAY_9 + HOUR)
    ).state.clock(SlaClock.NEXT_RESPONSE)
    assert next_clock.policy_version == 4


def test_a_version_already_applied_changes_nothing_and_state_survives_json():
    s = Stream()
    submitted = s.submitted(MONDAY_9)
    state, _ = fold(submitted, s.customer_replied(MONDAY_9 + MINUTE))
    again = RULES.apply(state, submitted)
    assert not again.applied and again.state == state
    assert TicketClocks.from_json(state.as_json()) == state


def test_the_offline_replay_raises_what_the_history_holds():
    late, on_time, open_ = Stream(), Stream(), Stream()
    history = [
        late.submitted(MONDAY_9),
        late.agent_replied(MONDAY_9 + 20 * MINUTE),
        on_time.submitted(MONDAY_9),
        on_time.agent_replied(MONDAY_9 + 5 * MINUTE),
        open_.submitted(MONDAY_9),
    ]
    raised = replay_escalations(history, RULES, up_to=MONDAY_9 + 13 * MINUTE)
    by_ticket = sorted((e.ticket_id, e.type) for e in raised.values())
    assert by_ticket == sorted(
        [(late.ticket_id, "SlaWarning"), (late.ticket_id, "SlaBreached"), (open_.ticket_id, "SlaWarning")]
    )


def test_the_wall_clock_calendar_counts_weekends():
    assert BusinessCalendar.always_open().add_business_time(MONDAY_9, 24 * HOUR) == MONDAY_9 + 24 * HOUR
