"""The development SMTP sink: aiosmtpd accepting every message into a Maildir folder.

Run as ``python -m soporte.devstack.mailsink --port 8025 --maildir .local/mail``;
people read the folder with any mail client (or ``ls``), tests with ``read_maildir``.
"""

from __future__ import annotations

import argparse
import asyncio
import email
import email.policy
import mailbox
import signal
from email.message import EmailMessage
from pathlib import Path

from aiosmtpd.smtp import SMTP, Envelope, Session


class MaildirHandler:
    """aiosmtpd handler storing each accepted message, with its envelope recipients, in a Maildir."""

    def __init__(self, folder: Path) -> None:
        self.folder = ensure_maildir(folder)
        self.maildir = mailbox.Maildir(self.folder, create=False)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or envelope.content
        if isinstance(content, str):
            content = content.encode("utf-8")
        message = email.message_from_bytes(content, policy=email.policy.default)
        message["X-Envelope-To"] = ", ".join(envelope.rcpt_tos)
        self.maildir.add(message)
        return "250 Message accepted for delivery"


def ensure_maildir(folder: Path) -> Path:
    """The folder with its tmp/new/cur parts (Maildir(create=True) skips them when the folder exists)."""
    folder = Path(folder)
    for part in ("tmp", "new", "cur"):
        (folder / part).mkdir(parents=True, exist_ok=True)
    return folder


def read_maildir(folder: Path) -> list[EmailMessage]:
    """Every message in the folder, oldest first."""
    box = mailbox.Maildir(ensure_maildir(folder), factory=None, create=False)
    messages = []
    for key in box.keys():
        with box.get_file(key) as fh:
            messages.append(email.message_from_binary_file(fh, policy=email.policy.default))
    messages.sort(key=lambda m: m.get("Date", ""))
    return messages


async def serve(host: str, port: int, folder: Path) -> None:
    handler = MaildirHandler(folder)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: SMTP(handler, hostname="soporte-mailsink"), host, port)
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    print(f"mail sink listening on {host}:{port}, storing into {folder}", flush=True)
    await stop.wait()
    server.close()
    await server.wait_closed()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8025)
    parser.add_argument("--maildir", type=Path, required=True)
    args = parser.parse_args()
    asyncio.run(serve(args.host, args.port, args.maildir))


if __name__ == "__main__":
    main()
