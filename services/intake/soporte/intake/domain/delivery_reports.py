"""Delivery status notifications (RFC 3464): which mail of ours failed, for whom, and why.

Pure, no I/O. A report is ``multipart/report; report-type=delivery-status``; its
``message/delivery-status`` part holds one block of per-message fields and one
block per recipient, and the returned original (``message/rfc822``) or its
headers (``text/rfc822-headers``) name the Message-ID we sent. Only recipients
whose ``Action`` is ``failed`` are failures: a ``delayed`` report is the mail
server saying it still tries, and must not mark a ticket.
"""

from __future__ import annotations

from dataclasses import dataclass
from email import message_from_string, policy
from email.message import Message

REPORT_TYPE = "delivery-status"
_ORIGINAL_PARTS = ("message/rfc822", "message/global")
_ORIGINAL_HEADER_PARTS = ("text/rfc822-headers", "message/global-headers")


@dataclass(frozen=True)
class RecipientStatus:
    """One recipient's line of a report: ``action`` is failed, delayed, delivered, relayed or expanded."""

    recipient: str
    action: str
    status: str  # the enhanced status code, e.g. "5.1.1"
    diagnostic: str  # the remote server's words, e.g. "smtp; 550 5.1.1 <ana@example.com>: user unknown"


@dataclass(frozen=True)
class DeliveryReport:
    original_message_id: str | None
    recipients: tuple[RecipientStatus, ...]

    @property
    def failures(self) -> tuple[RecipientStatus, ...]:
        return tuple(r for r in self.recipients if r.action == "failed")


def parse_delivery_report(message: Message) -> DeliveryReport | None:
    """The report ``message`` carries, or None when it is not a delivery status notification."""
    if message.get_content_type() != "multipart/report":
        return None
    if (message.get_param("report-type") or "").lower() != REPORT_TYPE:
        return None
    recipients: list[RecipientStatus] = []
    original_id = None
    parts = message.get_payload()
    for part in parts if isinstance(parts, list) else []:
        content_type = part.get_content_type()
        if content_type in ("message/delivery-status", "message/global-delivery-status"):
            recipients += [status for block in _blocks(part) if (status := _recipient_status(block))]
        elif content_type in _ORIGINAL_PARTS and original_id is None:
            original = part.get_payload()
            original = original[0] if isinstance(original, list) and original else original
            if isinstance(original, Message):
                original_id = message_id_of(original.get("Message-ID"))
        elif content_type in _ORIGINAL_HEADER_PARTS and original_id is None:
            headers = message_from_string(_text_of(part), policy=policy.compat32)
            original_id = message_id_of(headers.get("Message-ID"))
    return DeliveryReport(original_id, tuple(recipients))


def message_id_of(value: object) -> str | None:
    """A Message-ID without its angle brackets and folding whitespace, or None."""
    if value is None:
        return None
    text = "".join(str(value).split())
    if text.startswith("<") and ">" in text:
        text = text[1 : text.index(">")]
    return text or None


def _blocks(part: Message) -> list[Message]:
    """The field blocks of a delivery-status part (the parser makes each block a headers-only message)."""
    payload = part.get_payload()
    if isinstance(payload, list):
        return [block for block in payload if isinstance(block, Message)]
    # A part the parser left as text (e.g. a transfer encoding on it): read the blocks ourselves.
    return [message_from_string(block, policy=policy.compat32) for block in _text_of(part).split("\n\n")]


def _recipient_status(block: Message) -> RecipientStatus | None:
    recipient = block.get("Final-Recipient") or block.get("Original-Recipient")
    if not recipient:
        return None  # the per-message block
    return RecipientStatus(
        recipient=_address_of(str(recipient)),
        action=" ".join(str(block.get("Action", "")).split()).lower(),
        status=" ".join(str(block.get("Status", "")).split()),
        diagnostic=" ".join(str(block.get("Diagnostic-Code", "")).split()),
    )


def _address_of(field: str) -> str:
    """``rfc822; ana@example.com`` → ``ana@example.com``."""
    _, _, address = field.rpartition(";")
    return address.strip().strip("<>").lower()


def _text_of(part: Message) -> str:
    payload = part.get_payload(decode=True)
    if isinstance(payload, bytes):
        return payload.decode("utf-8", errors="replace").replace("\r\n", "\n")
    return str(part.get_payload()).replace("\r\n", "\n")
