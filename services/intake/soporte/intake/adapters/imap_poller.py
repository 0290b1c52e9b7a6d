"""The IMAP poller for a shop whose support mail lands in a mailbox; aioimaplib, IDLE where the server offers it.

What it guarantees:

- A message is fetched with ``BODY.PEEK[]`` (fetching marks nothing) and is
  flagged ``\\Seen``, or moved to the done folder, only after ``accept``
  returned, that is after the pipeline committed what it made of it. A crash,
  a dropped connection or a failing ``accept`` before that leaves the message
  as it was: it is fetched again on the next pass, never lost; the pipeline
  recognises a mail it accepted before (Message-ID), so nothing is doubled.
- Which messages are new is the mailbox's own state: unseen messages of the
  folder, or, with a done folder, every message still in the folder. Nothing
  is kept on this side, so several restarts or a second poller change nothing.
- A failing ``accept`` does not hold up the messages after it; the next pass
  comes after ``poll_seconds`` rather than waiting in IDLE for new mail.
- A lost connection or a refused login is retried with a capped backoff,
  logged each time; the poller stops only when ``stop`` is set.
"""

from __future__ import annotations

import asyncio
import re
import ssl
from dataclasses import dataclass

from aioimaplib import IMAP4, IMAP4_SSL, AioImapException

from soporte.intake.domain.inbound_mail import Accept, Envelope
from soporte.platform.logging import get_logger

log = get_logger(__name__)

_LITERAL = re.compile(rb"\{(\d+)\}\s*$")
MAX_BACKOFF_SECONDS = 60.0


class ImapCommandFailed(Exception):
    """The server answered NO or BAD."""


@dataclass(frozen=True)
class Mailbox:
    host: str
    port: int
    user: str
    password: str
    folder: str = "INBOX"
    tls: bool = True
    done_folder: str = ""  # empty: flag \Seen and leave the message where it is
    poll_seconds: float = 60.0
    idle_seconds: float = 300.0
    timeout_seconds: float = 30.0
    first_retry_seconds: float = 1.0  # after a failed session; doubled each time up to a minute


class ImapPoller:
    def __init__(self, mailbox: Mailbox, accept: Accept, *, ssl_context: ssl.SSLContext | None = None) -> None:
        self.mailbox, self.accept, self.ssl_context = mailbox, accept, ssl_context
        self.passes = 0  # completed passes over the folder
        self.failed_sessions = 0  # connections or logins that failed (each retried after a backoff)
        self.watching = False  # logged in, the folder selected

    async def run(self, stop: asyncio.Event) -> None:
        """Poll until ``stop`` is set, reconnecting with backoff after any connection or server failure."""
        backoff = self.mailbox.first_retry_seconds
        while not stop.is_set():
            try:
                await self._session(stop)
                backoff = self.mailbox.first_retry_seconds
            except (OSError, TimeoutError, AioImapException, ImapCommandFailed) as exc:
                self.watching = False
                self.failed_sessions += 1
                log.warning("imap_session_failed", host=self.mailbox.host, error=repr(exc), retry_in=backoff)
                await _wait(stop, backoff)
                backoff = min(backoff * 2, MAX_BACKOFF_SECONDS)

    async def check(self) -> None:
        """Readiness: raises unless a session is logged in and watching the folder."""
        if not self.watching:
            raise RuntimeError(
                f"not watching {self.mailbox.folder} on {self.mailbox.host} ({self.failed_sessions} failed)"
            )

    async def _session(self, stop: asyncio.Event) -> None:
        box = self.mailbox
        if box.tls:
            client = IMAP4_SSL(box.host, box.port, timeout=box.timeout_seconds, ssl_context=self.ssl_context)
        else:
            client = IMAP4(box.host, box.port, timeout=box.timeout_seconds)
        try:
            await client.wait_hello_from_server()
            _ok(await client.login(box.user, box.password), "LOGIN")
            if box.done_folder:
                await client.create(box.done_folder)  # NO [ALREADYEXISTS] is fine
            _ok(await client.select(box.folder), f"SELECT {box.folder}")
            self.watching = True
            log.info("imap_watching", host=box.host, folder=box.folder, idle=client.has_capability("IDLE"))
            while not stop.is_set():
                all_accepted = await self.drain(client, stop)
                self.passes += 1
                if all_accepted and client.has_capability("IDLE"):
                    await self._idle(client, stop)
                else:
                    await _wait(stop, box.poll_seconds)
        finally:
            try:
                await asyncio.wait_for(client.logout(), 5)
            except (OSError, TimeoutError, AioImapException):
                pass  # the connection is gone already

    async def drain(self, client: IMAP4, stop: asyncio.Event) -> bool:
        """Hand every waiting message to ``accept``; True when all of them were accepted."""
        criteria = "UNDELETED" if self.mailbox.done_folder else "UNSEEN UNDELETED"
        response = await client.uid_search(criteria, charset=None)
        _ok(response, "UID SEARCH")
        uids = [uid for line in response.lines[:-1] for uid in bytes(line).split() if uid.isdigit()]
        all_accepted = True
        for uid in (u.decode() for u in uids):
            if stop.is_set():
                return False
            raw = await self._fetch(client, uid)
            if raw is None:
                continue  # expunged meanwhile
            try:
                verdict = await self.accept(raw, Envelope())
            except Exception:  # whatever failed: left unflagged, fetched again on the next pass
                log.exception("mail_not_accepted", uid=uid, folder=self.mailbox.folder)
                all_accepted = False
                continue
            await self._done(client, uid)
            log.info("mail_taken", uid=uid, outcome=str(verdict.outcome), reason=verdict.reason)
        return all_accepted

    async def _fetch(self, client: IMAP4, uid: str) -> bytes | None:
        response = await client.uid("fetch", uid, "(BODY.PEEK[])")
        _ok(response, "UID FETCH")
        lines = response.lines
        for i, line in enumerate(lines[:-1]):
            if isinstance(line, bytes | bytearray) and _LITERAL.search(bytes(line)):
                return bytes(lines[i + 1])
        return None

    async def _done(self, client: IMAP4, uid: str) -> None:
        folder = self.mailbox.done_folder
        if not folder:
            _ok(await client.uid("store", uid, "+FLAGS.SILENT", r"(\Seen)"), "UID STORE")
        elif client.has_capability("MOVE"):
            _ok(await client.uid("move", uid, folder), "UID MOVE")
        else:
            # Without MOVE: copy, then delete the original; a crash between them leaves the message in both
            # folders, and the next pass hands it to the pipeline again, which knows it already.
            _ok(await client.uid("copy", uid, folder), "UID COPY")
            _ok(await client.uid("store", uid, "+FLAGS.SILENT", r"(\Deleted)"), "UID STORE")
            if client.has_capability("UIDPLUS"):
                _ok(await client.uid("expunge", uid), "UID EXPUNGE")
            else:
                _ok(await client.expunge(), "EXPUNGE")

    async def _idle(self, client: IMAP4, stop: asyncio.Event) -> None:
        """Wait in IDLE until the server says something changed, ``idle_seconds`` pass or ``stop`` is set."""
        idle = await client.idle_start(timeout=self.mailbox.idle_seconds)
        push = asyncio.ensure_future(client.wait_server_push(timeout=self.mailbox.idle_seconds + 5))
        stopping = asyncio.ensure_future(stop.wait())
        try:
            await asyncio.wait({push, stopping}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (push, stopping):
                task.cancel()
            await asyncio.gather(push, stopping, return_exceptions=True)
            client.idle_done()
            await asyncio.wait_for(idle, self.mailbox.timeout_seconds)


def _ok(response, command: str) -> None:
    if response.result != "OK":
        detail = b" ".join(bytes(line) for line in response.lines).decode(errors="replace")
        raise ImapCommandFailed(f"{command}: {response.result} {detail}")


async def _wait(stop: asyncio.Event, seconds: float) -> None:
    try:
        await asyncio.wait_for(stop.wait(), seconds)
    except TimeoutError:
        pass
