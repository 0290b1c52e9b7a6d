"""The operators' SLA commands as people run them, against a real intake and Kafka: explain a ticket, preview a
new policy's moves, record them on the tickets (once, however often it is run)."""

from __future__ import annotations

import asyncio
import sys
from datetime import UTC, datetime, timedelta

from soporte.events import types as t
from tests.support.intake import bearer, customer_token, intake_env, ticket_events

NEW_POLICY = "id: soporte\nversion: 2\nwarning_fraction: 0.8\ndefault: {first_response: 10m, attention: 24h}\n"


async def soporte(env: dict[str, str], *args: str) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "soporte.cli.main", *args, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    out, _ = await asyncio.wait_for(process.communicate(), timeout=120)
    return process.returncode, out.decode()


async def test_diff_recalculate_once_and_explain(client, agent_token, intake_settings, tmp_path):
    started = datetime.now(UTC)
    submitted = await client.post(
        "/api/v1/tickets",
        headers=bearer(customer_token()),
        json={"category": "other", "description": "¿Tienen la pantalla de 15 pulgadas?", "customer_name": "Ana"},
    )
    ticket_id = (await submitted.json())["ticket_id"]
    await ticket_events(intake_settings.kafka_bootstrap, intake_settings.topic_prefix, lambda s: len(s) >= 1)
    policy = tmp_path / "policy-v2.yaml"
    policy.write_text(NEW_POLICY)
    env = {**intake_env(intake_settings), "SOPORTE_SLA_INTAKE_TOKEN": agent_token}

    code, out = await soporte(env, "sla", "policy", "diff", str(policy))
    assert code == 0, out
    assert f"{ticket_id} first_response: deadline" in out and "policy soporte v1 -> soporte v2" in out
    assert "1 running clock(s) would move" in out  # attention's 24 h is the same in both
    code, out = await soporte(env, "sla", "policy", "diff", str(policy), "--effective-at", "2099-01-01T00:00:00+00:00")
    assert code == 0 and "0 running clock(s) would move" in out, out

    intake_url = str(client.make_url("/"))
    effective = (started - timedelta(minutes=1)).isoformat()
    recalculate = (
        "sla",
        "recalculate",
        "--policy",
        str(policy),
        "--effective-at",
        effective,
        "--intake-url",
        intake_url,
    )
    code, out = await soporte(env, *recalculate)
    assert code == 0 and "1 deadline change(s) recorded, 0 refused" in out, out
    # Again, at once and later: the clock already has the new targets, or the same idempotency key (clock and
    # policy) answers the first request's outcome; either way nothing is recorded twice.
    for _ in range(2):
        code, out = await soporte(env, *recalculate)
        assert code == 0 and "0 refused" in out, out
    await asyncio.sleep(1)  # room for a second change to be published, were there one
    events = await ticket_events(intake_settings.kafka_bootstrap, intake_settings.topic_prefix, lambda s: len(s) >= 2)
    changes = [e for e in events if isinstance(e, t.SlaDeadlineChanged)]
    assert len(changes) == 1 and changes[0].data.policy_version == 2 and changes[0].data.target_seconds == 600
    assert changes[0].data.new_deadline < changes[0].data.old_deadline

    code, out = await soporte(env, "sla", "explain", ticket_id)
    assert code == 0, out
    assert "first_response: running" in out and "policy soporte v2" in out and "last moved by SlaDeadlineChanged" in out
    assert "attention: running" in out and "policy soporte v1" in out
    code, out = await soporte(env, "sla", "policy", "diff", str(policy))
    assert "0 running clock(s) would move" in out, out
    code, out = await soporte(env, "sla", "explain", "T-0000000000")
    assert code == 1 and "no ticket T-0000000000" in out
