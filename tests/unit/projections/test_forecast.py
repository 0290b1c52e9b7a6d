"""The breach forecast on synthetic queues whose answer is known by hand (pure: no database, no clock)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from soporte.projections.domain.forecast import (
    AgentActivity,
    ForecastRules,
    QueuedTicket,
    capacity,
    forecast,
    on_shift,
)
from soporte.projections.domain.queues import sort_key

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
MIN = timedelta(minutes=1)


def ticket(name: str, due_in: int, *, actionable: bool = True, created_ago: int = 30) -> QueuedTicket:
    """A ticket due ``due_in`` minutes from now, in the console's serving order."""
    due = NOW + due_in * MIN
    return QueuedTicket(name, sort_key(actionable, due, NOW - created_ago * MIN, name).as_tuple(), due)


def agent(agent_id: str, answered: int, last_active_ago: int = 5) -> AgentActivity:
    return AgentActivity(agent_id, agent_id.title(), NOW - last_active_ago * MIN, answered)


# Ana answered 6 tickets in the last hour (one every 10 min), Bea 4 (one every 15 min); Carla answered 10 but
# has done nothing for 45 minutes: she is not on shift. Answers within the hour, merged in time order:
# 10 (Ana), 15 (Bea), 20, 30, 30, 40, 45, 50, 60, 60.
TEAM = [agent("ana", 6), agent("bea", 4), agent("carla", 10, last_active_ago=45)]


def test_a_queue_with_two_agents_on_shift_breaches_where_the_answers_come_too_late():
    queue = [
        ticket("late-already", -3),  # served first (it takes the answer at 10) but breached already: not predicted
        ticket("t05", 5),  # answer at 15
        ticket("t12", 12),  # 20
        ticket("t18", 18),  # 30
        ticket("t25", 25),  # 30
        ticket("t40", 40),  # 40: an answer at the deadline is a breach
        ticket("t55", 55),  # 45: in time
        ticket("t90", 90),  # 50: due after the hour, not predicted whatever happens
        ticket("incomplete08", 8, actionable=False),  # served after every actionable ticket: 60
    ]
    result = forecast(queue, TEAM, NOW)
    assert [b.ticket_id for b in result.breaches] == ["t05", "incomplete08", "t12", "t18", "t25", "t40"]
    expected = {"t05": 15, "incomplete08": 60, "t12": 20, "t18": 30, "t25": 30, "t40": 40}
    assert {b.ticket_id: (b.answer_expected_at - NOW) / MIN for b in result.breaches} == expected
    assert result.within_minutes == 40
    assert [(a.agent_id, a.per_hour) for a in result.agents] == [("ana", 6.0), ("bea", 4.0)]


def test_with_nobody_on_shift_every_ticket_due_within_the_hour_breaches_unanswered():
    queue = [ticket("a", 59), ticket("b", 61), ticket("c", 1), ticket("gone", -1)]
    result = forecast(queue, [agent("carla", 10, last_active_ago=31)], NOW)
    assert [(b.ticket_id, b.answer_expected_at) for b in result.breaches] == [("c", None), ("a", None)]
    assert result.agents == () and result.within_minutes == 59


def test_enough_hands_breach_nothing():
    queue = [ticket(f"t{n}", 10 + n) for n in range(5)]  # due at 10..14 min
    result = forecast(queue, [agent(f"agent-{n}", 12) for n in range(5)], NOW)  # five answers at 5 min
    assert result.breaches == () and result.within_minutes == 0


def test_on_shift_means_acted_within_half_an_hour_and_the_pace_is_answers_in_the_last_hour():
    team = [agent("edge", 3, last_active_ago=30), agent("idle", 0, last_active_ago=1), agent("off", 9, 31)]
    assert [(a.agent_id, a.per_hour) for a in on_shift(team, NOW, ForecastRules())] == [("edge", 3.0), ("idle", 0.0)]
    rules = ForecastRules(horizon=timedelta(minutes=30), lookback=timedelta(minutes=30))
    assert [a.per_hour for a in on_shift(team, NOW, rules)] == [6.0, 0.0]  # 3 answers in half an hour


def test_a_pace_that_does_not_divide_the_hour_still_gives_every_answer_within_it():
    paces = on_shift([agent("seven", 7), agent("three", 3)], NOW, ForecastRules())
    assert capacity(paces, timedelta(hours=1)) == 10


def test_the_queue_beyond_the_capacity_changes_nothing_but_the_tickets_due_soon():
    """What the read models hand over: the first ``capacity`` tickets in serving order and every ticket due
    within the hour. The forecast is the same as over the whole queue."""
    whole = [ticket(f"t{n:03}", 3 + n, actionable=n % 3 != 0, created_ago=n) for n in range(120)]
    paces = on_shift(TEAM, NOW, ForecastRules())
    served = sorted(whole, key=lambda q: q.order)
    handed = {q.ticket_id: q for q in served[: capacity(paces, timedelta(hours=1))]}
    handed |= {q.ticket_id: q for q in whole if q.due_at <= NOW + timedelta(hours=1)}
    assert forecast(list(handed.values()), TEAM, NOW) == forecast(whole, TEAM, NOW)
    # Ten answers for 58 tickets due within the hour, each answer after the deadline of the ticket it goes to.
    assert len(forecast(whole, TEAM, NOW).breaches) == 58
