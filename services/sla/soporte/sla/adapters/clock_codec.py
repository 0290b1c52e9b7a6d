"""A ticket's clocks as JSON data: the values of the faust ``clocks`` table (and its changelog)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from soporte.events.types import SlaClock

from ..domain.clocks import Clock, TicketClocks


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def dump_ticket(ticket: TicketClocks) -> dict[str, Any]:
    """A ticket's clocks as JSON-ready data."""
    return {
        "last_version": ticket.last_version,
        "category": ticket.category,
        "priority": ticket.priority,
        "submitted_at": _iso(ticket.submitted_at),
        "first_response_measured": ticket.first_response_measured,
        "waiting_on_customer": ticket.waiting_on_customer,
        "resolved": ticket.resolved,
        "clocks": [
            {
                "kind": c.kind.value,
                "episode": str(c.episode),
                "target": c.target.total_seconds(),
                "business": c.business,
                "running_since": _iso(c.running_since),
                "elapsed_before": c.elapsed_before.total_seconds(),
                "fired": sorted(c.fired),
            }
            for c in ticket.clocks.values()
        ],
    }


def load_ticket(ticket_id: str, data: dict[str, Any]) -> TicketClocks:
    """The inverse of :func:`dump_ticket`."""
    clocks = {}
    for c in data["clocks"]:
        clock = Clock(
            kind=SlaClock(c["kind"]),
            episode=uuid.UUID(c["episode"]),
            target=timedelta(seconds=c["target"]),
            business=c["business"],
            running_since=_dt(c["running_since"]),
            elapsed_before=timedelta(seconds=c["elapsed_before"]),
            fired=set(c["fired"]),
        )
        clocks[clock.kind] = clock
    return TicketClocks(
        ticket_id=ticket_id,
        last_version=data["last_version"],
        category=data["category"],
        priority=data["priority"],
        submitted_at=_dt(data["submitted_at"]),
        first_response_measured=data["first_response_measured"],
        waiting_on_customer=data["waiting_on_customer"],
        resolved=data["resolved"],
        clocks=clocks,
    )
