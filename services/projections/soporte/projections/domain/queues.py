"""Agent queues: which tickets each view holds, the order they are served in, and opaque keyset cursors."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import UTC, datetime

from soporte.events import Category
from soporte.projections.domain.tickets import SlaState, TicketView
from soporte.ticketrules import Status

# Tickets with no running clock sort after every real due time.
NO_DUE = datetime(9999, 12, 31, tzinfo=UTC)
VIEWS = ("unassigned", "mine", "waiting", "at-risk", "all")
MAX_LIMIT = 200


class BadQuery(ValueError):
    """A query parameter that cannot be honoured; ``field`` names it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field, self.message = field, message


@dataclass(frozen=True)
class SortKey:
    """Actionable first, then the earliest SLA due time, then the oldest; the ticket id breaks ties."""

    not_actionable: int
    due_at: datetime
    created_at: datetime
    ticket_id: str

    def as_tuple(self) -> tuple:
        return (self.not_actionable, self.due_at, self.created_at, self.ticket_id)


def sort_key(actionable: bool, due_at: datetime | None, created_at: datetime, ticket_id: str) -> SortKey:
    return SortKey(0 if actionable else 1, due_at or NO_DUE, created_at, ticket_id)


def view_sort_key(view: TicketView) -> SortKey:
    """Where ``view`` stands in the queues."""
    return sort_key(view.actionable, view.sla_due_at, view.created_at, view.ticket_id)


def encode_cursor(key: SortKey) -> str:
    raw = json.dumps([key.not_actionable, key.due_at.isoformat(), key.created_at.isoformat(), key.ticket_id])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> SortKey:
    """The key a cursor stands for; a cursor not made here is a ``BadQuery`` on ``cursor``."""
    try:
        raw = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        rank, due, created, ticket_id = raw
        key = SortKey(int(rank), datetime.fromisoformat(due), datetime.fromisoformat(created), str(ticket_id))
    except (ValueError, TypeError, json.JSONDecodeError) as exc:
        raise BadQuery("cursor", "not a cursor this API gave out") from exc
    if key.due_at.tzinfo is None or key.created_at.tzinfo is None:
        raise BadQuery("cursor", "not a cursor this API gave out")
    return key


@dataclass(frozen=True)
class QueueQuery:
    """A validated queue request."""

    view: str
    agent_id: str
    limit: int = 50
    after: SortKey | None = None
    category: str | None = None
    status: str | None = None
    assignee: str | None = None
    sla_state: str | None = None


MAX_VERSION = 2**31 - 1  # a ticket's version is an int4


def whole_number(text: str, maximum: int = MAX_VERSION) -> int | None:
    """``text`` as a whole number from 0 to ``maximum``, or None (``str.isdigit`` alone takes ``²``, which ``int``
    refuses, and an unbounded number overflows a database column)."""
    if not (text.isascii() and text.isdigit()) or len(text) > 12:
        return None
    number = int(text)
    return number if number <= maximum else None


def parse_queue_query(view: str, agent_id: str, params: dict[str, str]) -> QueueQuery:
    """Validate the view and query parameters; every problem names its field."""
    errors: list[BadQuery] = []

    def choice(name: str, allowed) -> str | None:
        value = params.get(name)
        if value is not None and value not in allowed:
            errors.append(BadQuery(name, f"must be one of {', '.join(allowed)}"))
            return None
        return value

    if view not in VIEWS:
        errors.append(BadQuery("view", f"must be one of {', '.join(VIEWS)}"))
    limit = 50
    if "limit" in params:
        try:
            limit = int(params["limit"])
            if not 1 <= limit <= MAX_LIMIT:
                raise ValueError
        except ValueError:
            errors.append(BadQuery("limit", f"must be a whole number from 1 to {MAX_LIMIT}"))
    after = None
    if params.get("cursor"):
        try:
            after = decode_cursor(params["cursor"])
        except BadQuery as exc:
            errors.append(exc)
    category = choice("category", [c.value for c in Category])
    status = choice("status", [s.value for s in Status])
    sla = choice("sla_state", [s.value for s in SlaState])
    assignee = params.get("assignee") or None
    if assignee is not None and (len(assignee) > 200 or any(ord(c) < 32 for c in assignee)):
        errors.append(BadQuery("assignee", "an agent id: at most 200 characters, no control characters"))
    if errors:
        raise QueryErrors(errors)
    return QueueQuery(view, agent_id, limit, after, category, status, assignee, sla)


class QueryErrors(ValueError):
    """Several ``BadQuery`` at once (the API answers them all together)."""

    def __init__(self, errors: list[BadQuery]) -> None:
        super().__init__("; ".join(str(e) for e in errors))
        self.errors = errors
