"""A ticket's SLA explained at any instant, and deadlines moved by a recalculation."""

from __future__ import annotations

from soporte.events import Channel
from soporte.events import types as t
from soporte.events.types import SlaClock
from soporte.ticketrules import ClockState, SlaRules, TicketClocks, explain, policies_from_dict
from tests.support.scenario import HOUR, MINUTE, Stream

from .test_clock_rules import CALENDAR, MONDAY_9, RULES


def by_kind(explanation):
    return {c.kind: c for c in explanation.clocks}


def test_a_running_clock_shows_its_deadline_time_used_and_remaining_and_what_started_it():
    s = Stream()
    history = [s.submitted(MONDAY_9), s.note(MONDAY_9 + MINUTE)]
    clocks = by_kind(explain(history, RULES, at=MONDAY_9 + 10 * MINUTE))
    first = clocks[SlaClock.FIRST_RESPONSE]
    assert first.state is ClockState.RUNNING
    assert (first.deadline, first.warning_at) == (MONDAY_9 + 15 * MINUTE, MONDAY_9 + 12 * MINUTE)
    assert (first.used, first.remaining) == (10 * MINUTE, 5 * MINUTE)
    assert (first.moved_by.type, first.moved_by.version) == ("TicketSubmitted", 1)
    assert clocks[SlaClock.ATTENTION].remaining == 24 * HOUR - 10 * MINUTE
    overdue = by_kind(explain(history, RULES, at=MONDAY_9 + 20 * MINUTE))[SlaClock.FIRST_RESPONSE]
    assert overdue.remaining == -5 * MINUTE


def test_answered_clocks_are_met_or_missed_and_later_events_are_not_seen():
    s = Stream()
    history = [s.submitted(MONDAY_9), s.agent_replied(MONDAY_9 + 20 * MINUTE), s.customer_replied(MONDAY_9 + HOUR)]
    at_half_hour = explain(history, RULES, at=MONDAY_9 + 30 * MINUTE)
    first = by_kind(at_half_hour)[SlaClock.FIRST_RESPONSE]
    assert (first.state, first.ended_at, first.used) == (ClockState.MISSED, MONDAY_9 + 20 * MINUTE, 20 * MINUTE)
    assert SlaClock.NEXT_RESPONSE not in by_kind(at_half_hour) and at_half_hour.version == 2
    later = by_kind(explain(history, RULES, at=MONDAY_9 + 2 * HOUR))
    assert later[SlaClock.NEXT_RESPONSE].state is ClockState.RUNNING
    assert later[SlaClock.ATTENTION].state is ClockState.MET


def test_a_phone_ticket_has_no_clock_to_explain_until_the_customer_writes():
    s = Stream()
    explanation = explain([s.submitted(MONDAY_9, channel=Channel.PHONE)], RULES, at=MONDAY_9 + HOUR)
    assert explanation.attended_live and explanation.clocks == ()


def test_a_recalculation_moves_a_running_clocks_deadline_and_says_so():
    s = Stream()
    submitted = s.submitted(MONDAY_9)
    state = RULES.apply(TicketClocks(s.ticket_id), submitted).state
    stricter = SlaRules(
        CALENDAR, policies_from_dict({"id": "test", "version": 4, "default": {"first_response": "10m"}})
    )
    clock = state.clock(SlaClock.FIRST_RESPONSE)
    moved = stricter.recalculated(state, clock)
    assert (moved.target_seconds, moved.policy_version, moved.started_at) == (600, 4, MONDAY_9)
    change = s.place(
        t.SlaDeadlineChanged,
        t.SlaDeadlineChangedData(
            clock=SlaClock.FIRST_RESPONSE,
            episode=clock.episode,
            old_deadline=clock.deadline(CALENDAR),
            new_deadline=moved.deadline(CALENDAR),
            target_seconds=moved.target_seconds,
            warning_fraction=0.8,
            policy_id=moved.policy_id,
            policy_version=moved.policy_version,
            cause="policy test v4",
        ),
        s.agent,
        MONDAY_9 + 2 * MINUTE,
    )
    transition = RULES.apply(state, change)
    assert transition.moved == (SlaClock.FIRST_RESPONSE,) and transition.overdue == ()
    assert transition.state.deadlines(CALENDAR)[SlaClock.FIRST_RESPONSE] == MONDAY_9 + 10 * MINUTE
    assert transition.state.deadlines(CALENDAR)[SlaClock.ATTENTION] == MONDAY_9 + 24 * HOUR
    explained = by_kind(explain([submitted, change], RULES, MONDAY_9 + 3 * MINUTE))
    assert explained[SlaClock.FIRST_RESPONSE].moved_by.type == "SlaDeadlineChanged"


def test_a_recalculation_for_an_episode_that_ended_changes_nothing():
    s = Stream()
    state = RULES.apply(TicketClocks(s.ticket_id), s.submitted(MONDAY_9)).state
    change = s.place(
        t.SlaDeadlineChanged,
        t.SlaDeadlineChangedData(
            clock=SlaClock.FIRST_RESPONSE,
            episode="00000000-0000-0000-0000-000000000000",
            old_deadline=MONDAY_9,
            new_deadline=MONDAY_9,
            target_seconds=60,
            warning_fraction=0.5,
            policy_id="x",
            policy_version=9,
            cause="stale",
        ),
        s.agent,
        MONDAY_9 + MINUTE,
    )
    transition = RULES.apply(state, change)
    assert transition.moved == () and transition.state.clocks == state.clocks
    assert transition.state.version == 2
