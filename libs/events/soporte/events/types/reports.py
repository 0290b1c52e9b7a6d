"""What the desk's reports publish (``tickets.sla.reports.v1``): the figures of a week against the promise."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import AwareDatetime, Field

from ..envelope import Category, Event, Frozen

# --- reports -----------------------------------------------------------------


class WorstTicket(Frozen):
    """A ticket of the week that missed a deadline or waited longest for its first answer."""

    ticket_id: str
    category: Category
    created_at: AwareDatetime
    first_response_business_seconds: int | None = Field(default=None, ge=0, description="None: not answered yet")
    breaches: int = Field(ge=0)


class SlaWeekSummarizedData(Frozen):
    week: str = Field(pattern=r"^\d{4}-W\d{2}$", description="the ISO week, in the desk's timezone: 2026-W11")
    first_day: dt.date = Field(description="its Monday")
    last_day: dt.date = Field(description="its Sunday")
    time_zone: str = Field(description="the desk's (IANA)")
    target_first_response_seconds: int = Field(ge=0, description="the promise: the average first response")
    tickets: int = Field(ge=0, description="opened in the week with a first-response clock")
    opened_by_agents: int = Field(ge=0, description="opened during a call or chat: not in the average")
    first_responses: int = Field(ge=0, description="first responses measured")
    first_response_seconds: int = Field(ge=0, description="their business seconds, added up")
    answered_in_time: int = Field(ge=0)
    attention_met: int = Field(ge=0)
    attention_missed: int = Field(ge=0)
    warnings: int = Field(ge=0, description="raised in the week")
    breaches: int = Field(ge=0, description="raised in the week")
    worst: list[WorstTicket] = Field(default_factory=list, max_length=10)


class SlaWeekSummarized(Event):
    """A desk week's SLA figures, once the week is over. ``event_id`` is derived from the week."""

    type: Literal["SlaWeekSummarized"] = "SlaWeekSummarized"
    data: SlaWeekSummarizedData
