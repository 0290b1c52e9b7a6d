"""A raw RFC 5322 message (bytes) read into an ``InboundMail``: who, to whom, about what, the new words, the files.

Pure, no I/O. What it guarantees:

- ``parse_mail`` never raises on what a mail server hands over: it reads with
  the lenient ``compat32`` parser and decodes headers itself (RFC 2047 words,
  folding), so a malformed header costs that header, not the mail.
- Header values are single lines without CR, LF or NUL (python/cpython#121650):
  nothing read here can start a header in a mail the desk sends later.
- The text is the reply's new words (``mail_text.cut_reply``); ``full_text``
  keeps everything, for a mail whose new words could not be told apart.
- Every part that is not the body, or another rendering of it, is an
  ``Attachment`` with its bytes: files, inline images (``inline=True``), a
  forwarded message. Their names are shown as given; intake judges the bytes.
- ``dedupe_key`` is the Message-ID, or, for a mail without one, a hash of its
  bytes: the same mail delivered twice has the same key.
"""

from __future__ import annotations

import hashlib
import mimetypes
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.header import decode_header, make_header
from email.message import Message
from email.utils import getaddresses, parsedate_to_datetime
from enum import StrEnum

from .delivery_reports import DeliveryReport, message_id_of, parse_delivery_report
from .mail_text import cut_reply, decode_text, html_charset, html_to_text, unflow

_RECIPIENT_HEADERS = ("to", "cc", "delivered-to", "x-original-to", "envelope-to")


@dataclass(frozen=True)
class Envelope:
    """What the SMTP transaction said (MAIL FROM, RCPT TO); empty for a mail fetched from a mailbox."""

    sender: str | None = None
    recipients: tuple[str, ...] = ()


class Outcome(StrEnum):
    ACCEPTED = "accepted"  # its events are committed
    DUPLICATE = "duplicate"  # the same mail was accepted before: nothing new
    DROPPED = "dropped"  # noise, a loop or over the sender's limit: logged, never answered


@dataclass(frozen=True)
class Verdict:
    """What became of a mail; any verdict means the mail may be acknowledged (SMTP 250, IMAP flag or move)."""

    outcome: Outcome
    reason: str = ""
    ticket_id: str | None = None


# The pipeline both listeners feed: returns once the mail's fate is committed, raises when it cannot be now.
Accept = Callable[[bytes, "Envelope"], Awaitable[Verdict]]


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str  # as the sender declared it; intake judges the bytes
    data: bytes = field(repr=False)
    inline: bool = False
    content_id: str | None = None


@dataclass(frozen=True)
class InboundMail:
    message_id: str | None
    in_reply_to: tuple[str, ...]
    references: tuple[str, ...]
    sender: str  # the From address, lower-cased ("" when there is none)
    sender_name: str
    envelope_sender: str | None  # MAIL FROM or Return-Path; "" for a bounce (the null sender)
    recipients: tuple[str, ...]  # envelope recipients first, then To, Cc, Delivered-To, X-Original-To
    subject: str
    date: datetime | None
    text: str
    full_text: str
    attachments: tuple[Attachment, ...]
    headers: tuple[tuple[str, str], ...] = field(repr=False)  # (lower-cased name, decoded value), in order
    delivery_report: DeliveryReport | None = None
    raw_sha256: str = ""

    def header(self, name: str) -> str | None:
        """The first value of header ``name`` (any case), or None."""
        name = name.lower()
        return next((value for key, value in self.headers if key == name), None)

    @property
    def dedupe_key(self) -> str:
        return self.message_id or f"sha256:{self.raw_sha256}"


def parse_mail(raw: bytes, envelope: Envelope | None = None) -> InboundMail:
    """Read ``raw`` (as the listener or the mailbox gave it) into an ``InboundMail``."""
    envelope = envelope or Envelope()
    message = message_from_bytes(raw, policy=policy.compat32)
    raw_headers = [(name.lower(), str(value)) for name, value in message.raw_items()]
    headers = tuple((name, decode_header_value(value)) for name, value in raw_headers)

    def first(name: str) -> str | None:
        return next((value for key, value in headers if key == name), None)

    def addresses(*names: str) -> list[tuple[str, str]]:
        # Split the raw header, then decode: a display name may decode to "García, Ana".
        found = getaddresses([value for key, value in raw_headers if key in names])
        return [(decode_header_value(n), decode_header_value(a).lower()) for n, a in found if a.strip()]

    senders = addresses("from")
    sender_name, sender = senders[0] if senders else ("", "")
    recipients = [a.strip().lower() for a in envelope.recipients]
    recipients += [a for _, a in addresses(*_RECIPIENT_HEADERS)]
    envelope_sender = envelope.sender
    if envelope_sender is None and (return_path := first("return-path")) is not None:
        envelope_sender = (getaddresses([return_path])[0][1] or "") if return_path.strip("<> ") else ""
    report = parse_delivery_report(message)
    body_parts, full_text = _body(message)
    return InboundMail(
        message_id=message_id_of(first("message-id")),
        in_reply_to=_ids(first("in-reply-to")),
        references=_ids(" ".join(value for key, value in headers if key == "references")),
        sender=sender.strip().lower(),
        sender_name=sender_name.strip(),
        envelope_sender=envelope_sender.strip().lower() if envelope_sender is not None else None,
        recipients=tuple(dict.fromkeys(r for r in recipients if r)),
        subject=first("subject") or "",
        date=_date(first("date")),
        text=cut_reply(full_text) or full_text,
        full_text=full_text,
        attachments=() if report else tuple(_attachments(message, body_parts)),
        headers=headers,
        delivery_report=report,
        raw_sha256=hashlib.sha256(raw).hexdigest(),
    )


def decode_header_value(value: object) -> str:
    """A header as one line of text: encoded words decoded, folding, CR, LF and NUL gone (cpython #121650)."""
    text = str(value)
    if any("\udc80" <= c <= "\udcff" for c in text):
        # 8-bit bytes in a header (RFC 6532 UTF-8, or a client's own charset) arrive as surrogates from compat32.
        text = decode_text(text.encode("utf-8", "surrogateescape"), None)
    try:
        text = str(make_header(decode_header(text)))
    except (ValueError, LookupError, UnicodeError, AssertionError):
        pass  # an encoded word the sender got wrong: keep the raw text
    return " ".join(text.replace("\x00", " ").split())


def _ids(value: str | None) -> tuple[str, ...]:
    """The Message-IDs in an In-Reply-To or References header, in order."""
    if not value:
        return ()
    found = []
    for chunk in value.replace(">", "> ").split():
        if chunk.startswith("<") and chunk.endswith(">") and len(chunk) > 2:
            found.append(chunk[1:-1])
    return tuple(dict.fromkeys(found))


def _date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _leaves(part: Message) -> list[Message]:
    """The parts that hold content, in order; an attached message is one leaf (never opened)."""
    if part.get_content_maintype() == "multipart" and isinstance(part.get_payload(), list):
        return [leaf for sub in part.get_payload() for leaf in _leaves(sub)]
    return [part]


def _is_attachment(part: Message) -> bool:
    return part.get_content_disposition() == "attachment" or part.get_filename() is not None


def _body(message: Message) -> tuple[set[int], str]:
    """Which parts make the body (by id) and its text: plain parts, else HTML made text."""
    texts = [p for p in _leaves(message) if p.get_content_maintype() == "text" and not _is_attachment(p)]
    plain = [p for p in texts if p.get_content_subtype() == "plain"]
    html = [p for p in texts if p.get_content_subtype() == "html"]
    if plain:
        text = "\n\n".join(filter(None, (_part_text(p).strip() for p in plain)))
    elif html:
        text = "\n\n".join(filter(None, (html_to_text(_part_text(p)) for p in html)))
    else:
        text = ""
    # The HTML rendering of a plain body (and any other text part of the body) is not a file the customer sent.
    return {id(p) for p in texts if p.get_content_subtype() in ("plain", "html")}, text.replace("\r\n", "\n")


def _part_text(part: Message) -> str:
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return str(part.get_payload() or "")
    charset = part.get_content_charset()
    if charset is None and part.get_content_subtype() == "html":
        charset = html_charset(payload)
    text = decode_text(payload, charset)
    if part.get_content_subtype() == "plain" and str(part.get_param("format") or "").lower() == "flowed":
        text = unflow(text, delsp=str(part.get_param("delsp") or "").lower() == "yes")
    return text


def _attachments(message: Message, body_parts: set[int]) -> list[Attachment]:
    found = []
    for number, part in enumerate(_leaves(message), start=1):
        if id(part) in body_parts:
            continue
        content_type = part.get_content_type()
        if part.get_content_maintype() == "message":
            inner = part.get_payload()
            inner = inner[0] if isinstance(inner, list) and inner else inner
            data = inner.as_bytes() if isinstance(inner, Message) else str(inner).encode()
        else:
            payload = part.get_payload(decode=True)
            data = payload if isinstance(payload, bytes) else b""
        content_id = message_id_of(part.get("Content-ID"))
        inline = part.get_content_disposition() != "attachment" and (
            content_id is not None or part.get_content_disposition() == "inline"
        )
        filename = part.get_filename()
        filename = decode_header_value(filename) if filename else _fallback_name(content_type, inline, number)
        found.append(Attachment(filename, content_type, data, inline, content_id))
    return found


def _fallback_name(content_type: str, inline: bool, number: int) -> str:
    extension = ".eml" if content_type == "message/rfc822" else mimetypes.guess_extension(content_type) or ".bin"
    return f"{'inline' if inline else 'attachment'}-{number}{extension}"
