"""Moving the deadlines of running clocks to a new policy, explicitly (``soporte sla policy diff`` / ``recalculate``).

A clock keeps the policy it started under; a new policy file applies to clocks
started after it. An operator who wants running clocks moved too previews the
moves, then records one ``SlaDeadlineChanged`` per moved clock on its ticket.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from soporte.events import Event
from soporte.events import types as t
from soporte.ticketrules import WARNING, Clock, SlaRules, Status, TicketClocks


@dataclass(frozen=True)
class DeadlineMove:
    """A running clock and what it would become under the new policy."""

    ticket_id: str
    current: Clock
    moved: Clock
    old_deadline: datetime
    new_deadline: datetime

    @property
    def shift(self) -> timedelta:
        return self.new_deadline - self.old_deadline

    def change(self, cause: str) -> t.SlaDeadlineChangedData:
        """The payload of the ticket event that records this move."""
        warning = next(level for level in self.moved.levels if level.name == WARNING)
        return t.SlaDeadlineChangedData(
            clock=self.current.kind,
            episode=self.current.episode,
            old_deadline=self.old_deadline,
            new_deadline=self.new_deadline,
            target_seconds=self.moved.target_seconds,
            warning_fraction=warning.fraction,
            policy_id=self.moved.policy_id,
            policy_version=self.moved.policy_version,
            cause=cause,
        )


def fold_tickets(events: Iterable[Event], rules: SlaRules) -> dict[str, TicketClocks]:
    """Every ticket's clocks after its events (in topic order, which is version order per ticket)."""
    states: dict[str, TicketClocks] = {}
    for event in events:
        if event.ticket_id is None:
            continue
        states[event.ticket_id] = rules.apply(states.get(event.ticket_id) or TicketClocks(event.ticket_id), event).state
    return states


def deadline_moves(
    states: Iterable[TicketClocks], new_rules: SlaRules, *, started_since: datetime | None = None
) -> list[DeadlineMove]:
    """The running clocks (started at or after ``started_since``, if given) whose deadline or warning would move."""
    calendar = new_rules.calendar
    moves = []
    for state in states:
        if state.status is Status.RESOLVED:
            continue
        for clock in state.clocks:
            if started_since is not None and clock.started_at < started_since:
                continue
            moved = new_rules.recalculated(state, clock)
            if (moved.target_seconds, moved.levels) != (clock.target_seconds, clock.levels):
                moves.append(
                    DeadlineMove(state.ticket_id, clock, moved, clock.deadline(calendar), moved.deadline(calendar))
                )
    return sorted(moves, key=lambda m: (m.new_deadline, m.ticket_id, m.current.kind))
