"""`python -m soporte.intake` as people run it: API, outbox relay and orders reader in one process."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys

import aiohttp
import pytest

from soporte.events import types as t
from tests.support.intake import SHOP_SECRET, bearer, customer_token, intake_env, ticket_events
from tests.support.smtp import free_port


async def wait_until_ready(
    session: aiohttp.ClientSession, base: str, process: subprocess.Popen, timeout: float = 60.0
) -> None:
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while loop.time() < end:
        assert process.poll() is None, "intake exited during start-up"
        try:
            async with session.get(f"{base}/readyz") as ready:
                if ready.status == 200:
                    return
        except aiohttp.ClientConnectionError:
            pass
        await asyncio.sleep(0.3)
    raise AssertionError("intake never became ready")


async def test_the_service_process_takes_a_ticket_publishes_it_and_stops_cleanly(
    intake_settings, shop_orders, tmp_path
):
    port = free_port()
    env = {
        **intake_env(intake_settings),
        "SOPORTE_INTAKE_PORT": str(port),
        "SOPORTE_SHOP_SECRET": SHOP_SECRET,
        "SOPORTE_INTAKE_ATTACHMENTS_DIR": str(tmp_path / "files"),
        "SOPORTE_INTAKE_GROUP_ID": intake_settings.group_id,
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "soporte.intake"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    base = f"http://127.0.0.1:{port}"
    try:
        async with aiohttp.ClientSession() as session:
            await wait_until_ready(session, base, process)
            await shop_orders("400001", "ana@example.com", customer_id="cust-1")
            token = customer_token()
            for _ in range(100):  # the order arrives through the process's own orders reader
                async with session.get(f"{base}/api/v1/me/orders", headers=bearer(token)) as mine:
                    if (await mine.json())["items"]:
                        break
                await asyncio.sleep(0.3)
            async with session.post(
                f"{base}/api/v1/tickets",
                headers=bearer(token),
                json={
                    "category": "order_status",
                    "description": "¿Cuándo llega?",
                    "customer_name": "Ana",
                    "order_number": "400001",
                },
            ) as sent:
                assert sent.status == 201, await sent.text()
                ticket_id = (await sent.json())["ticket_id"]
        seen = await ticket_events(
            intake_settings.kafka_bootstrap,
            intake_settings.topic_prefix,
            lambda s: any(e.ticket_id == ticket_id for e in s),
        )
        (event,) = [e for e in seen if e.ticket_id == ticket_id]
        assert isinstance(event, t.TicketSubmitted) and event.data.order_number == "400001"
    finally:
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=30)
        log = process.stderr.read().decode(errors="replace")
    assert code == 0, log  # SIGTERM: the server, relay and orders reader stop in order


@pytest.mark.parametrize(
    ("module", "secrets", "refusal"),
    [
        ("soporte.intake", {}, "SOPORTE_SHOP_SECRET is the development default"),
        (
            "soporte.intake",
            {"SOPORTE_SHOP_SECRET": "s" * 40, "SOPORTE_DESK_SECRET": "short"},
            "SOPORTE_DESK_SECRET is shorter than 32 bytes",
        ),
        ("soporte.notifier", {}, "SOPORTE_DESK_SECRET is the development default"),
    ],
)
def test_in_production_a_service_with_a_weak_secret_refuses_to_start_with_one_line(module, secrets, refusal):
    env = {k: v for k, v in os.environ.items() if not k.startswith("SOPORTE_")} | {"SOPORTE_ENV": "production"}
    result = subprocess.run(
        [sys.executable, "-m", module], env=env | secrets, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 78, result.stderr
    (line,) = result.stderr.strip().splitlines()  # one line, no traceback
    assert refusal in line and line.startswith("soporte: refusing to start in production")
