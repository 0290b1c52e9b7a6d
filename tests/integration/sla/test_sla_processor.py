"""The SLA processor against the real broker: warnings, breaches, pauses, crashes, replays, the ops view."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta

import asyncpg

from soporte.events import deterministic_id
from soporte.events import types as t
from tests.unit.sla.scenario import Stream

S = timedelta(seconds=1)


def of(events, ticket_id, kind=None):
    return [e for e in events if e.ticket_id == ticket_id and (kind is None or isinstance(e, kind))]


async def test_unanswered_warns_then_breaches_answered_raises_nothing_clarification_pauses(
    sla_process, publish, escalations
):
    t0 = datetime.now(UTC)
    unanswered, answered, clarified = Stream(), Stream(), Stream()
    await publish(unanswered.submitted(t0), answered.submitted(t0), clarified.submitted(t0))
    await publish(answered.agent_replied(t0 + S))
    # Waiting on the customer from 2 s to 8 s: the clock must stand still meanwhile.
    await publish(clarified.clarification(t0 + 2 * S), clarified.customer_replied(t0 + 8 * S))
    sla_process()

    seen = await escalations.wait_for(lambda s: of(s, unanswered.ticket_id, t.SlaBreached), timeout=60)
    [warning] = of(seen, unanswered.ticket_id, t.SlaWarning)
    [breach] = of(seen, unanswered.ticket_id, t.SlaBreached)
    assert warning.data.clock == breach.data.clock == t.SlaClock.FIRST_RESPONSE
    assert breach.data.deadline == t0 + 4 * S and breach.data.level == 2 and "ops" in breach.data.notify
    assert warning.data.level == 1 and warning.data.notify == ["team-lead"] and warning.data.elapsed_seconds == 3
    assert breach.event_id == deterministic_id(unanswered.ticket_id, "first_response", 2, (t0 + 4 * S).isoformat())

    # Resumed at 8 s with 2 s used: the deadline is 10 s, not 4 s.
    seen = await escalations.wait_for(lambda s: of(s, clarified.ticket_id, t.SlaBreached), timeout=60)
    [clarified_breach] = of(seen, clarified.ticket_id, t.SlaBreached)
    assert clarified_breach.data.deadline == t0 + 10 * S
    assert clarified_breach.data.elapsed_seconds == 4
    assert len(of(seen, clarified.ticket_id, t.SlaWarning)) == 1

    # Well past every first-response deadline: the ticket answered in time raised nothing.
    while datetime.now(UTC) < t0 + 12 * S:
        await escalations.listen(0.5)
    assert of(escalations.seen, answered.ticket_id) == []


async def test_killed_mid_clock_breaches_once_after_restart_and_a_replay_raises_no_new_ids(
    sla_process, publish, escalations, sla_env, pg_dsn
):
    first = sla_process()
    t0 = datetime.now(UTC)
    ticket = Stream()
    await publish(ticket.submitted(t0))
    await escalations.wait_for(lambda s: of(s, ticket.ticket_id, t.SlaWarning), timeout=60)
    first.kill()  # mid-clock: warned, breach due in under a second

    restarted = sla_process()
    seen = await escalations.wait_for(lambda s: of(s, ticket.ticket_id, t.SlaBreached), timeout=60)
    assert len(of(seen, ticket.ticket_id, t.SlaBreached)) == 1
    assert restarted.stop() == 0  # SIGTERM: a clean exit

    # A new run over the same data (new app id, no saved state) replays the topic from the start.
    conn = await asyncpg.connect(pg_dsn)
    try:
        assert await conn.fetchval("SELECT count(*) FROM sla.ticket_clocks") == 1  # the state was in PostgreSQL
        await conn.execute("DROP SCHEMA sla CASCADE; DELETE FROM soporte_migrations WHERE service = 'sla'")
    finally:
        await conn.close()
    replay = sla_process(SOPORTE_SLA_APP_ID="sla-replay")
    probe = Stream()
    await publish(probe.submitted(datetime.now(UTC)))
    await escalations.wait_for(lambda s: of(s, probe.ticket_id, t.SlaBreached), timeout=60)
    await escalations.listen(1.5)
    ids = Counter(e.event_id for e in escalations.seen)
    assert all(count == 1 for count in ids.values()), ids
    assert [type(e).__name__ for e in of(escalations.seen, ticket.ticket_id)] == ["SlaWarning", "SlaBreached"]
    assert replay.stop() == 0

    # The ops view shows that breach as a readable line.
    watch = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "soporte.cli.main", "escalations", "watch", "--from-beginning", "--level", "2",
        "--max", "1", "--timeout", "60",
        env=sla_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(watch.communicate(), timeout=90)
    assert watch.returncode == 0, err.decode()
    [line] = out.decode().splitlines()
    assert "BREACH" in line and "level=2" in line and "clock=first_response" in line
    assert f"ticket={ticket.ticket_id}" in line or f"ticket={probe.ticket_id}" in line
