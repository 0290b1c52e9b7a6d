"""Building ticket streams for the SLA tests (unit and integration)."""

from __future__ import annotations

from datetime import datetime

from soporte import events as ev
from soporte.events import types as t

CUSTOMER = ev.Actor(kind=ev.ActorKind.CUSTOMER, id="cust-1", name="Ana Pérez")
AGENT = ev.Actor(kind=ev.ActorKind.AGENT, id="agent-1", name="Luis")


class Stream:
    """Events of one ticket, numbered in order."""

    def __init__(self, ticket_id: str | None = None, priority: ev.Priority = ev.Priority.NORMAL) -> None:
        self.ticket_id = ticket_id or ev.new_ticket_id()
        self.priority = priority
        self.version = 0

    def _place(self, event_type, data, actor, at: datetime) -> ev.Event:
        self.version += 1
        return event_type.create(data=data, actor=actor, occurred_at=at, ticket_id=self.ticket_id, version=self.version)

    def submitted(self, at: datetime) -> ev.Event:
        return self._place(
            t.TicketSubmitted,
            t.TicketSubmittedData(
                category=ev.Category.DAMAGED_ITEM,
                description="La pantalla llegó rota",
                customer=t.CustomerRef(name="Ana Pérez", email="ana@example.com"),
                actionability=t.Actionability(actionable=True, priority=self.priority),
            ),
            CUSTOMER,
            at,
        )

    def agent_replied(self, at: datetime) -> ev.Event:
        return self._place(t.AgentReplied, t.MessageData(body="Le ayudamos"), AGENT, at)

    def customer_replied(self, at: datetime) -> ev.Event:
        return self._place(t.CustomerReplied, t.MessageData(body="Gracias"), CUSTOMER, at)

    def clarification(self, at: datetime) -> ev.Event:
        return self._place(t.ClarificationRequested, t.ClarificationRequestedData(question="¿Foto?"), AGENT, at)

    def note(self, at: datetime) -> ev.Event:
        return self._place(t.InternalNoteAdded, t.MessageData(body="nota"), AGENT, at)

    def resolved(self, at: datetime) -> ev.Event:
        return self._place(t.TicketResolved, t.TicketResolvedData(resolution="Hecho"), AGENT, at)

    def reopened(self, at: datetime) -> ev.Event:
        return self._place(t.TicketReopened, t.TicketReopenedData(reason=t.ReopenReason.CUSTOMER_REPLIED), CUSTOMER, at)
