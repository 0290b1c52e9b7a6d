"""Who may reach a ticket without an account, and how often one may try (pure: state in, decision out).

- Failed guest verifications (email + order number) and requests for links are
  counted per email, per order, per ticket and per client address, each against
  a ``Budget``; over any budget the answer is ``Throttled`` with the wait, never
  a word about whether the data was right. Successful verifications cost nothing.
- A request for links names an address (links to its open and recent tickets)
  or a ticket (a fresh link mailed to the ticket's own address): either way the
  desk answers the same, and only an existing ticket yields anything to mail.
- An agent can revoke a ticket's links: those issued before stop working.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from soporte.events import Actor, Language
from soporte.events import types as t

from .tickets import Decision, DomainError, TicketState, _require_agent, _require_exists


class Throttled(DomainError):
    """Too many attempts for one of the budgets: try again after ``retry_after``."""

    def __init__(self, retry_after: timedelta) -> None:
        super().__init__(f"too many attempts; try again in {retry_after}")
        self.retry_after = retry_after

    @property
    def seconds(self) -> int:
        return max(1, math.ceil(self.retry_after.total_seconds()))

    @property
    def minutes(self) -> int:
        return max(1, math.ceil(self.seconds / 60))


class GuestNotVerified(DomainError):
    """No known order has that email and number (the same whichever part is wrong)."""


@dataclass(frozen=True)
class Budget:
    """At most ``limit`` counted attempts of one ``scope`` (``guest-email``...) per key in a sliding ``window``."""

    scope: str
    limit: int
    window: timedelta

    def key(self, value: str) -> AttemptKey:
        """The counted key for ``value`` (an address, an order...), stored as a hash: no address is kept."""
        digest = hashlib.sha256(value.strip().lower().encode()).hexdigest()
        return AttemptKey(self.scope, digest)


@dataclass(frozen=True, order=True)
class AttemptKey:
    scope: str
    digest: str


@dataclass(frozen=True)
class AccessLimits:
    """The budgets of the guest sign-in, the requests for links and the staff's sign-in (``SOPORTE_INTAKE_*``)."""

    guest_per_email: Budget = Budget("guest-email", 10, timedelta(minutes=15))
    guest_per_order: Budget = Budget("guest-order", 10, timedelta(minutes=15))
    guest_per_client: Budget = Budget("guest-client", 5, timedelta(minutes=15))
    links_per_email: Budget = Budget("links-email", 3, timedelta(hours=1))
    links_per_ticket: Budget = Budget("links-ticket", 3, timedelta(hours=1))
    links_per_client: Budget = Budget("links-client", 10, timedelta(hours=1))
    # Staff sign-ins that failed, per account (its address) and per client address (domain.staff).
    sign_in_per_account: Budget = Budget("sign-in-account", 5, timedelta(minutes=15))
    sign_in_per_client: Budget = Budget("sign-in-client", 20, timedelta(minutes=15))


def wait_before_next(attempts: Sequence[datetime], budget: Budget, now: datetime) -> timedelta | None:
    """How long until one more attempt fits in ``budget`` (None: it fits now)."""
    recent = sorted(a for a in attempts if a > now - budget.window)
    if len(recent) < budget.limit:
        return None
    return recent[len(recent) - budget.limit] + budget.window - now  # when enough of them have left the window


def check_budgets(attempts: Mapping[Budget, Sequence[datetime]], now: datetime) -> None:
    """``Throttled`` with the longest wait when any budget is spent; nothing otherwise."""
    waits = [w for budget, seen in attempts.items() if (w := wait_before_next(seen, budget, now)) is not None]
    if waits:
        raise Throttled(max(waits))


def decide_access_link(
    state: TicketState | None, *, email: str | None, language: Language
) -> t.AccessLinkRequestedData | None:
    """The links to mail: an address's (``email``), or one ticket's to its own address (``state``); None when the
    ticket does not exist (the caller answers the same anyway)."""
    if state is None:
        return t.AccessLinkRequestedData(email=email.strip().lower(), language=language) if email else None
    if not state.exists or not state.customer_email:
        return None
    return t.AccessLinkRequestedData(
        email=state.customer_email, language=Language(state.language), ticket_id=state.ticket_id
    )


def decide_revoke_links(state: TicketState, reason: str, actor: Actor) -> Decision:
    """Every link to the ticket issued until now stops working; the customer can ask for a fresh one."""
    _require_exists(state)
    _require_agent(actor, "revoke a ticket's links")
    return [(t.TicketLinksRevoked, t.TicketLinksRevokedData(reason=reason))]
