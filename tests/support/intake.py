"""Intake fixtures for every suite (registered in tests/conftest.py): the app, orders from the shop topic,
and the commands tests send most (an agent's phone ticket, a note) with the bus that runs them."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial

import asyncpg
import pytest
from aiohttp.test_utils import TestClient, TestServer

from soporte.businesstime import load_calendar
from soporte.events import (
    SHOP_ORDERS,
    TICKET_EVENTS,
    Actor,
    ActorKind,
    AttachmentRef,
    Category,
    Channel,
    encode,
    event_key,
    new_ticket_id,
)
from soporte.events import types as t
from soporte.intake.adapters.memory import InMemoryFiles
from soporte.intake.adapters.tokens import DeskTokens
from soporte.intake.bootstrap import MIGRATIONS, bootstrap, create_app
from soporte.intake.domain.access import AccessLimits
from soporte.intake.domain.commands import AddInternalNote, IdempotencyKey, SubmitTicket
from soporte.intake.domain.tickets import TicketAccess
from soporte.intake.entrypoints import keys
from soporte.intake.service_layer.handlers import ReturnLabelDesk
from soporte.intake.service_layer.messagebus import MessageBus
from soporte.intake.service_layer.unit_of_work import PostgresUnitOfWork
from soporte.intake.settings import IntakeSettings
from soporte.platform.clock import Clock, utc_now
from soporte.platform.kafka import make_producer
from soporte.platform.migrations import migrate
from soporte.platform.tokens import sign_token
from soporte.ticketrules import SlaRules, load_policies
from tests.support.kafka import read_topic_until
from tests.support.scenario import AGENT
from tests.support.servers import StartedApps

SHOP_SECRET = "test-shop-secret"


@pytest.fixture
def intake_settings(pg_dsn, kafka_bootstrap, topic_prefix, tmp_path) -> IntakeSettings:
    return IntakeSettings(
        attachments_dir=str(tmp_path / "attachments"),
        database_url=pg_dsn,
        kafka_bootstrap=kafka_bootstrap,
        topic_prefix=topic_prefix,
        shop_secret=SHOP_SECRET,
        desk_secret="test-desk-secret",
        portal_url="http://portal.test",
        group_id=f"intake-test-{uuid.uuid4().hex[:8]}",
        relay_poll_seconds=0.2,
    )


@pytest.fixture
async def client(intake_settings):
    async with TestClient(TestServer(create_app(intake_settings))) as test_client:
        yield test_client


@pytest.fixture
async def start_intake():
    """Starts intake apps on given settings (``create_app`` options too); all are stopped at the end."""
    started = StartedApps()

    async def start(settings: IntakeSettings, **options) -> TestClient:
        return await started.client(create_app(settings, **options))

    yield start
    await started.close()


def intake_env(settings: IntakeSettings) -> dict[str, str]:
    return {
        **os.environ,
        "SOPORTE_DATABASE_URL": settings.database_url,
        "SOPORTE_KAFKA_BOOTSTRAP": settings.kafka_bootstrap,
        "SOPORTE_TOPIC_PREFIX": settings.topic_prefix,
        "SOPORTE_LOG_LEVEL": "WARNING",
        "SOPORTE_INTAKE_RELAY_POLL_SECONDS": "0.2",
    }


@pytest.fixture
def agent_token(client, intake_settings) -> str:
    return create_agent(intake_settings)


def soporte_cli(settings: IntakeSettings, *args: str) -> subprocess.CompletedProcess:
    """``soporte <args>`` as people run it, on the test's database and topics."""
    return subprocess.run(
        [sys.executable, "-m", "soporte.cli.main", *args],
        env=intake_env(settings),
        capture_output=True,
        text=True,
        timeout=60,
    )


@dataclass(frozen=True)
class StaffAccount:
    """An agent as `soporte agents create` made them: their address, first password and an API token."""

    agent_id: str
    email: str
    password: str
    token: str


def create_staff(
    settings: IntakeSettings, name: str = "Luis Pardo", email: str = "luis@shop.test", role: str = "agent"
) -> StaffAccount:
    """An agent created the way people do it (`soporte agents create`; a lead with ``role="lead"``)."""
    result = soporte_cli(settings, "agents", "create", name, "--email", email, "--role", role, "--api-token", "tests")
    assert result.returncode == 0, result.stderr
    said = dict(line.split(" ", 1) for line in result.stdout.splitlines())
    return StaffAccount(said["agent"].split()[0], email, said["password"], said["token"].split()[0])


def create_agent(
    settings: IntakeSettings, name: str = "Luis Pardo", email: str = "luis@shop.test", role: str = "agent"
) -> str:
    """An agent made by `soporte agents create` (see ``create_staff``); their API token."""
    return create_staff(settings, name, email, role).token


def customer_token(customer_id="cust-1", email="ana@example.com", name="Ana Pérez") -> str:
    return sign_token(
        {"kind": "customer", "sub": customer_id, "email": email, "name": name},
        SHOP_SECRET,
        expires_at=datetime.now(UTC) + timedelta(hours=1),
    )


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
async def shop_orders(kafka_bootstrap, topic_prefix):
    """Publishes OrderPlaced on the shop topic, as the shop would; returns a function to add orders."""
    producer = make_producer(kafka_bootstrap)
    await producer.start()

    async def place(
        order_number: str, email: str, customer_id: str | None = None, shipping_address: list[str] | None = None
    ) -> None:
        event = t.OrderPlaced.create(
            data=t.OrderPlacedData(
                order_number=order_number,
                email=email,
                customer_id=customer_id,
                customer_name="Ana",
                items=[t.OrderItem(sku="LCD-156", name='Pantalla 15.6"', quantity=1)],
                placed_at=datetime.now(UTC),
                shipping_address=shipping_address,
            ),
            actor=Actor(kind=ActorKind.SYSTEM, id="shop"),
            occurred_at=datetime.now(UTC),
        )
        await producer.send_and_wait(SHOP_ORDERS.name(topic_prefix), encode(event), key=event_key(event))

    yield place
    await producer.stop()


async def count_events(dsn: str) -> int:
    """How many events intake's store holds."""
    conn = await asyncpg.connect(dsn)
    try:
        return await conn.fetchval("SELECT count(*) FROM intake.events")
    finally:
        await conn.close()


async def order_known(database_url: str, order_number: str, timeout: float = 30.0) -> None:
    """Wait until the shop's order has reached intake (asking for a guest session meanwhile would count every
    early try as a wrong pair, and the limits would soon make the test wait)."""
    conn = await asyncpg.connect(database_url)
    try:
        loop = asyncio.get_running_loop()
        end = loop.time() + timeout
        while not await conn.fetchval("SELECT 1 FROM intake.orders WHERE order_number = $1", order_number):
            assert loop.time() < end, f"the order {order_number} never reached intake"
            await asyncio.sleep(0.2)
    finally:
        await conn.close()


async def guest_session(client, email: str, order_number: str, timeout: float = 30.0):
    """A guest session, asked for once the order has arrived from the shop topic."""
    await order_known(client.app[keys.SETTINGS].database_url, order_number, timeout)
    return await client.post("/api/v1/guest-sessions", json={"email": email, "order_number": order_number})


async def ticket_events(bootstrap: str, prefix: str, predicate, timeout: float = 30.0) -> list:
    return await read_topic_until(bootstrap, TICKET_EVENTS.name(prefix), predicate, timeout)


# --- commands without HTTP ------------------------------------------------------------------

SLA_RULES = SlaRules(load_calendar(), load_policies())
CALLER = t.CustomerRef(name="Ana", email="ana@example.com")


RETURN_ADDRESS = ("Pantallas LCD S.L.", "Calle de la Electrónica 12", "28001 Madrid")


class PlainPasswords:
    """Passwords kept as they are: argon2's work is for the service, not for tests of the service layer."""

    async def hash(self, password: str) -> str:
        return "plain:" + password

    async def verify(self, password_hash: str | None, password: str) -> bool:
        return password_hash == "plain:" + password


def command_bus(uow_factory, now: Clock = utc_now, *, files=None, limits: AccessLimits = AccessLimits()) -> MessageBus:
    """Intake's own wiring of the service layer, on ``uow_factory`` (a unit of work per command); return labels
    are kept in ``files`` (in memory unless given)."""
    labels = ReturnLabelDesk(("Correos Express", "SEUR"), RETURN_ADDRESS, files or InMemoryFiles())
    tokens = DeskTokens("test-desk-secret", now)
    return bootstrap(
        uow_factory,
        now=now,
        sla_rules=SLA_RULES,
        tokens=tokens,
        labels=labels,
        limits=limits,
        passwords=PlainPasswords(),
    )


@pytest.fixture
async def intake_pool(intake_settings):
    """A pool on the test's database, migrated as intake migrates it."""
    await migrate(intake_settings.database_url, "intake", MIGRATIONS)
    pool = await asyncpg.create_pool(intake_settings.database_url, min_size=1, max_size=6)
    yield pool
    await pool.close()


def postgres_bus(pool, now: Clock = utc_now) -> MessageBus:
    return command_bus(partial(PostgresUnitOfWork, pool), now)


def phone_ticket(
    ticket_id: str | None = None, *, attachments: tuple[AttachmentRef, ...] = (), key: str | None = None
) -> SubmitTicket:
    """A ticket an agent opens for a caller (no order, no account): the plainest submission."""
    return SubmitTicket(
        actor=AGENT,
        ticket_id=ticket_id or new_ticket_id(),
        category=Category.PRE_SALES,
        description="¿Hay stock?",
        customer=CALLER,
        channel=Channel.PHONE,
        attachments=attachments,
        idempotency_key=IdempotencyKey(f"agent:{AGENT.id}", key) if key else None,
    )


def note(ticket_id: str, body: str, *, expected_version: int | None = None, key: str | None = None) -> AddInternalNote:
    """An agent's internal note on ``ticket_id``."""
    return AddInternalNote(
        actor=AGENT,
        access=TicketAccess(every_ticket=True),
        ticket_id=ticket_id,
        body=body,
        expected_version=expected_version,
        idempotency_key=IdempotencyKey(f"agent:{AGENT.id}", key) if key else None,
    )
