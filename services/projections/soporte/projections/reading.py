"""Where the read models are read from: the source topics, and the reader settings of the live reader and a rebuild."""

from __future__ import annotations

from soporte.events import DEAD_LETTERS, NOTIFICATION_OUTCOMES, SLA_ESCALATIONS, SLA_KPIS, TICKET_EVENTS
from soporte.platform.projection import ReaderSettings
from soporte.projections.settings import ProjectionsSettings


def source_topics(prefix: str) -> list[str]:
    """The topics the read models are built from."""
    return [spec.name(prefix) for spec in (TICKET_EVENTS, SLA_ESCALATIONS, SLA_KPIS, NOTIFICATION_OUTCOMES)]


def reader_settings(settings: ProjectionsSettings, *, group_id: str | None) -> ReaderSettings:
    """Where the live reader (in the service's consumer group) and a rebuild (no group) read."""
    return ReaderSettings(
        bootstrap=settings.kafka_bootstrap,
        topics=source_topics(settings.topic_prefix),
        dead_letter_topic=DEAD_LETTERS.name(settings.topic_prefix),
        group_id=group_id,
    )
