"""Live changes for open consoles: read-model changes and presence, shared through PostgreSQL LISTEN/NOTIFY.

The live reader NOTIFYs ``soporte_tickets`` with the tickets a batch changed, in
the batch's transaction (delivered at commit: a console never hears of a change
it cannot read yet). Every projections process LISTENs, so a console hears of a
change whichever process's reader applied it, and fans it out to the consoles
connected to it (``subscribe``).

Presence («Marta está respondiendo») is ephemeral: each process keeps it in
memory, never in a table, and shares what its consoles announce on
``soporte_presence``; an announcement lasts ``PRESENCE_SECONDS`` unless
renewed (consoles renew it while someone types). A process started later
knows of someone already replying from their next renewal.

asyncpg does not restore a LISTEN connection after PostgreSQL restarts
(MagicStack/asyncpg #421, #447): the hub reconnects with backoff and tells
every console to catch up (``resync``), which reloads what it shows. A console
whose queue is full (a stalled browser) gets ``resync`` instead of what it missed.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import asyncpg

from soporte.platform.logging import get_logger

TICKETS_CHANNEL, PRESENCE_CHANNEL = "soporte_tickets", "soporte_presence"
PRESENCE_SECONDS = 30.0
NOTIFY_CHUNK = 150  # tickets per notification (a payload must stay under 8000 bytes)
QUEUE_SIZE = 200
log = get_logger(__name__)


@dataclass(frozen=True)
class Presence:
    """Someone at work on a ticket: ``until`` (epoch seconds) is when it lapses without a renewal."""

    ticket_id: str
    agent_id: str
    name: str
    until: float


async def notify_tickets(conn: asyncpg.Connection, changed: Iterable[tuple[str, int]]) -> None:
    """Tell every process's consoles that these tickets (id, version) changed, when the transaction commits."""
    tickets = [[ticket_id, version] for ticket_id, version in changed]
    for start in range(0, len(tickets), NOTIFY_CHUNK):
        payload = json.dumps({"tickets": tickets[start : start + NOTIFY_CHUNK]})
        await conn.execute("SELECT pg_notify($1, $2)", TICKETS_CHANNEL, payload)


class LiveHub:
    """One LISTEN connection per process, and a queue per open console."""

    def __init__(self, dsn: str, *, clock: Callable[[], float] = time.time) -> None:
        self.dsn, self.clock = dsn, clock
        self.queues: set[asyncio.Queue[dict[str, Any]]] = set()
        self.presence: dict[str, dict[str, Presence]] = {}

    # --- consoles -----------------------------------------------------------------------------------

    def subscribe(self) -> asyncio.Queue[dict[str, Any]]:
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(QUEUE_SIZE)
        self.queues.add(queue)
        return queue

    def unsubscribe(self, queue: asyncio.Queue[dict[str, Any]]) -> None:
        self.queues.discard(queue)

    def publish(self, message: dict[str, Any]) -> None:
        for queue in self.queues:
            if queue.full():  # what it missed is replaced by one "catch up"
                while not queue.empty():
                    queue.get_nowait()
                queue.put_nowait({"event": "resync"})
            else:
                queue.put_nowait(message)

    def close(self) -> None:
        """Every open console's stream ends (the app is stopping)."""
        self.publish({"event": "bye"})

    # --- presence ------------------------------------------------------------------------------------

    def replying(self, ticket_id: str) -> list[Presence]:
        """Who is replying on the ticket now, in the order they started."""
        now = self.clock()
        return [p for p in self.presence.get(ticket_id, {}).values() if p.until > now]

    async def announce(self, pool: asyncpg.Pool, ticket_id: str, agent_id: str, name: str, replying: bool) -> None:
        """``agent_id`` is replying on the ticket (for ``PRESENCE_SECONDS``), or has stopped: every process hears."""
        until = self.clock() + PRESENCE_SECONDS if replying else 0.0
        payload = {"ticket_id": ticket_id, "agent_id": agent_id, "name": name, "until": until}
        await pool.execute("SELECT pg_notify($1, $2)", PRESENCE_CHANNEL, json.dumps(payload))

    def _presence_heard(self, payload: dict[str, Any]) -> None:
        heard = Presence(str(payload["ticket_id"]), str(payload["agent_id"]), str(payload["name"]), payload["until"])
        on_ticket = self.presence.setdefault(heard.ticket_id, {})
        on_ticket.pop(heard.agent_id, None)  # a renewal moves nobody up the list, a stop takes them off
        if heard.until > self.clock():
            on_ticket[heard.agent_id] = heard
        self.publish({"event": "presence", "ticket_id": heard.ticket_id})

    # --- listening ------------------------------------------------------------------------------------

    def _heard(self, _conn: Any, _pid: int, channel: str, payload: str) -> None:
        try:
            body = json.loads(payload)
            if channel == TICKETS_CHANNEL:
                self.publish({"event": "tickets", "tickets": body["tickets"]})
            else:
                self._presence_heard(body)
        except (ValueError, KeyError, TypeError):
            log.warning("live notification not understood", channel=channel)

    async def run(self, stop: asyncio.Event) -> None:
        """Listen until ``stop``; after a lost connection, listen again (with backoff) and tell consoles to resync."""
        delay, lost = 0.5, False
        while not stop.is_set():
            try:
                conn = await asyncpg.connect(self.dsn)
            except (OSError, asyncpg.PostgresError) as exc:
                log.warning("live changes: cannot listen yet", error=str(exc))
                await _wait(stop, delay)
                delay = min(delay * 2, 10.0)
                continue
            dropped = asyncio.Event()
            conn.add_termination_listener(lambda _conn, dropped=dropped: dropped.set())
            try:
                await conn.add_listener(TICKETS_CHANNEL, self._heard)
                await conn.add_listener(PRESENCE_CHANNEL, self._heard)
                if lost:
                    self.publish({"event": "resync"})
                delay = 0.5
                await _first(stop.wait(), dropped.wait())
            except (OSError, asyncpg.PostgresError) as exc:
                log.warning("live changes: listening failed", error=str(exc))
            finally:
                lost = True
                if not conn.is_closed():
                    await conn.close(timeout=5)


async def _wait(stop: asyncio.Event, seconds: float) -> None:
    try:
        await asyncio.wait_for(stop.wait(), seconds)
    except TimeoutError:
        pass


async def _first(*waits) -> None:
    tasks = [asyncio.ensure_future(w) for w in waits]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
