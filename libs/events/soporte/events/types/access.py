"""Requests for links to one's tickets (on ``tickets.events.v1``, keyed by the address, in no ticket's stream).

An ``AccessLinkRequested`` carries neither ``ticket_id`` nor ``version``: the
ticket readers (SLA, projections) pass it over as they pass over every event
outside a ticket's stream; the notifier mails the links.
"""

from __future__ import annotations

from typing import Literal

from pydantic import EmailStr, Field

from ..envelope import Event, Frozen, Language


class AccessLinkRequestedData(Frozen):
    email: EmailStr = Field(description="where the links go")
    language: Language = Language.ES
    ticket_id: str | None = Field(
        default=None,
        max_length=64,
        description="a fresh link for this ticket only (its own address); else links to every open or recent "
        "ticket of the address",
    )


class AccessLinkRequested(Event):
    """Someone asked the desk to mail links to the tickets of an address (or a fresh link to one ticket)."""

    type: Literal["AccessLinkRequested"] = "AccessLinkRequested"
    data: AccessLinkRequestedData
