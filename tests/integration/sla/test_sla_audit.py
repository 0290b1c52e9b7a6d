"""``soporte sla audit``: tickets on the ticket topic without a clock, or whose clock missed events, are reported."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from datetime import UTC, datetime

from tests.support.scenario import Stream


async def audit(env: dict[str, str], *args: str) -> tuple[int, str, str]:
    """Run ``soporte sla audit`` as an operator does; returns (exit status, stdout, stderr)."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "soporte.cli.main",
        "sla",
        "audit",
        *args,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=120)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def test_audit_reports_a_ticket_without_a_clock_and_a_clock_behind_then_nothing_once_processed(
    sla_process, publish, sla_env
):
    t0 = datetime.now(UTC)
    seen, missed, unseen = Stream(), Stream(), Stream()
    await publish(seen.submitted(t0), missed.submitted(t0))
    worker = await sla_process().ready()

    # Everything processed: the audit finds every clock up to date (waiting for the worker if need be).
    status, out, err = await audit(sla_env, "--wait", "30")
    assert status == 0, out + err
    assert "2 tickets" in out and "0 without a clock, 0 behind" in out
    assert "[audit]" in err  # progress lines go to stderr

    # With no worker running, a new ticket gets no clock and a new event of a known ticket is not seen.
    assert worker.stop() == 0
    await publish(unseen.submitted(t0), missed.note(t0))
    status, out, err = await audit(sla_env)
    assert status == 1, out + err
    assert f"NO CLOCK ticket={unseen.ticket_id} last_version=1" in out
    assert f"BEHIND   ticket={missed.ticket_id} clock_version=1 last_version=2" in out
    assert seen.ticket_id not in out
    assert "3 tickets, 2 clocks: 1 without a clock, 1 behind" in out

    # A worker catches up; the audit reads the changelog again while something is missing.
    await sla_process().ready()
    status, out, err = await audit(sla_env, "--wait", "30")
    assert status == 0, out + err
    assert "3 tickets, 3 clocks: 0 without a clock, 0 behind" in out
