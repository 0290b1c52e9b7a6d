"""The SLA engine driven the way the worker drives it (events in, timers up to an instant), without faust."""

from __future__ import annotations

from datetime import datetime

from soporte.businesstime import BusinessCalendar
from soporte.sla.domain.engine import SlaEngine
from soporte.ticketrules import SlaPolicies, SlaRules, load_policies

PARTITION = 0


class Worker:
    """``apply(event)`` and ``due(up_to)`` return what the worker would publish; ``published`` keeps it all."""

    def __init__(self, calendar: BusinessCalendar | None = None, policies: SlaPolicies | None = None) -> None:
        self.engine = SlaEngine(SlaRules(calendar or BusinessCalendar.always_open(), policies or load_policies()))
        self.published: list = []

    def apply(self, event) -> list:
        record, out = self.engine.apply(self.engine.record(event.ticket_id), event, PARTITION)
        self.engine.hold(record.with_raised(out), PARTITION)
        self.published += out
        return out

    def due(self, up_to: datetime) -> list:
        out = []
        for ticket_id in self.engine.due_tickets(PARTITION, up_to):
            record = self.engine.record(ticket_id)
            raised = self.engine.escalations_due(record, up_to)
            self.engine.hold(record.with_raised(raised), PARTITION)
            out += raised
        self.published += out
        return out
