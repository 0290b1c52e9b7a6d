"""A generated month (or more) of a desk: tickets answered by a few agents, and what each ticket's figures are.

The figures are worked out here by hand from how the history was made, never
by the SLA rules, so tests can check the read models (and the pages and
exports made of them) against an independent answer:

- the desk (``CALENDAR``) opens Monday to Friday 08:00-20:00, Madrid time,
  and knows no holidays;
- on a working day a ticket comes in between 08:00 and 18:30 and gets its first
  answer ``minutes`` later (at most 40, so before closing): that many business
  minutes; on a weekend it comes in at any hour and is answered ``minutes``
  after Monday's opening;
- the first-response clock warns at 12 business minutes and breaches at 15;
  attention (24 wall-clock hours) warns at 19 h 12 min and breaches at 24 h;
- a tenth of the tickets are phone calls, attended live: answered after 5 and
  resolved after 10 minutes, with no clock;
- anything that would happen after ``now`` has not happened yet.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from soporte import events as ev
from soporte.businesstime import calendar_from_dict
from tests.support.scenario import MINUTE, Stream

MADRID = ZoneInfo("Europe/Madrid")
WORKING_DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday")
CALENDAR = calendar_from_dict({"timezone": "Europe/Madrid", "weekly": {d: ["08:00-20:00"] for d in WORKING_DAYS}})
AGENTS = tuple(
    ev.Actor(kind=ev.ActorKind.AGENT, id=f"agent-{n}", name=name)
    for n, name in enumerate(("Luis", "Marta", "Nora", "Omar"))
)
CATEGORIES = tuple(ev.Category)
WARNING_MINUTES, BREACH_MINUTES = 12, 15
ATTENTION_WARNING, ATTENTION_BREACH = timedelta(hours=19, minutes=12), timedelta(hours=24)


@dataclass
class TicketTruth:
    """One generated ticket and its figures, worked out by hand."""

    ticket_id: str
    category: str
    channel: str
    created_at: datetime
    clock_start: datetime | None = None  # when business time starts counting (None: attended live)
    answered_at: datetime | None = None
    minutes: int | None = None  # business minutes to the first answer (None: attended live or not yet)
    responder: ev.Actor | None = None
    clarified: bool = False  # the first answer asked for a clarification (the ticket then waits)
    resolved_at: datetime | None = None
    warnings: list[datetime] = field(default_factory=list)  # when each warning was raised
    breaches: list[datetime] = field(default_factory=list)

    @property
    def day(self) -> date:
        return self.created_at.astimezone(MADRID).date()

    def attention_met(self, now: datetime) -> bool | None:
        if self.clock_start is None:
            return None
        if self.answered_at is not None:
            return self.answered_at - self.created_at < ATTENTION_BREACH
        return False if self.created_at + ATTENTION_BREACH <= now else None

    def status_at(self, moment: datetime) -> str | None:
        """new | open | waiting_on_customer at ``moment``; None when not created yet or resolved by then."""
        if self.created_at > moment or (self.resolved_at is not None and self.resolved_at <= moment):
            return None
        if self.answered_at is None or self.answered_at > moment:
            return "new"
        return "waiting_on_customer" if self.clarified else "open"


def local(day: date, hour: int, minute: int = 0) -> datetime:
    """``hour:minute`` in Madrid on ``day``, as a UTC instant: adding hours to it adds real hours, also across
    a change of summer time (aware arithmetic within one zone would add wall-clock hours)."""
    return datetime.combine(day, time(hour, minute), tzinfo=MADRID).astimezone(UTC)


def next_opening(moment: datetime) -> datetime:
    """The next Monday-to-Friday 08:00 at or after a weekend moment."""
    day = moment.astimezone(MADRID).date()
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return local(day, 8)


class DeskHistory:
    """Tickets for each of ``days``, ``per_day`` on a working day (a third of that on a weekend)."""

    def __init__(self, days: Iterable[date], per_day: int, now: datetime, seed: int = 14) -> None:
        self.now, self.rng = now, random.Random(seed)
        self.events: list[ev.Event] = []
        self.tickets: list[TicketTruth] = []
        for day in days:
            weekend = day.weekday() >= 5
            for _ in range(per_day // 3 if weekend else per_day):
                self._ticket(day, weekend)

    def _ticket(self, day: date, weekend: bool) -> None:
        rng = self.rng
        start = local(day, 0) + timedelta(minutes=rng.randrange(24 * 60)) if weekend else local(day, 8)
        created = start if weekend else start + timedelta(minutes=rng.randrange(630))  # 08:00-18:29
        created += timedelta(seconds=rng.randrange(60))
        if created > self.now:
            return
        stream = Stream(ev.new_ticket_id(), category=rng.choice(CATEGORIES), agent=rng.choice(AGENTS))
        phone = rng.random() < 0.1
        channel = ev.Channel.PHONE if phone else rng.choice((ev.Channel.WEB, ev.Channel.WEB, ev.Channel.EMAIL))
        truth = TicketTruth(stream.ticket_id, str(stream.category), str(channel), created)
        self.tickets.append(truth)
        self.events.append(stream.submitted(created, channel=channel, order_number=None))
        if phone:
            self._answer(stream, truth, created + 5 * MINUTE, clarify=False)
            self._resolve(stream, truth, created + 10 * MINUTE)
            return
        truth.clock_start = next_opening(created) if weekend else created
        minutes = rng.choice((2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 16, 18, 22, 30, 40))
        answered = truth.clock_start + minutes * MINUTE
        if answered <= self.now:
            truth.minutes = minutes
            self._answer(stream, truth, answered, clarify=rng.random() < 0.2)
            self._resolve(stream, truth, answered + timedelta(hours=rng.randrange(1, 73)))
        self._escalations(truth)

    def _answer(self, stream: Stream, truth: TicketTruth, at: datetime, *, clarify: bool) -> None:
        truth.answered_at, truth.responder, truth.clarified = at, stream.agent, clarify
        self.events.append(stream.clarification(at) if clarify else stream.agent_replied(at))

    def _resolve(self, stream: Stream, truth: TicketTruth, at: datetime) -> None:
        if at <= self.now:
            truth.resolved_at = at
            self.events.append(stream.resolved(at))

    def _escalations(self, truth: TicketTruth) -> None:
        """Warnings and breaches of first response and attention, by hand: a level is raised when its due time
        comes before the answer (or at it), and before now."""
        until = truth.answered_at or self.now  # every answer is before now
        first = [(truth.clock_start + WARNING_MINUTES * MINUTE, truth.warnings)]
        first.append((truth.clock_start + BREACH_MINUTES * MINUTE, truth.breaches))
        attention = [(truth.created_at + ATTENTION_WARNING, truth.warnings)]
        attention.append((truth.created_at + ATTENTION_BREACH, truth.breaches))
        for due, raised in first + attention:
            if due <= until:
                raised.append(due)
