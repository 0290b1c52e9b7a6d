"""Compact HMAC-signed tokens: ``base64url(json claims) + "." + base64url(hmac-sha256)``.

Used for the shop's customer tokens (signed with the secret the shop shares
with the desk) and the desk's guest ticket-access tokens (signed with its own
secret). Claims always carry ``exp`` (unix seconds) and ``kind``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import datetime
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
