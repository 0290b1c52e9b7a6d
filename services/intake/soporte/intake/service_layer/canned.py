"""The service layer of canned replies: leads save and remove them (``CANNED_HANDLERS``); agents read them
(``views.canned_replies``) and send one with its bundled action through ``handlers.respond_as_agent``."""

from __future__ import annotations

import secrets
from typing import Any

from soporte.intake.domain import canned
from soporte.intake.domain import staff_commands as sc
from soporte.platform.clock import Clock

from .unit_of_work import UnitOfWork


async def save_canned_reply(cmd: sc.SaveCannedReply, uow: UnitOfWork, *, now: Clock, labels) -> canned.CannedReply:
    reply = canned.CannedReply(
        cmd.reply_id or "cr-" + secrets.token_hex(6), cmd.name, cmd.language, cmd.body, cmd.action, cmd.carrier
    )
    async with uow:
        if cmd.reply_id is not None and await uow.canned.get(cmd.reply_id) is None:
            raise canned.CannedReplyNotFound("no such canned reply")
        taken = await uow.canned.name_taken(reply)
        reply = canned.decide_canned_reply(cmd.actor, reply, name_taken=taken, carriers=labels.carriers)
        await uow.canned.save(reply, cmd.actor.id, now())
        await uow.commit()
    return reply


async def remove_canned_reply(cmd: sc.RemoveCannedReply, uow: UnitOfWork) -> None:
    async with uow:
        reply = canned.decide_canned_removal(cmd.actor, await uow.canned.get(cmd.reply_id))
        await uow.canned.delete(reply.reply_id)
        await uow.commit()


CANNED_HANDLERS: dict[type, Any] = {sc.SaveCannedReply: save_canned_reply, sc.RemoveCannedReply: remove_canned_reply}
