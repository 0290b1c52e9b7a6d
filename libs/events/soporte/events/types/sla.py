"""What the SLA worker publishes: escalations (``tickets.sla.escalations.v1``) and KPIs."""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime, Field

from ..envelope import Category, Event, Frozen, Priority
from .tickets import SlaClock

# --- SLA ---------------------------------------------------------------------


class EscalationData(Frozen):
    clock: SlaClock
    level: int = Field(ge=1, description="1 = warning level, higher = further up")
    deadline: AwareDatetime
    target_seconds: int = Field(ge=0)
    elapsed_seconds: int = Field(ge=0, description="business seconds for business clocks, else wall-clock")
    notify: list[str] = Field(default_factory=list, description="who must act: roles or addresses")
    category: Category | None = None
    priority: Priority | None = None


class SlaWarning(Event):
    """A clock passed its warning fraction. ``event_id`` is derived (ticket, clock, level, deadline)."""

    type: Literal["SlaWarning"] = "SlaWarning"
    data: EscalationData


class SlaBreached(Event):
    """A clock passed its target. ``event_id`` is derived (ticket, clock, level, deadline)."""

    type: Literal["SlaBreached"] = "SlaBreached"
    data: EscalationData


class FirstResponseMeasuredData(Frozen):
    submitted_at: AwareDatetime
    responded_at: AwareDatetime
    business_seconds: int = Field(ge=0)
    category: Category | None = None


class FirstResponseMeasured(Event):
    """KPI: how long a ticket waited for its first agent response, in business time."""

    type: Literal["FirstResponseMeasured"] = "FirstResponseMeasured"
    data: FirstResponseMeasuredData
