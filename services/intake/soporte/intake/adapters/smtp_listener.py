"""The SMTP (or LMTP) listener a shop's mail server forwards inbound mail to; aiosmtpd on the service's own loop.

What it guarantees:

- The answer to DATA is 250 only after ``accept`` returned, that is after the
  pipeline committed what it made of the mail. A crash, a lost connection or
  an error before that gives no 250, so the sending server keeps the mail and
  tries again: nothing is lost. A mail delivered again is recognised by the
  pipeline (Message-ID), so nothing is doubled either.
- ``accept`` raising (the database is down, the pipeline is not ready) answers
  ``451 4.3.0``: a temporary failure, the sender retries later.
- A mail over ``max_bytes`` is refused with ``552`` (announced as SIZE in EHLO,
  refused at MAIL FROM when the client declares its size, else after DATA
  without keeping the bytes), before it reaches the pipeline.
- Noise the pipeline drops still gets 250: a 5xx answer to an auto-reply or a
  bounce would make the sending server mail a bounce back, the start of a loop.
"""

from __future__ import annotations

import asyncio
import logging
import weakref

from aiosmtpd.lmtp import LMTP
from aiosmtpd.smtp import SMTP
from aiosmtpd.smtp import Envelope as SmtpEnvelope

from soporte.intake.domain.inbound_mail import Accept, Envelope
from soporte.platform.logging import get_logger

log = get_logger(__name__)
# aiosmtpd logs every command of every session at INFO: a line per SMTP verb would drown the service's own log.
logging.getLogger("mail.log").setLevel(logging.WARNING)

TRY_LATER = "451 4.3.0 Requested action aborted: local problem, try again later"


class AcceptingHandler:
    """aiosmtpd's handler: every recipient is taken (routing is the mail server's job); DATA goes to ``accept``."""

    def __init__(self, accept: Accept, *, lmtp: bool = False) -> None:
        self.accept = accept
        self.lmtp = lmtp

    async def handle_RCPT(self, server, session, envelope: SmtpEnvelope, address: str, rcpt_options) -> str:
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope: SmtpEnvelope) -> str:
        raw = envelope.original_content if envelope.original_content is not None else envelope.content
        raw = raw if isinstance(raw, bytes) else str(raw).encode("utf-8", "surrogateescape")
        mail_from = envelope.mail_from if envelope.mail_from not in (None, "<>") else ""
        try:
            verdict = await self.accept(raw, Envelope(mail_from, tuple(envelope.rcpt_tos)))
        except Exception:  # whatever failed, the sender must keep the mail and retry
            log.exception("mail_not_accepted", peer=str(session.peer), recipients=envelope.rcpt_tos)
            return self._per_recipient(envelope, TRY_LATER)
        log.info("mail_taken", outcome=str(verdict.outcome), reason=verdict.reason, ticket_id=verdict.ticket_id)
        return self._per_recipient(envelope, f"250 2.0.0 OK {verdict.outcome}")

    def _per_recipient(self, envelope: SmtpEnvelope, reply: str) -> str:
        # LMTP answers DATA once per recipient (RFC 2033 4.2); aiosmtpd sends the hook's text as it is.
        return "\r\n".join([reply] * len(envelope.rcpt_tos)) if self.lmtp else reply


class SmtpListener:
    """Listens on ``host:port`` until stopped; ``port`` 0 picks a free one (``bound_port`` says which)."""

    def __init__(
        self, accept: Accept, host: str, port: int, *, max_bytes: int, lmtp: bool = False, hostname: str | None = None
    ) -> None:
        self.handler = AcceptingHandler(accept, lmtp=lmtp)
        self.host, self.port, self.max_bytes, self.lmtp = host, port, max_bytes, lmtp
        self.hostname = hostname
        self._server: asyncio.Server | None = None
        self._connections: weakref.WeakSet[SMTP] = weakref.WeakSet()

    def _protocol(self) -> SMTP:
        kind = LMTP if self.lmtp else SMTP
        connection = kind(
            self.handler,
            data_size_limit=self.max_bytes,
            enable_SMTPUTF8=True,
            decode_data=False,
            hostname=self.hostname,
            ident="Soporte mail-in",
        )
        self._connections.add(connection)
        return connection

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(self._protocol, host=self.host, port=self.port)
        log.info("mailin_listening", protocol="lmtp" if self.lmtp else "smtp", host=self.host, port=self.bound_port)

    async def check(self) -> None:
        """Readiness: raises unless the listener is accepting connections."""
        if self._server is None or not self._server.is_serving():
            raise RuntimeError("not listening")

    @property
    def bound_port(self) -> int:
        assert self._server is not None, "start() first"
        return self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        """Stop listening and cut open connections: a transaction in flight gets no 250, so its sender retries
        (the pipeline's work for it is cancelled, its transaction rolled back, or, if it had committed, the retry
        is recognised as a mail accepted before)."""
        if self._server is not None:
            self._server.close()
            for connection in list(self._connections):
                if connection.transport is not None:
                    connection.transport.abort()
            await self._server.wait_closed()
            self._server = None

    async def run(self, stop: asyncio.Event) -> None:
        await self.start()
        try:
            await stop.wait()
        finally:
            await self.stop()
