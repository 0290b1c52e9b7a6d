"""Due-time heap: which ticket needs a look next, without scanning every open ticket each tick."""

from __future__ import annotations

import heapq
from datetime import datetime


class DueHeap:
    """Tickets keyed by their next due time; stale entries are skipped lazily."""

    def __init__(self) -> None:
        self._heap: list[tuple[datetime, str]] = []
        self._next: dict[str, datetime] = {}

    def schedule(self, ticket_id: str, due_at: datetime | None) -> None:
        """Look at ``ticket_id`` at ``due_at`` (None: nothing pending)."""
        if due_at is None:
            self._next.pop(ticket_id, None)
            return
        self._next[ticket_id] = due_at
        heapq.heappush(self._heap, (due_at, ticket_id))

    def pop_due(self, now: datetime) -> list[str]:
        """Tickets whose scheduled time has come (each once)."""
        due = []
        while self._heap and self._heap[0][0] <= now:
            at, ticket_id = heapq.heappop(self._heap)
            if self._next.get(ticket_id) == at:
                del self._next[ticket_id]
                due.append(ticket_id)
        return due

    def clear(self) -> None:
        self._heap.clear()
        self._next.clear()

    def __len__(self) -> int:
        return len(self._next)
