"""A real SMTP server for tests: aiosmtpd on a free loopback port, mail kept in a Maildir.

``replies`` lets a test script the server's answers (e.g. 451 then 250, or 550),
as a real relay would give them.
"""

from __future__ import annotations

import asyncio
import socket
from collections import deque
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path

from aiosmtpd.controller import Controller

from soporte.devstack.mailsink import MaildirHandler, read_maildir


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ScriptedMaildirHandler(MaildirHandler):
    """Stores accepted messages; answers from ``replies`` first when a test queued some.

    ``sender_delay_seconds`` slows every transaction at MAIL FROM, before any message is
    accepted, so a test can kill a client between mails without a half-delivered one.
    ``accepted_delay_seconds`` holds the 250 after a message is stored, so a test can take the client's database
    away between a mail going out and the client hearing that it went.
    """

    def __init__(self, folder: Path) -> None:
        super().__init__(folder)
        self.replies: deque[str] = deque()
        self.attempts = 0
        self.sender_delay_seconds = 0.0
        self.accepted_delay_seconds = 0.0

    async def handle_MAIL(self, server, session, envelope, address, mail_options) -> str:
        if self.sender_delay_seconds:
            await asyncio.sleep(self.sender_delay_seconds)
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope) -> str:
        self.attempts += 1
        if self.replies:
            reply = self.replies.popleft()
            if not reply.startswith("250"):
                return reply
        answer = await super().handle_DATA(server, session, envelope)
        if self.accepted_delay_seconds:
            await asyncio.sleep(self.accepted_delay_seconds)
        return answer


@dataclass
class SmtpSink:
    host: str
    port: int
    folder: Path
    handler: ScriptedMaildirHandler
    _controller: Controller = field(repr=False)

    def messages(self) -> list[EmailMessage]:
        return read_maildir(self.folder)

    def stop(self) -> None:
        self._controller.stop()


def start_smtp_sink(folder: Path) -> SmtpSink:
    handler = ScriptedMaildirHandler(folder)
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    return SmtpSink("127.0.0.1", port, folder, handler, controller)
