"""Canned replies (pure): saved answers, per language, that leads manage and agents insert into the reply box.

A canned reply names only the known placeholders (``soporte.ticketrules.PLACEHOLDERS``,
filled by the console from the ticket when it is inserted, so the agent reads what
the customer will). It may bundle one action that goes with the answer: a return
label issued before it, or the ticket resolved after it. Sent with its reply, the
bundle is one decision: the events of both are appended in one commit, so the
customer never gets the label without the words that explain it, nor the other way.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, replace
from enum import StrEnum

from soporte.events import Actor, AttachmentRef, Language
from soporte.events import types as t
from soporte.ticketrules import Status, unknown_placeholders

from .staff import StaffActor, require_manager
from .tickets import (
    Decision,
    DomainError,
    TicketState,
    UnacceptableValue,
    decide_agent_reply,
    decide_resolve,
    decide_return_label,
)


class BundledAction(StrEnum):
    RETURN_LABEL = "return_label"  # a free return label, then the reply
    RESOLVE = "resolve"  # the reply, then the ticket resolved


class CannedReplyNotFound(DomainError):
    """No such canned reply."""


@dataclass(frozen=True)
class CannedReply:
    reply_id: str
    name: str
    language: Language
    body: str
    action: BundledAction | None = None
    carrier: str | None = None  # the return label's carrier


def decide_canned_reply(
    actor: StaffActor, reply: CannedReply, *, name_taken: bool, carriers: Collection[str]
) -> CannedReply:
    """A canned reply a lead saves (new or changed): a unique name in its language, only known placeholders, and a
    bundled return label with one of the desk's carriers."""
    require_manager(actor)
    reply = replace(reply, name=" ".join(reply.name.split()), body=reply.body.strip())
    if not reply.name:
        raise UnacceptableValue("name", "a canned reply needs a name")
    if name_taken:
        raise UnacceptableValue("name", "another canned reply in this language has that name")
    if not reply.body:
        raise UnacceptableValue("body", "a canned reply needs words")
    if unknown := unknown_placeholders(reply.body):
        raise UnacceptableValue("body", "unknown placeholders: " + ", ".join("{" + name + "}" for name in unknown))
    if reply.action is BundledAction.RETURN_LABEL:
        if not reply.carrier or (carriers and reply.carrier not in carriers):
            raise UnacceptableValue("carrier", "a return label needs one of the desk's carriers")
        return reply
    return replace(reply, carrier=None)


def decide_canned_removal(actor: StaffActor, reply: CannedReply | None) -> CannedReply:
    require_manager(actor)
    if reply is None:
        raise CannedReplyNotFound("no such canned reply")
    return reply


def decide_response(
    state: TicketState,
    body: str,
    attachments: list[AttachmentRef],
    actor: Actor,
    *,
    bundled: BundledAction | None = None,
    label: t.ReturnLabelIssuedData | None = None,
    carriers: Collection[str] = (),
) -> Decision:
    """An agent's public response, with what its canned reply bundles: a ``label`` before it, or resolving after."""
    reply = decide_agent_reply(state, body, attachments, actor)
    if bundled is BundledAction.RETURN_LABEL:
        if label is None:
            raise ValueError("a bundled return label must be printed before the decision")
        return decide_return_label(state, label, actor, carriers=carriers) + reply
    if bundled is BundledAction.RESOLVE:
        # After the reply the ticket is open (decide_agent_reply refused a resolved one).
        return reply + decide_resolve(replace(state, status=Status.OPEN), "", actor)
    return reply
