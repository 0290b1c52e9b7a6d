"""Reads the edge answers without a command: what a requester may see of a ticket."""

from __future__ import annotations

from datetime import datetime

from soporte.events import AttachmentRef, Language, files_of
from soporte.intake.adapters.agents import AccountSummary
from soporte.intake.domain.canned import CannedReply
from soporte.intake.domain.commands import IdempotencyKey, Outcome
from soporte.intake.domain.staff import StaffActor, require_manager
from soporte.intake.domain.tickets import TicketAccess, rebuild

from .unit_of_work import UnitOfWork


async def attachment(uow: UnitOfWork, ticket_id: str, sha256: str, access: TicketAccess) -> AttachmentRef | None:
    """The reference of a file the ticket holds, if ``access`` reaches the ticket (None otherwise, alike)."""
    async with uow:
        events = await uow.events.load(ticket_id)
    if not access.allows(rebuild(ticket_id, events)):
        return None
    return next((a for e in events for a in files_of(e) if a.sha256 == sha256), None)


async def links_revoked_at(uow: UnitOfWork, ticket_id: str) -> datetime | None:
    """When an agent last revoked the ticket's links (None: never, or no such ticket)."""
    async with uow:
        return rebuild(ticket_id, await uow.events.load(ticket_id)).links_revoked_at


async def unpublished_since(uow: UnitOfWork) -> datetime | None:
    """When the oldest ticket event not yet on Kafka occurred (None: all are): what happened before it is published,
    so the SLA worker's timers may run up to it and never outrun an answer still waiting in the outbox."""
    async with uow:
        return await uow.events.unpublished_since()


async def file_is_referenced(uow: UnitOfWork, sha256: str) -> bool:
    """Whether a committed event refers to the file (a failed request must not remove it then)."""
    async with uow:
        return await uow.events.references_file(sha256)


async def stored_outcome(uow: UnitOfWork, key: IdempotencyKey) -> Outcome | None:
    """What a command sent with ``key`` got, if one was committed (mail-in: was this mail accepted before?)."""
    async with uow:
        return await uow.outcomes.get(key)


async def accounts(uow: UnitOfWork, actor: StaffActor) -> list[AccountSummary]:
    """Every staff account with its last sign-in and API tokens, for those who manage them (leads)."""
    require_manager(actor)
    async with uow:
        return await uow.agents.summaries()


async def canned_replies(uow: UnitOfWork, language: Language | None, name: str = "") -> list[CannedReply]:
    """The canned replies of a language (all without one) whose name holds ``name``, by name."""
    async with uow:
        return await uow.canned.find(language, name)
