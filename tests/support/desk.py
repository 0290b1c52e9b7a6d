"""The whole desk in one test, as `make run` wires it: intake (relay, orders reader), projections (reader, pages)
and the notifier, on the real Kafka and PostgreSQL, mailing into a real SMTP sink; Debian's chromium drives it.

``RunningDesk.mail`` waits for a mail in the sink; ``signed_in_page`` signs an agent in to the console;
``link_from`` reads a link out of a mail's HTML part; ``open_mail`` shows a mail's HTML in a page of its own (an
opaque origin, like a mail client: following a link from it is a navigation from another site); ``read_as``
checks a page's or a mail's words. The notifier's clock can be set back (``notifier_clock.back``): a mail sent
then carries links signed then.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest
from aiohttp import web

from soporte.intake.bootstrap import create_app as create_intake_app
from soporte.intake.settings import IntakeSettings
from soporte.notifier.bootstrap import run as run_notifier
from soporte.notifier.settings import NotifierSettings
from soporte.platform.clock import utc_now
from soporte.projections.bootstrap import create_app as create_projections_app
from soporte.projections.settings import ProjectionsSettings
from tests.support.intake import StaffAccount, create_staff
from tests.support.language import assert_reads_as, visible_text
from tests.support.smtp import SmtpSink, free_port

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256)) * 40


@dataclass
class NotifierClock:
    """The notifier's clock: the wall clock, or set ``back`` by some time."""

    back: timedelta = timedelta(0)

    def __call__(self) -> datetime:
        return utc_now() - self.back


@dataclass
class RunningDesk:
    intake: str
    portal: str
    settings: IntakeSettings
    sink: SmtpSink
    agent: StaffAccount  # Luis, an agent: a password for the console, a token for the API
    artifacts: Path
    notifier_clock: NotifierClock = field(default_factory=NotifierClock)

    @property
    def agent_token(self) -> str:
        return self.agent.token

    async def mail(self, to: str, subject: str, *, skip: int = 0, timeout: float = 60.0) -> EmailMessage:
        """The ``skip``-th next mail to ``to`` whose subject holds ``subject`` (waiting for it)."""
        loop = asyncio.get_running_loop()
        end = loop.time() + timeout
        while True:
            found = [m for m in self.sink.messages() if to in str(m["To"]) and subject in str(m["Subject"])]
            if len(found) > skip:
                return found[skip]
            assert loop.time() < end, f"no mail {subject!r} to {to}: {[m['Subject'] for m in self.sink.messages()]}"
            await asyncio.sleep(0.25)

    async def screenshot(self, page, name: str) -> None:
        await page.screenshot(path=str(self.artifacts / f"{name}.png"), full_page=True)


def html_of(mail: EmailMessage) -> str:
    return mail.get_body(("html",)).get_content()


def text_of(mail: EmailMessage) -> str:
    return mail.get_body(("plain",)).get_content()


def link_from(mail: EmailMessage, path: str) -> str:
    """The first link in the mail's HTML part to ``path`` (``/tickets/T-…``, ``/my/tickets``)."""
    found = re.search(r'href="([^"]*' + re.escape(path) + r'[^"]*)"', html_of(mail))
    assert found, f"no link to {path} in {mail['Subject']}"
    return found.group(1).replace("&amp;", "&")


async def open_mail(context, mail: EmailMessage):
    """A page showing the mail's HTML part, as a webmail would: its links lead to another site."""
    page = await context.new_page()
    await page.set_content(html_of(mail))
    return page


async def reply_with_photo(page, body: str, filename: str = "etiqueta.jpg") -> None:
    """The customer answers on their status page with a photo; the reply is then in the thread with its file."""
    await page.fill("#reply-body", body)
    await page.set_input_files("#reply-files", files=[{"name": filename, "mimeType": "image/jpeg", "buffer": JPEG}])
    await page.click("#send-reply")
    mine = page.locator("#thread article[data-kind=customer_reply]").last
    assert await mine.locator(".body").inner_text() == body
    assert await mine.locator(".attachments a").inner_text() == filename


async def signed_in_page(browser, portal: str, email: str, password: str, locale: str = "es-ES"):
    """A browser page of its own signed in to the console with an agent's email and password."""
    page = await (await browser.new_context(locale=locale)).new_page()
    await page.goto(f"{portal}/agent")
    await page.fill("#email", email)
    await page.fill("#password", password)
    await page.click("#sign-in")
    return page


def read_as(lang: str, text: str, typed: tuple[str, ...] = (), where: str = "") -> None:
    """What a person reads on a page (its HTML) or in a mail (its text) is all in ``lang``."""
    assert_reads_as(lang, visible_text(text) if "<" in text else text, typed, where=where)


async def serve(app: web.Application, port: int) -> web.AppRunner:
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return runner


@pytest.fixture
async def desk(intake_settings, smtp_sink, artifacts_dir):
    """The desk running on free ports; its mails land in ``smtp_sink``."""
    intake_port, portal_port = free_port(), free_port()
    intake, portal = f"http://127.0.0.1:{intake_port}", f"http://127.0.0.1:{portal_port}"
    settings = intake_settings.model_copy(update={"portal_url": portal})
    shared = {k: getattr(settings, k) for k in ("database_url", "kafka_bootstrap", "topic_prefix", "desk_secret")}
    tag = uuid.uuid4().hex[:8]
    runners = [await serve(create_intake_app(settings), intake_port)]
    agent = create_staff(settings)  # intake's migrations have run by now
    projections = ProjectionsSettings(
        **{k: v for k, v in shared.items() if k != "desk_secret"},
        intake_url=intake,
        group_id=f"projections-e2e-{tag}",
        console_refresh_seconds=1.0,
        whoami_cache_seconds=0,  # a revoked link stops at once here (the service keeps answers 30 s)
    )
    runners.append(await serve(create_projections_app(projections), portal_port))
    notifier_settings = NotifierSettings(
        **shared,
        group_id=f"notifier-e2e-{tag}",
        portal_url=portal,
        smtp_host=smtp_sink.host,
        smtp_port=smtp_sink.port,
        mail_from="Soporte <soporte@shop.test>",
        poll_seconds=0.1,
    )
    running = RunningDesk(intake, portal, settings, smtp_sink, agent, artifacts_dir)
    stop = asyncio.Event()
    notifier = asyncio.create_task(run_notifier(notifier_settings, stop, now=running.notifier_clock, serve_http=False))
    try:
        yield running
    finally:
        stop.set()
        await asyncio.wait_for(notifier, 30)
        for runner in reversed(runners):
            await runner.cleanup()
