"""The service layer: run a command against the ticket rebuilt from its events, append what it decides.

Thin and I/O-aware (store, clock); the decisions themselves live in ``domain``.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from soporte.events import Actor, Event
from soporte.intake.adapters.store import ConcurrencyConflict, EventStore, StoredResponse
from soporte.intake.domain.tickets import Decision, TicketState, rebuild


@dataclass(frozen=True)
class CommandResult:
    status: int
    body: dict


class TicketService:
    def __init__(self, store: EventStore, now: Callable[[], datetime]) -> None:
        self.store, self.now = store, now

    async def state(self, ticket_id: str) -> TicketState:
        return rebuild(ticket_id, await self.store.load(ticket_id))

    async def execute(
        self,
        ticket_id: str,
        actor: Actor,
        decide: Callable[[TicketState], Decision],
        *,
        expected_version: int | None = None,
        idempotency: tuple[str, str] | None = None,
        respond: Callable[[TicketState, list[Event]], CommandResult] | None = None,
        correlation_id: str | None = None,
        state: TicketState | None = None,
    ) -> CommandResult:
        """Decide against the current state and append; a stale ``expected_version`` is a conflict."""
        if idempotency and (stored := await self.store.stored_response(*idempotency)):
            return CommandResult(stored.status, stored.body)
        state = state or await self.state(ticket_id)
        if expected_version is not None and expected_version != state.version:
            raise ConcurrencyConflict(ticket_id, expected_version, state.version)
        decision = decide(state)
        now = self.now()
        correlation = uuid.UUID(correlation_id) if correlation_id and _is_uuid(correlation_id) else uuid.uuid4()
        events = [
            event_type.create(
                data=data,
                actor=actor,
                occurred_at=now,
                ticket_id=ticket_id,
                version=state.version + i + 1,
                correlation_id=correlation,
            )
            for i, (event_type, data) in enumerate(decision)
        ]
        result = (respond or _default_response)(state, events)
        if not events:
            return result
        try:
            await self.store.append(
                ticket_id,
                state.version,
                events,
                idempotency=idempotency,
                response=StoredResponse(result.status, result.body),
            )
        except ConcurrencyConflict:
            # The same key raced us: answer what the first request answered.
            if idempotency and (stored := await self.store.stored_response(*idempotency)):
                return CommandResult(stored.status, stored.body)
            raise
        return result


def _default_response(state: TicketState, events: list[Event]) -> CommandResult:
    version = events[-1].version if events else state.version
    return CommandResult(201 if events else 200, {"ticket_id": state.ticket_id, "version": version})


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
        return True
    except ValueError:
        return False
