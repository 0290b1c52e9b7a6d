"""Memory under abuse: every HTTP service, run as a process, takes 5,000 requests from nobody (forged, unknown or
missing tokens) and 5,000 malformed ones (broken JSON and forms, bodies too large, odd ids and methods), and its
resident memory grows by less than 20 MB. Before the fix a shared problem kept every 401's frames (about 18 KB
each) and projections read 30 MB forms from anyone.
"""

from __future__ import annotations

import asyncio
import itertools
import secrets

import aiohttp
import pytest

from tests.support.processes import ServiceProcess, desk_env
from tests.support.smtp import free_port

ROUNDS = 5_000
GROWTH_LIMIT = 20 * 1024 * 1024
CONCURRENCY = 16


def _junk_token() -> str:
    return secrets.token_urlsafe(24) + "." + secrets.token_urlsafe(32)


def nobody(service: str, n: int) -> tuple[str, str, dict, bytes | None]:
    """The n-th request from nobody: (method, path, headers, body)."""
    bearer = {"Authorization": f"Bearer {_junk_token() if n % 3 else 'sp_agent_' + secrets.token_hex(16)}"}
    routes = {
        "intake": [("GET", "/api/v1/whoami"), ("POST", "/api/v1/tickets"), ("GET", "/api/v1/me/orders")],
        "projections": [("GET", "/api/v1/queues/all"), ("GET", "/api/v1/me/tickets"), ("GET", "/agent")],
    }.get(service, [("GET", f"/nothing/{n}"), ("GET", "/kpis")])
    method, path = routes[n % len(routes)]
    body = b'{"category": "other", "description": "x", "customer_name": "y"}' if method == "POST" else None
    return method, path, {**bearer, "Content-Type": "application/json"}, body


def malformed(service: str, n: int) -> tuple[str, str, dict, bytes | None]:
    """The n-th malformed request: each kind in turn."""
    kinds = [
        ("POST", "/api/v1/guest-sessions", {"Content-Type": "application/json"}, b'{"email": "a@b.c", ' * 50),
        ("POST", "/api/v1/guest-sessions", {"Content-Type": "application/json"}, b"[" * 3000),
        ("POST", "/form/guest", {"Content-Type": "multipart/form-data"}, b"--x\r\nbroken"),
        ("POST", "/agent/sign-in", {"Content-Type": "application/x-www-form-urlencoded"}, b"token=" + b"x" * 20_000),
        ("GET", f"/api/v1/tickets/T-%00{n}/attachments/zz", {}, None),
        ("DELETE", "/healthz", {}, b"\xff\xfe" * 100),
        ("GET", f"/api/v1/queues/all?limit=%00&cursor={'%FF' * 50}", {}, None),
        ("POST", "/metrics", {"Content-Type": "text/plain; charset=nothing"}, b"\x00" * 500),
    ]
    return kinds[n % len(kinds)]


async def abuse(base: str, service: str, rounds: int = ROUNDS) -> None:
    """``rounds`` requests from nobody, then ``rounds`` malformed ones, ``CONCURRENCY`` at a time."""
    requests = itertools.chain(
        (nobody(service, n) for n in range(rounds)), (malformed(service, n) for n in range(rounds))
    )
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as http:

        async def worker() -> None:
            for method, path, headers, body in requests:  # shared: each request is taken by one worker
                async with http.request(method, base + path, headers=headers, data=body) as answer:
                    await answer.read()
                    assert answer.status < 500 or answer.status == 503, (service, method, path, answer.status)

        await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))


@pytest.fixture
def services(intake_settings, smtp_sink, tmp_path):
    s = intake_settings
    env = desk_env(s.database_url, s.kafka_bootstrap, s.topic_prefix, SOPORTE_INTAKE_ATTACHMENTS_DIR=s.attachments_dir)
    ports = {name: free_port() for name in ("intake", "projections", "notifier", "sla", "mailin", "mailin_smtp")}
    own = {
        "intake": ("soporte.intake", {"SOPORTE_INTAKE_PORT": ports["intake"]}),
        "projections": (
            "soporte.projections",
            {
                "SOPORTE_PROJECTIONS_PORT": ports["projections"],
                "SOPORTE_PROJECTIONS_INTAKE_URL": f"http://127.0.0.1:{ports['intake']}",
            },
        ),
        "notifier": (
            "soporte.notifier",
            {
                "SOPORTE_NOTIFIER_PORT": ports["notifier"],
                "SOPORTE_SMTP_HOST": smtp_sink.host,
                "SOPORTE_SMTP_PORT": smtp_sink.port,
            },
        ),
        "sla": (
            "soporte.sla",
            {"SOPORTE_SLA_PORT": ports["sla"], "SOPORTE_SLA_APP_ID": f"memory-{secrets.token_hex(3)}"},
        ),
        "mailin": (
            "soporte.intake.mailin",
            {"SOPORTE_MAILIN_HTTP_PORT": ports["mailin"], "SOPORTE_MAILIN_PORT": ports["mailin_smtp"]},
        ),
    }
    started = {
        name: ServiceProcess.module(
            name, module, {**env, **{k: str(v) for k, v in extra.items()}}, ports[name], tmp_path / "logs"
        ).start()
        for name, (module, extra) in own.items()
    }
    try:
        for process in started.values():
            process.wait("/healthz")
        yield started
    finally:
        for process in started.values():
            process.stop()


async def test_nobody_and_malformed_requests_leave_every_services_memory_flat(services):
    growth = {}
    for name, process in services.items():
        await abuse(process.base, name, 500)  # warm-up: caches, pools and allocator arenas reach their working size
        before = process.rss_bytes()
        await abuse(process.base, name)
        growth[name] = process.rss_bytes() - before
        assert process.alive(), process.tail()
    print(
        "\n[memory] RSS growth over 5,000 requests from nobody and 5,000 malformed ones: "
        + ", ".join(f"{name} {delta / 1024 / 1024:+.1f} MB" for name, delta in growth.items())
    )
    assert all(delta < GROWTH_LIMIT for delta in growth.values()), growth
