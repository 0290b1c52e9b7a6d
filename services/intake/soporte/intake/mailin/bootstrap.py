"""Mail-in's composition root: the pipeline wired from settings, and the listeners that feed it.

``mail_intake`` builds ``MailIntake`` on intake's own service layer (the same
message bus, unit of work, file store and orders as the API), so a mail is
decided exactly like a request. ``run_mailin`` opens the pool, starts the SMTP
listener and the IMAP poller the settings ask for, serves ``/healthz``,
``/readyz`` and ``/metrics`` (mails by outcome) on ``mailin_http_port``, and
closes everything when ``stop`` is set. The events it commits wait in intake's outbox; the relay of
``soporte intake serve`` (or ``intake relay``) publishes them, woken by NOTIFY.
"""

from __future__ import annotations

import asyncio
import functools
from pathlib import Path

import asyncpg
from prometheus_client import CollectorRegistry, Counter

from soporte.businesstime import BusinessCalendar, load_calendar
from soporte.intake.adapters.files import LocalFileStore
from soporte.intake.adapters.imap_poller import ImapPoller, Mailbox
from soporte.intake.adapters.mail_senders import PostgresMailSenders
from soporte.intake.adapters.orders import PostgresOrders
from soporte.intake.adapters.smtp_listener import SmtpListener
from soporte.intake.adapters.tokens import DeskTokens
from soporte.intake.bootstrap import MIGRATIONS, bootstrap
from soporte.intake.domain.files import FileLimits
from soporte.intake.domain.inbound_mail import Accept, Envelope, Verdict
from soporte.intake.entrypoints.mail import MailDesk, MailIntake
from soporte.intake.service_layer import views
from soporte.intake.service_layer.handlers import ReturnLabelDesk
from soporte.intake.service_layer.unit_of_work import PostgresUnitOfWork
from soporte.platform import lifecycle
from soporte.platform.clock import Clock, utc_now
from soporte.platform.guards import health_app
from soporte.platform.http import add_health_routes
from soporte.platform.logging import get_logger
from soporte.platform.migrations import migrate
from soporte.platform.startup import retry_until
from soporte.ticketrules import SlaPolicies, SlaRules, load_policies

from .settings import MailinSettings

log = get_logger(__name__)


def mail_intake(
    settings: MailinSettings,
    pool: asyncpg.Pool,
    *,
    now: Clock = utc_now,
    file_store: LocalFileStore | None = None,
    calendar: BusinessCalendar | None = None,
    policies: SlaPolicies | None = None,
) -> MailIntake:
    """The pipeline on ``pool``; every collaborator defaults to what the settings say (tests pass their own)."""
    new_uow = functools.partial(PostgresUnitOfWork, pool)
    tokens = DeskTokens(
        settings.desk_secret, now, ticket_days=settings.ticket_link_days, guest_minutes=settings.guest_session_minutes
    )

    async def referenced(sha256: str) -> bool:  # a failed mail never removes a file a committed ticket uses
        return await views.file_is_referenced(new_uow(), sha256)

    files = file_store or LocalFileStore(Path(settings.attachments_dir), is_referenced=referenced)
    bus = bootstrap(
        new_uow,
        now=now,
        sla_rules=SlaRules(calendar or load_calendar(), policies or load_policies()),
        tokens=tokens,
        labels=ReturnLabelDesk(settings.carrier_names, settings.return_address_lines, files),
        limits=settings.access_limits,
    )

    desk = MailDesk(
        reply_address=settings.mail_reply_address,
        own_addresses=settings.own_addresses(),
        secret=settings.desk_secret,
        file_limits=FileLimits(settings.max_file_bytes, settings.max_total_upload_bytes, settings.max_files),
        max_mails_per_hour=settings.mailin_max_mails_per_hour,
    )
    return MailIntake(
        bus,
        new_uow,
        orders=PostgresOrders(pool),
        files=files,
        senders=PostgresMailSenders(pool),
        desk=desk,
        now=now,
    )


def mailbox(settings: MailinSettings) -> Mailbox | None:
    """The IMAP mailbox to poll, or None when ``SOPORTE_MAILIN_IMAP_HOST`` is not set."""
    if not settings.mailin_imap_host:
        return None
    return Mailbox(
        host=settings.mailin_imap_host,
        port=settings.mailin_imap_port,
        user=settings.mailin_imap_user,
        password=settings.mailin_imap_password,
        folder=settings.mailin_imap_folder,
        tls=settings.mailin_imap_tls,
        done_folder=settings.mailin_imap_done_folder,
        poll_seconds=settings.mailin_imap_poll_seconds,
        idle_seconds=settings.mailin_imap_idle_seconds,
        timeout_seconds=settings.mailin_imap_timeout_seconds,
    )


def counted(accept: Accept, registry: CollectorRegistry) -> Accept:
    """``accept`` counting what becomes of each mail (``soporte_mailin_mails_total{outcome}``), failures too."""
    mails = Counter("soporte_mailin_mails", "Inbound mails by what became of them", ["outcome"], registry=registry)

    async def accept_counted(raw: bytes, envelope: Envelope) -> Verdict:
        try:
            verdict = await accept(raw, envelope)
        except BaseException:
            mails.labels("failed").inc()  # not acknowledged: the mail comes again
            raise
        mails.labels(verdict.outcome).inc()
        return verdict

    return accept_counted


async def run_mailin(settings: MailinSettings, stop: asyncio.Event) -> None:
    """Listen and poll until ``stop`` is set; refuses to start in production with a weak desk secret. PostgreSQL
    being away at start is waited out (health answers meanwhile; mail servers try again later)."""
    settings.check_secrets(settings.mailin_host)
    registry = CollectorRegistry()
    opened: dict = {}  # pool, smtp, imap: what is open so far

    def check(part: str):
        async def ready() -> None:
            if part not in opened:
                raise RuntimeError("waiting for PostgreSQL")
            await (opened[part].fetchval("SELECT 1") if part == "pool" else opened[part].check())

        return ready

    wanted = [("database", "pool")]
    wanted += [("smtp", "smtp")] if settings.mailin_smtp_enabled else []
    wanted += [("imap", "imap")] if settings.mailin_imap_host else []
    health = health_app()
    add_health_routes(health, registry, [(name, check(part)) for name, part in wanted])
    http = asyncio.create_task(lifecycle.serve_app(health, settings.host, settings.mailin_http_port, stop))
    http.add_done_callback(lambda _: stop.set())  # its port taken: the process ends
    try:
        schema = lambda: migrate(settings.database_url, "intake", MIGRATIONS)  # noqa: E731
        await retry_until(stop, "PostgreSQL (mail-in migrations)", schema)
        pool = opened["pool"] = await retry_until(
            stop,
            "PostgreSQL (mail-in pool)",
            lambda: asyncpg.create_pool(settings.database_url, min_size=1, max_size=5),
        )
        if pool is None:
            return  # stopped while waiting
        accept = counted(mail_intake(settings, pool).accept, registry)
        feeds = []
        if settings.mailin_smtp_enabled:
            listener = opened["smtp"] = SmtpListener(
                accept,
                settings.mailin_host,
                settings.mailin_port,
                max_bytes=settings.mailin_max_bytes,
                lmtp=settings.mailin_protocol == "lmtp",
            )
            await listener.start()  # a port taken ends the process at once
            feeds.append(_until(stop, listener.stop))
        if (box := mailbox(settings)) is not None:
            poller = opened["imap"] = ImapPoller(box, accept)
            feeds.append(poller.run(stop))
        if not feeds:
            log.warning("mailin_idle", why="SOPORTE_MAILIN_SMTP_ENABLED is false and no SOPORTE_MAILIN_IMAP_HOST")
        await asyncio.gather(*feeds)
    finally:
        stop.set()
        await http
        if opened.get("pool") is not None:
            await opened["pool"].close()


async def _until(stop: asyncio.Event, then) -> None:
    await stop.wait()
    await then()
