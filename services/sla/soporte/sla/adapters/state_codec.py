"""Clock state <-> JSON, for the faust table (its changelog topic is the durable copy)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from soporte.events.types import SlaClock
from soporte.sla.domain.clocks import Clock, TicketClocks


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def dump_state(state: TicketClocks) -> dict[str, Any]:
    return {
        "ticket_id": state.ticket_id,
        "last_version": state.last_version,
        "category": state.category,
        "priority": state.priority,
        "submitted_at": _iso(state.submitted_at),
        "first_response_at": _iso(state.first_response_at),
        "waiting_on_customer": state.waiting_on_customer,
        "resolved": state.resolved,
        "clocks": [
            {
                "name": c.name.value,
                "target": c.target.total_seconds(),
                "business": c.business,
                "elapsed": c.elapsed.total_seconds(),
                "running_since": _iso(c.running_since),
                "started_at": _iso(c.started_at),
            }
            for c in state.clocks.values()
        ],
        "fired": sorted(state.fired),
    }


def load_state(raw: dict[str, Any] | None, ticket_id: str) -> TicketClocks:
    if not raw:
        return TicketClocks(ticket_id)
    clocks = {}
    for c in raw["clocks"]:
        clock = Clock(
            SlaClock(c["name"]),
            timedelta(seconds=c["target"]),
            c["business"],
            timedelta(seconds=c["elapsed"]),
            _dt(c["running_since"]),
            _dt(c["started_at"]),
        )
        clocks[clock.name] = clock
    return TicketClocks(
        ticket_id=raw["ticket_id"],
        last_version=raw["last_version"],
        category=raw["category"],
        priority=raw["priority"],
        submitted_at=_dt(raw["submitted_at"]),
        first_response_at=_dt(raw["first_response_at"]),
        waiting_on_customer=raw["waiting_on_customer"],
        resolved=raw["resolved"],
        clocks=clocks,
        fired=frozenset(raw["fired"]),
    )
