"""A ticket's SLA clocks as immutable data: each clock with the policy numbers it started under,
a ticket's clocks, and what an event did to them (``Transition``). The rules are in ``rules.py``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from soporte.businesstime import BusinessCalendar
from soporte.events import Channel
from soporte.events.types import SlaClock

from .lifecycle import Status

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
