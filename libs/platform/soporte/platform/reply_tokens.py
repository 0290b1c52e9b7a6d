"""Reply tokens: a ticket id and a truncated HMAC in lowercase letters and digits, for ``soporte+<token>@domain``.

A mail's ``Reply-To`` carries the token in the local part, so it must survive
what mail servers do to local parts (some lower-case them) and be safe in a URL:
only ``[0-9a-z]``. ``sign_reply_token`` gives the ticket's ten Crockford base32
characters, lower-cased, followed by 16 base32 characters (80 bits) of
HMAC-SHA256 under the desk secret, so only the desk can make one and a guessed
or altered token is refused. The same ticket always gets the same token (no
expiry): a customer may answer a mail months later, and a token only lets mail
reach a ticket's thread as the customer's reply, which still needs a sender the
desk accepts.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re

from .tokens import InvalidToken

_TICKET_ID = re.compile(r"^T-[0-9A-HJKMNP-TV-Z]{10}$")
_TOKEN = re.compile(r"^[0-9a-hjkmnp-tv-z]{10}[a-z2-7]{16}$")
_MAC_CHARS = 16
_PURPOSE = b"soporte reply token v1:"  # keeps these MACs apart from any other use of the desk secret


def sign_reply_token(ticket_id: str, secret: str | bytes) -> str:
    """The reply token of ``ticket_id`` (``T-`` and ten Crockford base32 characters)."""
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
