"""What the notifier publishes about each mail (``notifications.outcomes.v1``)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from ..envelope import Event, Frozen

# --- notifications -----------------------------------------------------------


class NotificationOutcomeData(Frozen):
    notification_id: str
    kind: str
    recipient: str
    source_event_id: str
    attempts: int = Field(ge=1)
    reason: str | None = None


class NotificationSent(Event):
    type: Literal["NotificationSent"] = "NotificationSent"
    data: NotificationOutcomeData


class NotificationFailed(Event):
    type: Literal["NotificationFailed"] = "NotificationFailed"
    data: NotificationOutcomeData
