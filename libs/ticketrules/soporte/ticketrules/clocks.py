"""A ticket's SLA clocks: immutable state, and ``SlaRules.apply(state, event)`` for the next one.

The one home of the clock rules; the SLA worker (timers, escalations) and the
projections (due times in the queues) both fold events through it, so what the
queue shows is the deadline the worker escalates on.

What moves the clocks (the README's sla section has the same table):

- a ticket submitted by a customer or guest starts *first response* (business
  time) and *attention* (24 wall-clock hours); one an agent opens for a caller
  (phone, chat) was attended live and starts neither;
- a public agent response (reply, clarification request, return label, courier
  claim) fulfils the running response clocks and attention, and the first one
  measures the first response;
- a customer message starts *next response* when no response clock runs;
- a resolution stops every clock; reopening, notes and assignments start none.

Everything comes from event time (``occurred_at``) and the calendar, never from
the wall clock, so the same history always gives the same deadlines. When an
event stops a clock, every level of it due at or before the event is reported
as overdue: escalations are a function of the history, however late it is read.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from soporte.businesstime import BusinessCalendar
from soporte.events import Channel, Event
from soporte.events import types as t
from soporte.events.types import SlaClock

from .lifecycle import PUBLIC_AGENT_RESPONSES, Status, status_after
from .policies import SlaPolicies, SlaPolicy

WARNING, BREACH = "warning", "breach"
RESPONSE_CLOCKS = (SlaClock.FIRST_RESPONSE, SlaClock.NEXT_RESPONSE, SlaClock.ATTENTION)
_WALL_CLOCK = BusinessCalendar.always_open()
ATTENDED_LIVE = (Channel.PHONE, Channel.CHAT)


@dataclass(frozen=True)
class Level:
    """An escalation level of a clock: due once ``fraction`` of the target has passed."""

    name: str  # warning | breach
    number: int  # the escalation level on the topic (1 = warning, higher = further up)
    notify: tuple[str, ...]
    fraction: float


@dataclass(frozen=True)
class Clock:
    """One running clock episode, with the numbers of the policy it started under.

    ``episode`` is the id of the event that started it; a clock is started,
    then fulfilled or stopped: it never pauses.
    """

    kind: SlaClock
    episode: str
    started_at: datetime
    target_seconds: int
    business: bool
    levels: tuple[Level, ...]
    policy_id: str
    policy_version: int

    def calendar(self, business_calendar: BusinessCalendar) -> BusinessCalendar:
        return business_calendar if self.business else _WALL_CLOCK

    def due_at(self, level: Level, calendar: BusinessCalendar) -> datetime:
        """When ``level`` falls due."""
        goal = timedelta(seconds=self.target_seconds * level.fraction)
        return self.calendar(calendar).add_business_time(self.started_at, goal)

    @property
    def breach(self) -> Level:
        return next(level for level in self.levels if level.name == BREACH)

    def deadline(self, calendar: BusinessCalendar) -> datetime:
        """When the clock breaches."""
        return self.due_at(self.breach, calendar)

    def elapsed(self, at: datetime, calendar: BusinessCalendar) -> timedelta:
        """Counted time (business time for business clocks) from the start to ``at``."""
        return max(self.calendar(calendar).business_time_between(self.started_at, at), timedelta(0))

    def as_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind.value,
            "episode": self.episode,
            "started_at": self.started_at.isoformat(),
            "target_seconds": self.target_seconds,
            "business": self.business,
            "levels": [[lv.name, lv.number, list(lv.notify), lv.fraction] for lv in self.levels],
            "policy": [self.policy_id, self.policy_version],
        }

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> Clock:
        return cls(
            kind=SlaClock(raw["kind"]),
            episode=raw["episode"],
            started_at=datetime.fromisoformat(raw["started_at"]),
            target_seconds=int(raw["target_seconds"]),
            business=bool(raw["business"]),
            levels=tuple(Level(n, int(num), tuple(notify), float(f)) for n, num, notify, f in raw["levels"]),
            policy_id=raw["policy"][0],
            policy_version=int(raw["policy"][1]),
        )


@dataclass(frozen=True)
class TicketClocks:
    """What the clock rules know of one ticket after its events up to ``version``."""

    ticket_id: str
    version: int = 0
    status: Status | None = None
    category: str | None = None
    priority: str | None = None
    attended_live: bool = False  # opened by an agent during a call or chat: no first-response clock
    submitted_at: datetime | None = None
    first_responded_at: datetime | None = None
    clocks: tuple[Clock, ...] = ()

    def clock(self, kind: SlaClock) -> Clock | None:
        return next((c for c in self.clocks if c.kind == kind), None)

    def deadlines(self, calendar: BusinessCalendar) -> dict[SlaClock, datetime]:
        """The breach time of each running clock."""
        return {c.kind: c.deadline(calendar) for c in self.clocks}

    def as_json(self) -> dict[str, Any]:
        def iso(value: datetime | None) -> str | None:
            return value.isoformat() if value else None

        return {
            "ticket_id": self.ticket_id,
            "version": self.version,
            "status": self.status.value if self.status else None,
            "category": self.category,
            "priority": self.priority,
            "attended_live": self.attended_live,
            "submitted_at": iso(self.submitted_at),
            "first_responded_at": iso(self.first_responded_at),
            "clocks": [c.as_json() for c in self.clocks],
        }

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> TicketClocks:
        def dt(value: str | None) -> datetime | None:
            return datetime.fromisoformat(value) if value else None

        return cls(
            ticket_id=raw["ticket_id"],
            version=int(raw["version"]),
            status=Status(raw["status"]) if raw.get("status") else None,
            category=raw.get("category"),
            priority=raw.get("priority"),
            attended_live=bool(raw.get("attended_live")),
            submitted_at=dt(raw.get("submitted_at")),
            first_responded_at=dt(raw.get("first_responded_at")),
            clocks=tuple(Clock.from_json(c) for c in raw.get("clocks", ())),
        )


@dataclass(frozen=True)
class DueLevel:
    """A level of a clock and the instant it falls due."""

    clock: Clock
    level: Level
    at: datetime


@dataclass(frozen=True)
class Transition:
    """The state after an event, and what the event did to the clocks."""

    state: TicketClocks
    applied: bool = True  # False: the version was applied before (a redelivery)
    started: tuple[Clock, ...] = ()
    stopped: tuple[Clock, ...] = ()
    overdue: tuple[DueLevel, ...] = ()  # levels of the stopped clocks due at or before the event
    first_response: Clock | None = None  # the first-response clock this event fulfilled (the KPI is measured)
    moved: tuple[SlaClock, ...] = field(default=())  # every clock kind the event started or stopped


class SlaRules:
    """The clock rules with their calendar and policies (pure: no I/O, no wall clock)."""

    def __init__(self, calendar: BusinessCalendar, policies: SlaPolicies) -> None:
        self.calendar, self.policies = calendar, policies

    def policy(self, state: TicketClocks) -> SlaPolicy:
        return self.policies.for_ticket(state.category, state.priority)

    def start(self, state: TicketClocks, kind: SlaClock, *, episode: str, at: datetime) -> Clock:
        """A clock of ``kind`` started at ``at`` by the event ``episode`` under the ticket's current policy."""
        policy = self.policy(state)
        levels = (
            Level(WARNING, policy.warning.level, policy.warning.notify, policy.warning_fraction),
            Level(BREACH, policy.breach.level, policy.breach.notify, 1.0),
        )
        return Clock(
            kind=kind,
            episode=episode,
            started_at=at,
            target_seconds=int(policy.target(kind).total_seconds()),
            business=kind is not SlaClock.ATTENTION,
            levels=levels,
            policy_id=policy.id,
            policy_version=policy.version,
        )

    def levels_due(self, clock: Clock, up_to: datetime) -> tuple[DueLevel, ...]:
        """The levels of ``clock`` due at or before ``up_to``."""
        due = (DueLevel(clock, level, clock.due_at(level, self.calendar)) for level in clock.levels)
        return tuple(d for d in due if d.at <= up_to)

    def apply(self, state: TicketClocks, event: Event) -> Transition:
        """The clocks after ``event`` (a ticket-stream event of ``state``'s ticket, next in version order)."""
        if event.version is None or event.version <= state.version:
            return Transition(state, applied=False)
        at = event.occurred_at
        state = replace(state, version=event.version, status=status_after(state.status, event))
        stop: tuple[SlaClock, ...] = ()
        start: tuple[SlaClock, ...] = ()
        fulfilled_first = None
        match event:
            case t.TicketSubmitted():
                data = event.data
                attended_live = data.channel in ATTENDED_LIVE
                state = replace(
                    state,
                    category=str(data.category),
                    priority=str(data.actionability.priority),
                    attended_live=attended_live,
                    submitted_at=at,
                )
                start = () if attended_live else (SlaClock.FIRST_RESPONSE, SlaClock.ATTENTION)
            case _ if isinstance(event, PUBLIC_AGENT_RESPONSES):
                stop = RESPONSE_CLOCKS
                fulfilled_first = state.clock(SlaClock.FIRST_RESPONSE)
                if state.first_responded_at is None:
                    state = replace(state, first_responded_at=at)
            case t.CustomerReplied():
                if not state.clock(SlaClock.FIRST_RESPONSE) and not state.clock(SlaClock.NEXT_RESPONSE):
                    start = (SlaClock.NEXT_RESPONSE,)
            case t.TicketResolved():
                stop = tuple(c.kind for c in state.clocks)
            case t.SlaDeadlineChanged():
                return self._deadline_changed(state, event)
            case _:
                pass  # reopenings, notes and assignments move no clock
        stopped = tuple(c for c in state.clocks if c.kind in stop)
        started = tuple(self.start(state, kind, episode=str(event.event_id), at=at) for kind in start)
        state = replace(state, clocks=tuple(c for c in state.clocks if c.kind not in stop) + started)
        overdue = tuple(due for clock in stopped for due in self.levels_due(clock, at))
        return Transition(
            state,
            started=started,
            stopped=stopped,
            overdue=overdue,
            first_response=fulfilled_first,
            moved=tuple(c.kind for c in stopped + started),
        )

    def _deadline_changed(self, state: TicketClocks, event: t.SlaDeadlineChanged) -> Transition:
        """A running clock takes the recalculated targets (same start, same episode); another episode is untouched."""
        data = event.data
        clocks = tuple(
            replace(
                c,
                target_seconds=data.target_seconds,
                levels=tuple(
                    replace(lv, fraction=data.warning_fraction) if lv.name == WARNING else lv for lv in c.levels
                ),
                policy_id=data.policy_id,
                policy_version=data.policy_version,
            )
            if c.kind == data.clock and c.episode == data.episode
            else c
            for c in state.clocks
        )
        moved = (data.clock,) if clocks != state.clocks else ()
        return Transition(replace(state, clocks=clocks), moved=moved)

    def recalculated(self, state: TicketClocks, clock: Clock) -> Clock:
        """``clock`` with the targets these rules give the ticket now (what a recalculation would set)."""
        fresh = self.start(state, clock.kind, episode=clock.episode, at=clock.started_at)
        return replace(
            clock,
            target_seconds=fresh.target_seconds,
            levels=fresh.levels,
            policy_id=fresh.policy_id,
            policy_version=fresh.policy_version,
        )
