"""Compact HMAC-signed tokens: ``base64url(json claims) + "." + base64url(hmac-sha256)``.

Used for the shop's customer tokens (signed with the secret the shop shares
with the desk) and the desk's own: guest sessions, and the links it mails
(``TicketLinks``: one ticket, or a shop customer's tickets), signed with the
desk secret intake and the notifier share. Claims always carry ``exp`` (unix
seconds) and ``kind``; the desk's links also say when they were issued, so a
ticket's links issued before an agent revoked them can be refused.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta
from typing import Any


class InvalidToken(ValueError):
    """Malformed, forged or expired; callers answer 401 without saying which."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sign_token(claims: dict[str, Any], secret: str | bytes, *, expires_at: datetime) -> str:
    """A token carrying ``claims`` plus ``exp``; valid until ``expires_at``."""
    key = secret.encode() if isinstance(secret, str) else secret
    body = _b64(
        json.dumps({**claims, "exp": int(expires_at.timestamp())}, separators=(",", ":"), sort_keys=True).encode()
    )
    mac = hmac.new(key, body.encode(), hashlib.sha256).digest()
    return f"{body}.{_b64(mac)}"


def verify_token(token: str, secret: str | bytes, *, now: datetime, kind: str | None = None) -> dict[str, Any]:
    """The claims of a genuine, unexpired token (of ``kind`` when given), else ``InvalidToken``."""
    key = secret.encode() if isinstance(secret, str) else secret
    try:
        body, mac = token.split(".")
        expected = hmac.new(key, body.encode(), hashlib.sha256).digest()
        if not hmac.compare_digest(expected, _unb64(mac)):
            raise InvalidToken("bad signature")
        claims = json.loads(_unb64(body))
    except InvalidToken:
        raise
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidToken("malformed token") from exc
    if not isinstance(claims, dict) or not isinstance(claims.get("exp"), int):
        raise InvalidToken("malformed claims")
    if claims["exp"] <= now.timestamp():
        raise InvalidToken("expired")
    if kind is not None and claims.get("kind") != kind:
        raise InvalidToken("wrong kind of token")
    return claims


TICKET_LINK, ACCOUNT_LINK = "ticket", "account"


class TicketLinks:
    """The tokens in the links the desk mails: ``for_ticket`` opens one ticket, ``for_account`` a shop customer's
    tickets. Both expire after ``lifetime`` and carry their issue time (``iat_ms``, unix milliseconds)."""

    def __init__(self, secret: str, lifetime: timedelta) -> None:
        self.secret, self.lifetime = secret, lifetime

    def for_ticket(self, ticket_id: str, email: str, now: datetime) -> str:
        return self._sign({"kind": TICKET_LINK, "ticket_id": ticket_id, "email": email.lower()}, now)

    def for_account(self, customer_id: str, email: str, now: datetime) -> str:
        return self._sign({"kind": ACCOUNT_LINK, "customer_id": customer_id, "email": email.lower()}, now)

    def _sign(self, claims: dict[str, Any], now: datetime) -> str:
        issued = {**claims, "iat_ms": int(now.timestamp() * 1000)}
        return sign_token(issued, self.secret, expires_at=now + self.lifetime)


def issued_at(claims: dict[str, Any]) -> datetime | None:
    """When a link's token was issued (None for a token that does not say: older than any revocation)."""
    value = claims.get("iat_ms")
    return datetime.fromtimestamp(value / 1000, UTC) if isinstance(value, int) else None
