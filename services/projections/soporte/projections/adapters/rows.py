"""Read-model rows and the domain's frozen dataclasses, one mapping each way: the writer and the queries agree.

Dataclasses whose fields are named and ordered like their table's columns
(thread, timeline, escalations, KPIs, mail outcomes) map field for field; the
tickets row adds what only the table needs (the rules' clock state, the sort
columns). Read back, uuids become text and JSON arrays tuples, so a row read
is equal to the dataclass written.
"""

from __future__ import annotations

import uuid
from dataclasses import fields
from datetime import datetime
from typing import Any, TypeVar

from soporte.projections.domain.projection import StoredTicket
from soporte.projections.domain.queues import NO_DUE
from soporte.projections.domain.tickets import SlaState, TicketView
from soporte.ticketrules import Status, TicketClocks

T = TypeVar("T")

_VIEW_FIELDS = tuple(f.name for f in fields(TicketView))
# What the tickets table holds beyond the view: the rules' state and the queue's sort columns.
TICKET_COLUMNS = (*_VIEW_FIELDS, "not_actionable", "clocks", "sla_due_at", "sort_due")


def columns_of(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in fields(cls))


def row_of(item: Any) -> tuple:
    """A dataclass's values in column order (for ``INSERT ... VALUES``)."""
    return tuple(getattr(item, name) for name in columns_of(type(item)))


def _plain(value: Any) -> Any:
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, list):
        return tuple(value)
    return value


def from_record(cls: type[T], record: Any) -> T:
    """A dataclass from a row that has (at least) its columns."""
    return cls(**{name: _plain(record[name]) for name in columns_of(cls)})


def ticket_row(stored: StoredTicket) -> tuple:
    """The tickets row of ``stored``, in ``TICKET_COLUMNS`` order."""
    view = stored.view
    values = {name: getattr(view, name) for name in _VIEW_FIELDS}
    values.update(
        missing=list(view.missing),
        status=view.status.value,
        due_times={kind: due.isoformat() for kind, due in view.due_times.items()},
        sla_state=view.sla_state.value,
        not_actionable=0 if view.actionable else 1,  # actionable tickets are served first
        clocks=stored.clocks.as_json(),
        sla_due_at=view.sla_due_at,
        sort_due=view.sla_due_at or NO_DUE,
    )
    return tuple(values[name] for name in TICKET_COLUMNS)


def ticket_from_record(record: Any) -> TicketView:
    values = {name: _plain(record[name]) for name in _VIEW_FIELDS}
    values.update(
        status=Status(values["status"]),
        sla_state=SlaState(values["sla_state"]),
        due_times={kind: datetime.fromisoformat(due) for kind, due in values["due_times"].items()},
    )
    return TicketView(**values)


def stored_ticket_from_record(record: Any) -> StoredTicket:
    return StoredTicket(ticket_from_record(record), TicketClocks.from_json(record["clocks"]))
