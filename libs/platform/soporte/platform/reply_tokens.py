"""Reply tokens: a ticket id and a truncated HMAC in lowercase letters and digits, for ``soporte+<token>@domain``,
and the Message-IDs of the desk's mails, which carry the same token so a reply's In-Reply-To names its ticket.

A mail's ``Reply-To`` carries the token in the local part, so it must survive
what mail servers do to local parts (some lower-case them) and be safe in a URL:
only ``[0-9a-z]``. ``sign_reply_token`` gives the ticket's ten characters
(Crockford base32 for new ids), lower-cased, followed by 16 base32 characters (80 bits) of
HMAC-SHA256 under the desk secret, so only the desk can make one and a guessed
or altered token is refused. The same ticket always gets the same token (no
expiry): a customer may answer a mail months later, and a token only lets mail
reach a ticket's thread as the customer's reply, which still needs a sender the
desk accepts.

A notification's Message-ID is ``<n.{notification id}.{token}@{domain}>``:
stable (a resend after a crash is recognisably the same mail) and, through the
token, mapped back to its ticket by whoever holds the desk secret, without a
table shared between the notifier and intake.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re

from .tokens import InvalidToken

# New ids are Crockford base32 (``new_ticket_id``); any ten capitals or digits read back the same once upper-cased.
_TICKET_ID = re.compile(r"^T-[0-9A-Z]{10}$")
_TOKEN = re.compile(r"^[0-9a-z]{10}[a-z2-7]{16}$")
_MAC_CHARS = 16
_PURPOSE = b"soporte reply token v1:"  # keeps these MACs apart from any other use of the desk secret


def sign_reply_token(ticket_id: str, secret: str | bytes) -> str:
    """The reply token of ``ticket_id`` (``T-`` and ten capitals or digits)."""
    if not _TICKET_ID.match(ticket_id):
        raise ValueError(f"not a ticket id: {ticket_id!r}")
    return ticket_id[2:].lower() + _mac(ticket_id, secret)


def verify_reply_token(token: str, secret: str | bytes) -> str:
    """The ticket id a genuine token names; ``InvalidToken`` for anything else (any letter case is accepted)."""
    token = token.strip().lower()
    if not _TOKEN.match(token):
        raise InvalidToken("malformed reply token")
    ticket_id = "T-" + token[:10].upper()
    if not hmac.compare_digest(token[10:], _mac(ticket_id, secret)):
        raise InvalidToken("bad signature")
    return ticket_id


def _mac(ticket_id: str, secret: str | bytes) -> str:
    key = secret.encode() if isinstance(secret, str) else secret
    digest = hmac.new(key, _PURPOSE + ticket_id.encode(), hashlib.sha256).digest()
    return base64.b32encode(digest).decode().lower()[:_MAC_CHARS]


def notification_message_id(notification_id: str, ticket_id: str | None, secret: str | bytes, domain: str) -> str:
    """The Message-ID (with its angle brackets) of the mail of ``notification_id``, naming its ticket if any."""
    token = f".{sign_reply_token(ticket_id, secret)}" if ticket_id else ""
    return f"<n.{notification_id}{token}@{domain}>"


def ticket_of_message_id(message_id: str, secret: str | bytes) -> str | None:
    """The ticket a Message-ID of the desk's names (``notification_message_id``), or None for any other."""
    local, _, _ = message_id.strip().strip("<>").rpartition("@")
    parts = local.split(".")
    if len(parts) != 3 or parts[0] != "n":
        return None
    try:
        return verify_reply_token(parts[2], secret)
    except InvalidToken:
        return None
