"""Projections on the real Kafka and PostgreSQL, with a small whoami peer standing in for intake's HTTP API."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from aiokafka import TopicPartition

from soporte import events as ev
from soporte.businesstime import BusinessCalendar
from soporte.events import encode, event_key
from soporte.events import types as t
from soporte.intake.entrypoints.auth import Principal
from soporte.platform.kafka import make_consumer, make_producer
from soporte.projections.adapters.tables import REBUILT_TABLES
from soporte.projections.bootstrap import create_app
from soporte.projections.settings import ProjectionsSettings
from soporte.ticketrules import SlaPolicies
from tests.support.scenario import GUEST, Stream
from tests.support.servers import StartedApps

CAL = BusinessCalendar.always_open()
POLICIES = SlaPolicies()
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

# What intake's GET /api/v1/whoami answers for each token, in intake's own words.
WHOAMI = {
    token: principal.as_json()
    for token, principal in {
        "agent-token": Principal("agent", "agent-1", name="Luis", email="luis@shop.test"),
        "ana-token": Principal("customer", "cust-1", name="Ana", email="ana@example.com", customer_id="cust-1"),
        "bob-token": Principal("customer", "cust-2", name="Bob", email="bob@example.com", customer_id="cust-2"),
        "ana-guest": Principal("guest", "ana@example.com", name="Ana", email="ana@example.com", order_number="100234"),
    }.items()
}


def at(minutes: float) -> datetime:
    """``minutes`` after the tests' Monday morning (the always-open calendar counts every minute)."""
    return T0 + timedelta(minutes=minutes)


def guest_stream(**options) -> Stream:
    """A ticket Ana opens as a guest (email + order number)."""
    return Stream(customer_actor=GUEST, **options)


def bob_stream() -> Stream:
    """A ticket of Bob's, another customer of the shop."""
    customer = t.CustomerRef(name="Bob", email="bob@example.com", customer_id="cust-2")
    return Stream(customer=customer, customer_actor=ev.Actor(kind=ev.ActorKind.CUSTOMER, id="cust-2", name="Bob"))


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


# What intake's sign-in answers: the session token for each right email + password (a whoami token above).
PASSWORDS = {("luis@shop.test", "contraseña de Luis"): "agent-token"}
THROTTLED = {"type": "https://soporte.dev/problems/too-many-requests", "status": 429, "retry_after_seconds": 600}


@pytest.fixture
async def whoami_peer():
    """A real HTTP server answering as intake does: ``whoami``, and (``posted`` keeps what came, with the
    ``X-Forwarded-For`` it came with) staff sign-ins, guest sessions and requests for links; ``slow@…`` addresses
    are throttled."""
    posted: list[tuple[str, str | None, dict]] = []

    async def whoami(request: web.Request) -> web.Response:
        token = request.headers.get("Authorization", "")[7:]
        if token not in WHOAMI:
            return web.json_response({"title": "A valid token is needed", "status": 401}, status=401)
        return web.json_response(WHOAMI[token])

    async def taken(request: web.Request) -> web.Response:
        body = await request.json()
        posted.append((request.path, request.headers.get("X-Forwarded-For"), body))
        if str(body.get("email", "")).startswith("slow@"):
            return web.json_response(THROTTLED, status=429, headers={"Retry-After": "600"})
        if request.path.endswith("guest-sessions"):
            if (body.get("email"), body.get("order_number")) == ("ana@example.com", "100234"):
                return web.json_response({"guest_token": "ana-guest", "order_number": "100234"}, status=201)
            return web.json_response({"status": 401}, status=401)
        if "email" in body and "@" not in str(body["email"]):
            return web.json_response({"status": 422, "errors": [{"field": "email"}]}, status=422)
        return web.json_response({"status": "accepted"}, status=202)

    async def sign_in(request: web.Request) -> web.Response:
        body = await request.json()
        posted.append((request.path, request.headers.get("X-Forwarded-For"), {"email": body.get("email")}))
        if str(body.get("email", "")).startswith("slow@"):
            return web.json_response(THROTTLED, status=429, headers={"Retry-After": "600"})
        token = PASSWORDS.get((body.get("email"), body.get("password")))
        if token is None:
            return web.json_response({"title": "Wrong email or password", "status": 401}, status=401)
        expires = (datetime.now(UTC) + timedelta(hours=12)).isoformat()
        return web.json_response({"session_token": token, "expires_at": expires, "agent": WHOAMI[token]}, status=201)

    async def sign_out(request: web.Request) -> web.Response:
        posted.append((request.path, request.headers.get("Authorization"), {}))
        return web.Response(status=204)

    app = web.Application()
    app.router.add_get("/api/v1/whoami", whoami)
    app.router.add_post("/api/v1/agent-sessions", sign_in)
    app.router.add_delete("/api/v1/agent-sessions/current", sign_out)
    app.router.add_post("/api/v1/access-links", taken)
    app.router.add_post("/api/v1/guest-sessions", taken)
    server = TestServer(app)
    await server.start_server()
    server.posted = posted
    yield server
    await server.close()


@pytest.fixture
def settings(pg_dsn, kafka_bootstrap, topic_prefix, whoami_peer) -> ProjectionsSettings:
    return ProjectionsSettings(
        database_url=pg_dsn,
        kafka_bootstrap=kafka_bootstrap,
        topic_prefix=topic_prefix,
        intake_url=str(whoami_peer.make_url("")).rstrip("/"),
        group_id=f"projections-test-{uuid.uuid4().hex[:8]}",
        read_your_writes_seconds=10.0,
    )


@pytest.fixture
async def client(settings):
    app = create_app(settings, calendar=CAL, policies=POLICIES)
    async with TestClient(TestServer(app)) as test_client:
        yield test_client


@pytest.fixture
async def start_app(settings):
    """Starts apps on these settings (another clock, a restart...); ``await client.close()`` stops one early."""
    started = StartedApps()

    async def start(*, now=None, **overrides) -> TestClient:
        app = create_app(
            settings.model_copy(update=overrides), calendar=CAL, policies=POLICIES, **({"now": now} if now else {})
        )
        return await started.client(app)

    yield start
    await started.close()


@pytest.fixture
async def db(pg_dsn):
    """A connection to the test database (the app creates the schema when it starts)."""
    conn = await asyncpg.connect(pg_dsn)
    yield conn
    await conn.close()


async def projected_records(conn) -> int:
    """How many records the live reader has gone past, over every partition (topics here start at offset 0)."""
    return await conn.fetchval("SELECT coalesce(sum(next_offset), 0)::int FROM projections.positions")


async def wait_projected(conn, records: int, timeout: float = 30.0) -> None:
    """Wait until the live reader has applied (or dead-lettered) ``records`` records."""
    await eventually(lambda: _reached(conn, records), timeout=timeout)


async def _reached(conn, records: int) -> bool:
    return await projected_records(conn) >= records


class TopicWriter:
    """Sends events to their contract topic (ticket events keyed by ticket id), as the other services do."""

    def __init__(self, producer, prefix: str) -> None:
        self.producer, self.prefix = producer, prefix

    async def __call__(self, spec, *events: ev.Event) -> None:
        for e in events:
            await self.producer.send_and_wait(spec.name(self.prefix), encode(e), key=event_key(e))

    async def raw(self, spec, payload: bytes, key: bytes | None = None) -> None:
        """Bytes that may be no event at all."""
        await self.producer.send_and_wait(spec.name(self.prefix), payload, key=key)


@pytest.fixture
async def produce(kafka_bootstrap, topic_prefix):
    producer = make_producer(kafka_bootstrap)
    await producer.start()
    yield TopicWriter(producer, topic_prefix)
    await producer.stop()


async def eventually(check, timeout: float = 15.0, interval: float = 0.1):
    """Poll ``check`` (async, returns a truthy value when done) until it holds; AssertionError after ``timeout``."""
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    last = None
    while loop.time() < end:
        last = await check()
        if last:
            return last
        await asyncio.sleep(interval)
    raise AssertionError(f"not reached within {timeout}s (last: {last!r})")


async def topic_size(bootstrap: str, topic: str) -> int:
    """Records on ``topic``: the sum of its partitions' end offsets."""
    consumer = make_consumer(
        bootstrap, topic, group_id=None
    )  # subscribed: stopping a bare consumer raises CancelledError
    await consumer.start()
    try:
        ends = await consumer.end_offsets(
            [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
        )
        return sum(ends.values())
    finally:
        await consumer.stop()


async def dump_tables(conn, suffix: str = "") -> dict[str, list[str]]:
    """Every read-model row as PostgreSQL's own text form, sorted: equal dumps mean byte-equal tables."""
    return {
        table: [r[0] for r in await conn.fetch(f"SELECT x::text FROM projections.{table}{suffix} x ORDER BY 1")]
        for table in REBUILT_TABLES
    }
