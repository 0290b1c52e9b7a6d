"""Breach forecast (pure): which open tickets will miss a deadline in the next hour if nothing changes.

The method, as the README states it:

1. **Who is on shift.** An agent is on shift when they did anything on a ticket
   (any event they are the actor of) in the last ``on_shift_within`` (30 min).
2. **How fast each one answers.** An agent's rate is the number of distinct
   tickets they answered publicly (reply, clarification request, return label,
   courier claim) or resolved in the last ``lookback`` (60 min), per hour. An
   agent on shift who answered nothing in that hour adds no capacity.
3. **If nothing changes**, each agent on shift keeps their pace: agent *a*
   answers a ticket every ``60 / rate_a`` minutes from now, and each answer goes
   to the next ticket in the console's serving order (actionable first, then the
   earliest deadline, then the oldest). The agents' answer times are merged in
   time order, so the k-th ticket of the queue gets the k-th answer.
4. **A predicted breach** is an open ticket whose earliest running deadline
   falls after now and within the ``horizon`` (60 min), and whose expected
   answer comes at or after that deadline, or not within the horizon at all.
   An answer fulfils every running response clock of a ticket, so the
   earliest deadline is the one that counts. Tickets already past a deadline
   are not predicted (they have breached) but are served, and take answers, in
   their place in the order.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class ForecastRules:
    horizon: timedelta = timedelta(hours=1)
    on_shift_within: timedelta = timedelta(minutes=30)
    lookback: timedelta = timedelta(hours=1)


@dataclass(frozen=True)
class QueuedTicket:
    """An open ticket with a running clock: where it stands in the serving order, and its earliest deadline."""

    ticket_id: str
    order: tuple  # the console's serving order (``queues.SortKey.as_tuple()``)
    due_at: datetime


@dataclass(frozen=True)
class AgentActivity:
    """What an agent did lately: when they last acted, and how many tickets they answered or resolved."""

    agent_id: str
    name: str | None
    last_active_at: datetime
    answered: int  # distinct tickets answered or resolved within the lookback


@dataclass(frozen=True)
class AgentPace:
    agent_id: str
    name: str | None
    per_hour: float


@dataclass(frozen=True)
class PredictedBreach:
    ticket_id: str
    due_at: datetime
    answer_expected_at: datetime | None  # None: no answer within the horizon


@dataclass(frozen=True)
class Forecast:
    now: datetime
    rules: ForecastRules
    agents: tuple[AgentPace, ...]  # on shift
    breaches: tuple[PredictedBreach, ...]  # by deadline

    @property
    def within_minutes(self) -> int:
        """Minutes from now to the last predicted breach (rounded up): «… in the next N min»."""
        if not self.breaches:
            return 0
        return math.ceil((self.breaches[-1].due_at - self.now).total_seconds() / 60)


def on_shift(activity: Iterable[AgentActivity], now: datetime, rules: ForecastRules) -> tuple[AgentPace, ...]:
    """The agents who acted within ``on_shift_within`` of ``now``, with their measured rate per hour."""
    hours = rules.lookback.total_seconds() / 3600
    return tuple(
        AgentPace(a.agent_id, a.name, a.answered / hours)
        for a in sorted(activity, key=lambda a: a.agent_id)
        if now - rules.on_shift_within <= a.last_active_at <= now
    )


def answers_within(agent: AgentPace, horizon: timedelta) -> int:
    """How many answers ``agent`` gives within ``horizon`` at their pace."""
    return max(0, math.floor(agent.per_hour * horizon.total_seconds() / 3600 + 1e-9))


def answer_times(agents: Iterable[AgentPace], now: datetime, horizon: timedelta) -> list[datetime]:
    """Every answer the agents on shift are expected to give within the horizon, in time order."""
    times = []
    for agent in agents:
        times += [now + timedelta(hours=n / agent.per_hour) for n in range(1, answers_within(agent, horizon) + 1)]
    return sorted(times)


def capacity(agents: Iterable[AgentPace], horizon: timedelta) -> int:
    """How many answers the agents give within the horizon (how much of the queue the forecast needs)."""
    return sum(answers_within(agent, horizon) for agent in agents)


def forecast(
    queue: Sequence[QueuedTicket],
    activity: Iterable[AgentActivity],
    now: datetime,
    rules: ForecastRules = ForecastRules(),
) -> Forecast:
    """The tickets of ``queue`` (at least its first ``capacity`` tickets in serving order, and every one due within
    the horizon) predicted to breach, if the agents on shift keep their pace."""
    agents = on_shift(activity, now, rules)
    answers = answer_times(agents, now, rules.horizon)
    served = sorted(queue, key=lambda q: q.order)
    breaches = []
    for position, ticket in enumerate(served):
        answer = answers[position] if position < len(answers) else None
        due_soon = now < ticket.due_at <= now + rules.horizon
        if due_soon and (answer is None or answer >= ticket.due_at):
            breaches.append(PredictedBreach(ticket.ticket_id, ticket.due_at, answer))
    breaches.sort(key=lambda b: (b.due_at, b.ticket_id))
    return Forecast(now, rules, agents, tuple(breaches))
