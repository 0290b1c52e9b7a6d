"""Escalations are a function of the event history, not of when it is processed (issue #10, item 1).

Generated histories (submissions by customers and by agents on calls, replies,
clarifications, labels, claims, notes, resolutions, reopenings, answers placed
around the warning and breach instants) are run through the worker's engine the
way the worker runs: every event is on the log at its ``occurred_at`` and is
processed ``lag`` later (or all at once, as a backlog); the timer raises levels
only for a partition whose events are all read, up to now minus the allowed
lateness. Whatever the lag, the set of escalation ids is the same, each is raised
once, and it is what the offline replay of the history says.
"""

from __future__ import annotations

import math
from collections import Counter
from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from soporte.businesstime import calendar_from_dict
from soporte.events import Channel
from soporte.sla.domain.engine import SlaEngine
from soporte.ticketrules import SlaRules, policies_from_dict, replay_escalations
from tests.support.scenario import Stream

CALENDAR = calendar_from_dict(
    {
        "timezone": "Europe/Madrid",
        "weekly": {d: ["00:00-18:00"] for d in ("monday", "tuesday", "wednesday", "thursday", "friday")},
    }
)
RULES = SlaRules(CALENDAR, policies_from_dict({"id": "test", "version": 1}))
LATENESS = timedelta(seconds=3)
LAGS = [timedelta(0), timedelta(seconds=2), timedelta(seconds=30), timedelta(minutes=10), None]  # None: one backlog
PARTITION = 0
START = datetime(2026, 3, 2, 0, 0, tzinfo=UTC)  # a Monday

ACTIONS = [
    "agent_replied", "clarification", "return_label", "courier_claim", "customer_replied", "note", "assigned",
    "resolved", "reopened_by_agent", "reopened_by_customer",
]  # fmt: skip
# Delays that land on and around the warning (12 min) and breach (15 min) instants, and far beyond.
NEAR = [timedelta(minutes=m) + timedelta(seconds=s) for m in (12, 15, 60) for s in (-2, -1, 0, 1, 2)]
delays = st.one_of(
    st.sampled_from(NEAR),
    st.integers(min_value=0, max_value=3 * 24 * 3600).map(lambda s: timedelta(seconds=s)),
)
ticket_plans = st.tuples(
    st.integers(min_value=0, max_value=7 * 24 * 60).map(lambda m: START + timedelta(minutes=m)),
    st.sampled_from([Channel.WEB, Channel.WEB, Channel.EMAIL, Channel.PHONE]),
    st.lists(st.tuples(st.sampled_from(ACTIONS), delays), max_size=6),
)


def history_of(plans) -> list:
    events = []
    for submitted_at, channel, actions in plans:
        stream, at = Stream(), submitted_at
        events.append(stream.submitted(at, channel=channel))
        for action, delay in actions:
            at += delay
            match action:
                case "reopened_by_agent":
                    events.append(stream.reopened(at, by_customer=False))
                case "reopened_by_customer":
                    events += [stream.reopened(at), stream.customer_replied(at)]
                case _:
                    events.append(getattr(stream, action)(at))
    return sorted(events, key=lambda e: (e.occurred_at, e.ticket_id, e.version))  # the order of the log


class Worker:
    """The engine driven as the worker drives it, on a simulated wall clock."""

    def __init__(self) -> None:
        self.engine = SlaEngine(RULES)
        self.published: list = []

    def process(self, event) -> None:
        record, out = self.engine.apply(self.engine.record(event.ticket_id), event, PARTITION)
        self.published += out
        self.engine.hold(record.with_raised(out), PARTITION)

    def timer(self, up_to: datetime) -> None:
        for ticket_id in self.engine.due_tickets(PARTITION, up_to):
            record = self.engine.record(ticket_id)
            out = self.engine.escalations_due(record, up_to)
            self.published += out
            self.engine.hold(record.with_raised(out), PARTITION)


def run(history, lag: timedelta | None, end: datetime) -> list:
    worker = Worker()
    if lag is None:  # a restart, a replay under a new app id: everything read at once, then the timer
        for event in history:
            worker.process(event)
        worker.timer(end - LATENESS)
        return worker.published
    pending = [(e.occurred_at + lag, e) for e in history]  # the log is read in order, each event `lag` late
    while True:
        next_read = pending[0][0] if pending else None
        due = worker.engine.next_due_at()
        wake = due + LATENESS if due is not None else None
        if wake is not None and wake <= end and (next_read is None or wake < next_read):
            caught_up = not any(e.occurred_at <= wake for _, e in pending)
            if caught_up:
                worker.timer(wake - LATENESS)
                continue
        if next_read is None or next_read > end:
            break
        _, event = pending.pop(0)
        worker.process(event)
        if not any(e.occurred_at <= next_read for _, e in pending):
            worker.timer(next_read - LATENESS)  # the timer's next tick finds the partition caught up
    worker.timer(end - LATENESS)
    return worker.published


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(ticket_plans, min_size=1, max_size=4))
def test_the_same_history_raises_the_same_escalations_whatever_the_lag(plans):
    history = history_of(plans)
    end = max(e.occurred_at for e in history) + timedelta(days=4)
    expected = set(replay_escalations(history, RULES, end - LATENESS))
    for lag in LAGS:
        published = run(history, lag, end)
        escalations = [e.event_id for e in published if e.type in ("SlaWarning", "SlaBreached")]
        twice = [i for i, n in Counter(escalations).items() if n > 1]
        assert not twice, f"lag {lag}: raised twice: {twice}"
        assert set(escalations) == expected, f"lag {lag}"
        kpis = [e.ticket_id for e in published if e.type == "FirstResponseMeasured"]
        assert len(kpis) == len(set(kpis))


def test_an_answer_a_second_before_the_deadline_that_arrives_late_is_not_a_breach():
    stream = Stream()
    submitted = datetime(2026, 3, 2, 13, 45, tzinfo=UTC)  # Monday 14:45 in Madrid: breach due at 15:00
    answer = submitted + timedelta(minutes=15) - timedelta(seconds=1)
    history = [stream.submitted(submitted), stream.agent_replied(answer)]
    for lag in LAGS:
        published = run(history, lag, submitted + timedelta(days=2))
        assert [e.type for e in published if e.type.startswith("Sla")] == ["SlaWarning"], lag


def test_a_breach_that_happened_is_raised_when_the_late_answer_is_read_in_a_backlog():
    stream = Stream()
    submitted = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    history = [stream.submitted(submitted), stream.agent_replied(submitted + timedelta(minutes=40))]
    published = run(history, None, submitted + timedelta(days=2))
    breach = [e for e in published if e.type == "SlaBreached" and e.data.clock == "first_response"]
    assert len(breach) == 1 and breach[0].occurred_at == submitted + timedelta(minutes=15)
    assert math.isclose(breach[0].data.elapsed_seconds, 900)
