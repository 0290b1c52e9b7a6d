"""Topic names, partition counts and configs: defined once, created idempotently at start."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class TopicSpec:
    """A Kafka topic as Soporte wants it."""

    base_name: str
    partitions: int
    config: dict[str, str] = field(default_factory=dict)

    def name(self, prefix: str = "") -> str:
        """The real topic name; a prefix isolates tests or tenants on one broker."""
        return f"{prefix}{self.base_name}"


_KEEP_FOREVER = {"retention.ms": "-1", "retention.bytes": "-1"}

TICKET_EVENTS = TopicSpec("tickets.events.v1", 6, dict(_KEEP_FOREVER))
SLA_ESCALATIONS = TopicSpec("tickets.sla.escalations.v1", 3, dict(_KEEP_FOREVER))
SLA_KPIS = TopicSpec("tickets.sla.kpis.v1", 3, dict(_KEEP_FOREVER))
SLA_REPORTS = TopicSpec("tickets.sla.reports.v1", 1, dict(_KEEP_FOREVER))
SHOP_ORDERS = TopicSpec("shop.orders.v1", 3, dict(_KEEP_FOREVER))
NOTIFICATION_OUTCOMES = TopicSpec("notifications.outcomes.v1", 3, dict(_KEEP_FOREVER))
DEAD_LETTERS = TopicSpec("tickets.deadletter.v1", 1, dict(_KEEP_FOREVER))

ALL_TOPICS: tuple[TopicSpec, ...] = (
    TICKET_EVENTS,
    SLA_ESCALATIONS,
    SLA_KPIS,
    SLA_REPORTS,
    SHOP_ORDERS,
    NOTIFICATION_OUTCOMES,
    DEAD_LETTERS,
)
