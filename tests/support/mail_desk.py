"""The whole desk for the mail-in end-to-end tests, as `make run` runs it, on the test's own database and topics.

Intake (API and outbox relay) and projections (read models, pages) are served in the test's loop, the notifier
runs beside them and mails an aiosmtpd sink, and mail-in is its own process (``python -m soporte.intake.mailin``),
taking mail over SMTP on a free loopback port and, when given a Dovecot, from its mailbox. All of them sign with
one desk secret and answer to ``soporte@tienda.example``.
"""

from __future__ import annotations

import asyncio
import re
import smtplib
import subprocess
import sys
import uuid
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import EmailMessage
from pathlib import Path

import aiohttp
from aiohttp import web

from soporte.intake.bootstrap import create_app as create_intake_app
from soporte.intake.settings import IntakeSettings
from soporte.notifier.bootstrap import run as run_notifier
from soporte.notifier.settings import NotifierSettings
from soporte.projections.bootstrap import create_app as create_projections_app
from soporte.projections.settings import ProjectionsSettings
from tests.support.imap import ImapServer
from tests.support.intake import StaffAccount, create_staff, intake_env
from tests.support.mailin import eventually
from tests.support.smtp import SmtpSink, free_port

SECRET = "desk-secret-of-the-mail-e2e-tests-0123456789"
REPLY_ADDRESS = "soporte@tienda.example"


@dataclass
class Desk:
    intake: str
    portal: str
    smtp_port: int  # mail-in's listener
    sink: SmtpSink
    agent: StaffAccount  # Luis: his password for the console, his token for the API
    mailin: subprocess.Popen
    session: aiohttp.ClientSession
    log: Path
    stack: AsyncExitStack = field(repr=False)

    async def guest_ticket(self, email: str, order_number: str, name: str, description: str) -> dict:
        """A ticket opened on the web form's API by a guest (their order must have reached intake)."""
        token = None
        for _ in range(100):
            async with self.session.post(
                f"{self.intake}/api/v1/guest-sessions", json={"email": email, "order_number": order_number}
            ) as r:
                if r.status == 201:
                    token = (await r.json())["guest_token"]
                    break
            await asyncio.sleep(0.3)
        assert token, f"the order {order_number} never reached intake"
        body = {"category": "damaged_item", "description": description, "customer_name": name}
        async with self.session.post(
            f"{self.intake}/api/v1/tickets", json=body, headers={"Authorization": f"Bearer {token}"}
        ) as r:
            assert r.status == 201, await r.text()
            return await r.json()

    def send(self, raw: bytes, sender: str, recipients: tuple[str, ...] = (REPLY_ADDRESS,)) -> tuple[int, bytes]:
        """One SMTP transaction to mail-in, as the shop's mail server forwards a mail (blocking: run in a thread)."""
        wire = raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")  # a mail server sends CRLF lines
        with smtplib.SMTP("127.0.0.1", self.smtp_port, timeout=60) as client:
            client.ehlo("mx.tienda.example")
            assert client.mail(sender)[0] == 250
            for recipient in recipients:
                assert client.rcpt(recipient)[0] == 250
            return client.data(wire)

    async def mail_to(self, address: str, count: int = 1) -> list[EmailMessage]:
        """The desk's mails to ``address`` in the sink, once there are ``count`` of them."""

        def found() -> list[EmailMessage]:
            mails = [m for m in self.sink.messages() if address in str(m["To"])]
            return mails if len(mails) >= count else []

        return await eventually(found, timeout=60)

    async def ticket(self, ticket_id: str, until=lambda detail: True) -> dict:
        """The agents' view of a ticket from the projections' query API, once ``until(detail)`` holds."""
        headers = {"Authorization": f"Bearer {self.agent.token}"}

        async def detail():
            async with self.session.get(f"{self.portal}/api/v1/tickets/{ticket_id}", headers=headers) as r:
                return (await r.json()) if r.status == 200 else None

        return await eventually(lambda: _holding(detail(), until), timeout=60)


async def _holding(pending, until):
    detail = await pending
    return detail if detail is not None and until(detail) else None


def answering(ack: EmailMessage, raw: bytes) -> bytes:
    """A client's reply ``raw`` made to answer the desk's mail ``ack``: to its Reply-To, in reply to its Message-ID."""
    reply = message_from_bytes(raw)
    for name, value in (("To", ack["Reply-To"]), ("In-Reply-To", ack["Message-ID"]), ("References", ack["Message-ID"])):
        del reply[name]
        reply[name] = value
    return reply.as_bytes()


def bouncing(sent: EmailMessage, report: bytes) -> bytes:
    """A mail server's delivery report ``report`` made about the desk's mail ``sent``: its Message-ID and address."""
    report = re.sub(rb"Message-ID: <n\.[^>]+>", f"Message-ID: {sent['Message-ID']}".encode(), report)
    return report.replace(b"ana.garcia@gmail.example", str(sent["To"]).split("<")[-1].strip(">").encode())


async def start_desk(
    intake_settings: IntakeSettings, sink: SmtpSink, stack: AsyncExitStack, tmp_path: Path, imap: ImapServer | None
) -> Desk:
    intake_port, portal_port, smtp_port, health_port = free_port(), free_port(), free_port(), free_port()
    intake, portal = f"http://127.0.0.1:{intake_port}", f"http://127.0.0.1:{portal_port}"
    files = tmp_path / "attachments"
    settings = intake_settings.model_copy(
        update={"portal_url": portal, "desk_secret": SECRET, "attachments_dir": str(files)}
    )
    await _serve(stack, create_intake_app(settings), intake_port)
    projections = ProjectionsSettings(
        database_url=settings.database_url,
        kafka_bootstrap=settings.kafka_bootstrap,
        topic_prefix=settings.topic_prefix,
        intake_url=intake,
        group_id=f"projections-mail-{uuid.uuid4().hex[:8]}",
        console_refresh_seconds=1.0,
    )
    await _serve(stack, create_projections_app(projections), portal_port)
    notifier = NotifierSettings(
        database_url=settings.database_url,
        kafka_bootstrap=settings.kafka_bootstrap,
        topic_prefix=settings.topic_prefix,
        group_id=f"notifier-mail-{uuid.uuid4().hex[:8]}",
        smtp_host=sink.host,
        smtp_port=sink.port,
        mail_from=f"Soporte Tienda <{REPLY_ADDRESS}>",
        mail_reply_address=REPLY_ADDRESS,
        desk_secret=SECRET,
        portal_url=portal,
        poll_seconds=0.1,
    )
    stop = asyncio.Event()
    notifying = asyncio.create_task(run_notifier(notifier, stop, serve_http=False))
    stack.push_async_callback(_halt, stop, notifying)

    env = {
        **intake_env(settings),
        "SOPORTE_LOG_LEVEL": "INFO",
        "SOPORTE_DESK_SECRET": SECRET,
        "SOPORTE_MAIL_REPLY_ADDRESS": REPLY_ADDRESS,
        "SOPORTE_INTAKE_ATTACHMENTS_DIR": str(files),
        "SOPORTE_MAILIN_PORT": str(smtp_port),
        "SOPORTE_MAILIN_HTTP_PORT": str(health_port),
    }
    if imap is not None:
        env |= {
            "SOPORTE_MAILIN_IMAP_HOST": imap.host,
            "SOPORTE_MAILIN_IMAP_PORT": str(imap.port),
            "SOPORTE_MAILIN_IMAP_TLS": "false",
            "SOPORTE_MAILIN_IMAP_USER": imap.user,
            "SOPORTE_MAILIN_IMAP_PASSWORD": imap.password,
            "SOPORTE_MAILIN_IMAP_POLL_SECONDS": "0.5",
        }
    log = tmp_path / "mailin.log"
    with open(log, "wb") as out:
        mailin = subprocess.Popen([sys.executable, "-m", "soporte.intake.mailin"], env=env, stdout=out, stderr=out)
    stack.callback(_terminate, mailin)
    session = await stack.enter_async_context(aiohttp.ClientSession())

    async def ready():
        assert mailin.poll() is None, log.read_text()
        try:
            async with session.get(f"http://127.0.0.1:{health_port}/readyz") as r:
                return r.status == 200
        except aiohttp.ClientConnectionError:
            return False

    await eventually(ready, timeout=60)
    agent = create_staff(settings)
    return Desk(intake, portal, smtp_port, sink, agent, mailin, session, log, stack)


async def _serve(stack: AsyncExitStack, app: web.Application, port: int) -> None:
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    stack.push_async_callback(runner.cleanup)


async def _halt(stop: asyncio.Event, task: asyncio.Task) -> None:
    stop.set()
    await asyncio.wait_for(task, 30)


def _terminate(process: subprocess.Popen) -> None:
    process.terminate()  # SIGTERM: mail-in stops cleanly
    try:
        assert process.wait(timeout=30) == 0
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        raise
