"""The SLA worker's pure core: the clock rules of ``soporte.ticketrules`` plus due timers and raised marks.

Escalations are a function of the event history, not of when it is processed:

- applying an event that stops a clock first raises every level of it due at
  or before the event's ``occurred_at`` (``Transition.overdue``);
- the timer raises levels of clocks still running, up to an instant the caller
  vouches for: the worker passes "now minus the allowed lateness" only for a
  partition whose events it has all read, so an answer still waiting in the
  partition can never be outrun by the timer.

Both paths derive the same escalation id (ticket, clock, level, deadline), and a
ticket's record keeps the ids already raised for its running clocks, so each is
raised once. Nothing here does I/O or reads the wall clock.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from soporte.events import Event
from soporte.events.types import SlaClock
from soporte.ticketrules import SlaRules, TicketClocks, escalation_event, escalation_id, first_response_event


@dataclass(frozen=True)
class TicketRecord:
    """What the worker keeps per ticket (the value of the ``clocks`` table): its clocks and what was raised."""

    clocks: TicketClocks
    raised: frozenset[str] = frozenset()  # escalation ids of running clocks already published

    @property
    def ticket_id(self) -> str:
        return self.clocks.ticket_id

    def as_json(self) -> dict[str, Any]:
        # "last_version" is what `soporte sla audit` compares with the ticket topic.
        return {"last_version": self.clocks.version, "clocks": self.clocks.as_json(), "raised": sorted(self.raised)}

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> TicketRecord:
        return cls(TicketClocks.from_json(raw["clocks"]), frozenset(raw.get("raised", ())))

    def with_raised(self, escalations: list[Event]) -> TicketRecord:
        return replace(self, raised=self.raised | {str(e.event_id) for e in escalations})


@dataclass(frozen=True, order=True)
class _Timer:
    at: datetime
    ticket_id: str
    kind: SlaClock = field(compare=False)
    episode: str = field(compare=False)


class SlaEngine:
    """The clock rules, a due-timer heap per partition, and the records of the tickets this worker holds."""

    def __init__(self, rules: SlaRules) -> None:
        self.rules = rules
        self.records: dict[str, TicketRecord] = {}
        self._heaps: dict[int, list[_Timer]] = {}

    # --- records --------------------------------------------------------------------------------

    def record(self, ticket_id: str) -> TicketRecord:
        return self.records.get(ticket_id) or TicketRecord(TicketClocks(ticket_id))

    def hold(self, record: TicketRecord, partition: int, *, reschedule: bool = False) -> None:
        """Keep ``record`` (after an event, or read back from the table) and schedule the levels not raised yet
        of the clocks it started (of all its clocks with ``reschedule``: a due message that could not be sent)."""
        before = self.records.get(record.ticket_id)
        known = {(c.kind, c.episode) for c in before.clocks.clocks} if before and not reschedule else set()
        self.records[record.ticket_id] = record
        heap, calendar = self._heaps.setdefault(partition, []), self.rules.calendar
        for clock in record.clocks.clocks:
            if (clock.kind, clock.episode) in known:
                continue
            for level in clock.levels:
                if str(escalation_id(record.ticket_id, clock, level.number, calendar)) not in record.raised:
                    timer = _Timer(clock.due_at(level, calendar), record.ticket_id, clock.kind, clock.episode)
                    heapq.heappush(heap, timer)

    def forget_partitions(self) -> None:
        """Drop every record and timer (the partitions moved; the table is read back)."""
        self.records.clear()
        self._heaps.clear()

    # --- events in ------------------------------------------------------------------------------

    def apply(self, record: TicketRecord, event: Event, partition: int) -> tuple[TicketRecord, list[Event]]:
        """The record after ``event``, and what to publish first: the stopped clocks' overdue escalations not
        raised yet, and the first-response KPI. The caller publishes, then keeps the record (``hold``)."""
        transition = self.rules.apply(record.clocks, event)
        if not transition.applied:
            return record, []
        state, calendar = transition.state, self.rules.calendar
        out = [escalation_event(state, due, calendar) for due in transition.overdue]
        out = [e for e in out if str(e.event_id) not in record.raised]
        if transition.first_response is not None:
            out.append(first_response_event(state, transition.first_response, event, calendar))
        return self.keep_live(TicketRecord(state), record.raised), out

    def keep_live(self, record: TicketRecord, raised_ids) -> TicketRecord:
        """``record`` marked with those of ``raised_ids`` that belong to its running clocks (the rest are gone)."""
        calendar = self.rules.calendar
        live = {
            str(escalation_id(record.ticket_id, clock, level.number, calendar))
            for clock in record.clocks.clocks
            for level in clock.levels
        }
        return replace(record, raised=frozenset(raised_ids) & live)

    # --- timers ---------------------------------------------------------------------------------

    def next_due_at(self) -> datetime | None:
        return min((heap[0].at for heap in self._heaps.values() if heap), default=None)

    def due_tickets(self, partition: int, up_to: datetime) -> list[str]:
        """Tickets of ``partition`` with a level due at or before ``up_to`` (their timers are taken off)."""
        heap, found = self._heaps.get(partition, []), {}
        while heap and heap[0].at <= up_to:
            timer = heapq.heappop(heap)
            clock = self.record(timer.ticket_id).clocks.clock(timer.kind)
            if clock is not None and clock.episode == timer.episode:
                found[timer.ticket_id] = None  # once each, in due order
        return list(found)

    def escalations_due(self, record: TicketRecord, up_to: datetime) -> list[Event]:
        """The levels of ``record``'s running clocks due at or before ``up_to`` and not raised yet."""
        calendar = self.rules.calendar
        out = [
            escalation_event(record.clocks, due, calendar)
            for clock in record.clocks.clocks
            for due in self.rules.levels_due(clock, up_to)
        ]
        return [e for e in out if str(e.event_id) not in record.raised]
