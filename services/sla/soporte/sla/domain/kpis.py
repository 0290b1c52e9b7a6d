"""First-response KPI figures: per ticket, and the rolling average and percentiles the shop publishes."""

from __future__ import annotations

from collections import OrderedDict

from soporte.events import Event


class FirstResponseKpis:
    """The business minutes each ticket waited for its first answer, over the last ``window`` tickets."""

    def __init__(self, window: int = 1000) -> None:
        self.window = window
        self.minutes_by_ticket: OrderedDict[str, float] = OrderedDict()

    def record(self, measured: Event) -> None:
        """Add a FirstResponseMeasured event (idempotent per ticket)."""
        if measured.ticket_id is None or measured.ticket_id in self.minutes_by_ticket:
            return
        self.minutes_by_ticket[measured.ticket_id] = measured.data.business_seconds / 60
        while len(self.minutes_by_ticket) > self.window:
            self.minutes_by_ticket.popitem(last=False)

    def average(self) -> float:
        values = list(self.minutes_by_ticket.values())
        return sum(values) / len(values) if values else 0.0

    def percentile(self, fraction: float) -> float:
        """Nearest-rank percentile (0 when nothing was measured yet)."""
        values = sorted(self.minutes_by_ticket.values())
        if not values:
            return 0.0
        rank = max(1, -(-int(fraction * 100) * len(values) // 100))
        return values[min(rank, len(values)) - 1]

    def summary(self) -> dict[str, float | int]:
        return {
            "tickets": len(self.minutes_by_ticket),
            "average_minutes": round(self.average(), 3),
            "p50_minutes": round(self.percentile(0.5), 3),
            "p90_minutes": round(self.percentile(0.9), 3),
        }
