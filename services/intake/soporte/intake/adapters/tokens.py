"""The tokens the desk signs with its own secret: guest sessions and ticket access.

A guest session stands for an email + order pair intake checked; a ticket-access
token lets whoever holds it follow and answer one ticket (it travels in the
acknowledgement mail). Both expire; ``claims`` accepts only genuine, unexpired
ones (``soporte.platform.tokens``).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from soporte.platform.clock import Clock
from soporte.platform.tokens import InvalidToken, sign_token, verify_token


class DeskTokens:
    def __init__(self, secret: str, now: Clock, *, ticket_days: int = 90, guest_minutes: int = 60) -> None:
        self.secret, self.now = secret, now
        self.ticket_lifetime, self.guest_lifetime = timedelta(days=ticket_days), timedelta(minutes=guest_minutes)

    def for_ticket(self, ticket_id: str, email: str) -> str:
        claims = {"kind": "ticket", "ticket_id": ticket_id, "email": email}
        return sign_token(claims, self.secret, expires_at=self.now() + self.ticket_lifetime)

    def for_guest(self, email: str, order_number: str) -> str:
        claims = {"kind": "guest", "email": email.lower(), "order_number": order_number}
        return sign_token(claims, self.secret, expires_at=self.now() + self.guest_lifetime)

    def claims(self, token: str) -> dict[str, Any] | None:
        """The claims of a token the desk signed and that has not expired, else None."""
        try:
            return verify_token(token, self.secret, now=self.now())
        except InvalidToken:
            return None
