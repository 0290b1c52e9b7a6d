"""Who may read what: agents read everything; customers, guests and ticket tokens only their own tickets."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Principal:
    """The caller as intake's ``whoami`` describes them."""

    kind: str  # agent | customer | guest | ticket
    id: str
    name: str | None = None
    email: str | None = None
    customer_id: str | None = None
    ticket_id: str | None = None
    role: str | None = None  # agents only: agent | lead

    @property
    def is_agent(self) -> bool:
        return self.kind == "agent"

    @property
    def is_lead(self) -> bool:
        """A lead: an agent also accountable for the desk's promise (reads the dashboard and the reports)."""
        return self.is_agent and self.role == "lead"

    @classmethod
    def from_whoami(cls, body: dict) -> Principal:
        email = body.get("email")
        return cls(
            kind=str(body["kind"]),
            id=str(body["id"]),
            name=body.get("name"),
            email=str(email).lower() if email else None,
            customer_id=body.get("customer_id"),
            ticket_id=body.get("ticket_id"),
            role=body.get("role"),
        )


@dataclass(frozen=True)
class Ownership:
    """Whose a ticket is."""

    ticket_id: str
    customer_id: str | None
    customer_email: str


def may_read(principal: Principal, ticket: Ownership) -> bool:
    """Agents: any ticket. Customers: theirs by account or email. Guests: by email. Ticket tokens: that ticket."""
    if principal.is_agent:
        return True
    if principal.kind == "ticket":
        return principal.ticket_id == ticket.ticket_id
    email_matches = bool(principal.email) and principal.email == ticket.customer_email.lower()
    if principal.kind == "customer":
        return bool(principal.customer_id and principal.customer_id == ticket.customer_id) or email_matches
    if principal.kind == "guest":
        return email_matches
    return False
