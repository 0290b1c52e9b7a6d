"""Previewing and recording deadline moves to a new policy (``soporte sla policy diff`` / ``recalculate``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from soporte.businesstime import BusinessCalendar
from soporte.events.types import SlaClock
from soporte.sla.domain.recalculation import deadline_moves, fold_tickets
from soporte.ticketrules import SlaRules, policies_from_dict
from tests.support.scenario import MINUTE, Stream

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
CALENDAR = BusinessCalendar.always_open()
OLD = SlaRules(CALENDAR, policies_from_dict({"id": "shop", "version": 1}))
NEW = SlaRules(CALENDAR, policies_from_dict({"id": "shop", "version": 2, "default": {"first_response": "10m"}}))


def test_only_running_clocks_the_new_policy_changes_move_and_resolved_tickets_are_left_alone():
    open_, answered, resolved, recent = Stream(), Stream(), Stream(), Stream()
    history = [
        open_.submitted(T0),
        answered.submitted(T0), answered.agent_replied(T0 + MINUTE),
        resolved.submitted(T0), resolved.resolved(T0 + MINUTE),
        recent.submitted(T0 + 30 * MINUTE),
    ]  # fmt: skip
    states = fold_tickets(history, OLD)
    moves = deadline_moves(states.values(), NEW)
    assert {(m.ticket_id, m.current.kind) for m in moves} == {
        (open_.ticket_id, SlaClock.FIRST_RESPONSE),
        (recent.ticket_id, SlaClock.FIRST_RESPONSE),
    }  # attention's 24 h target is the same in both policies
    first = next(m for m in moves if m.ticket_id == open_.ticket_id)
    assert (first.old_deadline, first.new_deadline, first.shift) == (T0 + 15 * MINUTE, T0 + 10 * MINUTE, -5 * MINUTE)
    change = first.change("policy shop v2")
    assert (change.policy_version, change.target_seconds, change.episode) == (2, 600, first.current.episode)

    since = deadline_moves(states.values(), NEW, started_since=T0 + timedelta(minutes=10))
    assert [m.ticket_id for m in since] == [recent.ticket_id]


def test_the_same_policy_moves_nothing():
    s = Stream()
    assert deadline_moves(fold_tickets([s.submitted(T0)], OLD).values(), OLD) == []
