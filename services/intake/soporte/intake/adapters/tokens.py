"""The tokens the desk signs with its own secret: guest sessions and ticket links.

A guest session stands for an email + order pair intake checked; a ticket link's
token lets whoever holds it follow and answer one ticket (it travels in every
mail, signed by intake or the notifier alike: ``soporte.platform.tokens.TicketLinks``).
Both expire; ``claims`` accepts only genuine, unexpired ones; whether a ticket's
links were revoked since is the authenticator's to ask.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from soporte.platform.clock import Clock
from soporte.platform.tokens import InvalidToken, TicketLinks, sign_token, verify_token


class DeskTokens:
    def __init__(self, secret: str, now: Clock, *, ticket_days: int = 30, guest_minutes: int = 60) -> None:
        self.secret, self.now = secret, now
        self.links = TicketLinks(secret, timedelta(days=ticket_days))
        self.guest_lifetime = timedelta(minutes=guest_minutes)

    def for_ticket(self, ticket_id: str, email: str) -> str:
        return self.links.for_ticket(ticket_id, email, self.now())

    def for_guest(self, email: str, order_number: str) -> str:
        claims = {"kind": "guest", "email": email.lower(), "order_number": order_number}
        return sign_token(claims, self.secret, expires_at=self.now() + self.guest_lifetime)

    def claims(self, token: str) -> dict[str, Any] | None:
        """The claims of a token the desk signed and that has not expired, else None."""
        try:
            return verify_token(token, self.secret, now=self.now())
        except InvalidToken:
            return None
