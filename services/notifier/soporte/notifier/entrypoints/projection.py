"""The notifier's projection for the shared ``TrackedReader``: ticket events, escalations and the desk's weekly
summaries into the ledger.

What can crash where, and why no mail is lost or doubled:

- ``handle`` runs inside the reader's transaction, which also moves the
  reader's position (``notifier.positions``): the contact, the planned mails
  and the position commit together, or none of them does and the record is
  read again.
- The plan is a pure function of the event (and of the contact its ticket's
  submission left), and mail ids are derived from the event: reading a record
  again, or replaying the topics, plans the same rows, which the ledger drops.
- Records that cannot be decoded or keep failing are dead-lettered by the
  reader; a database that is away is waited out by it (nothing is dead-lettered).
- Each ticket event also moves the ticket's status and last activity in its
  contact row (older versions change nothing), so a request for links
  (``AccessLinkRequested``, keyed by its address) is planned from the tickets
  the notifier knows for that address. A request read before the submission of
  a ticket it would list (another partition) mails what is known by then.
- Sending is not done here: ``after_commit`` only wakes the sender, which reads
  what to send from the ledger, so a mail is never sent for a rolled-back plan.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import asyncpg

from soporte.events import Event
from soporte.events import types as t
from soporte.notifier.adapters.ledger import Ledger
from soporte.notifier.domain.access_links import plan_access_links
from soporte.notifier.domain.notifications import Desk, contact_from, plan
from soporte.notifier.domain.weekly_summary import plan_weekly_summary
from soporte.ticketrules import Status, status_after


class NotifierProjection:
    name = "notifier"

    def __init__(self, ledger: Ledger, desk: Desk, *, wake_sender: Callable[[], None], now: Callable[[], datetime]):
        self.ledger, self.desk, self.wake_sender, self.now = ledger, desk, wake_sender, now

    async def handle(self, conn: asyncpg.Connection, event: Event, record: Any) -> None:
        if isinstance(event, t.AccessLinkRequested):
            known = await self.ledger.tickets_of(conn, str(event.data.email))
            await self.ledger.add(conn, plan_access_links(event, known, self.desk), self.now())
            return
        contact = contact_from(event)
        if contact is not None:
            await self.ledger.remember_contact(conn, contact)
        elif event.ticket_id:
            contact = await self.ledger.contact(conn, event.ticket_id)
        if isinstance(event, t.TICKET_STREAM_TYPES):
            await self._follow(conn, event)
        await self.ledger.add(conn, plan(event, contact, self.desk), self.now())
        await self.ledger.add(conn, plan_weekly_summary(event, self.desk), self.now())

    async def _follow(self, conn: asyncpg.Connection, event: Event) -> None:
        """The ticket's status and last activity after ``event`` (an older version changes nothing)."""
        standing = await self.ledger.standing(conn, event.ticket_id or "")
        if standing is None or (event.version or 0) <= standing[1]:
            return
        status = status_after(Status(standing[0]) if standing[0] else None, event)
        await self.ledger.record_standing(conn, event.ticket_id or "", status, event.version or 0, event.occurred_at)

    async def after_commit(self, count: int) -> None:
        self.wake_sender()
