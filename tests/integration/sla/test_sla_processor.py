"""The SLA worker against the real broker: warnings, breaches, pauses, crashes, replays, the ops view."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta

from soporte.events import deterministic_id
from soporte.events import types as t
from soporte.platform.kafka import make_consumer
from tests.integration.sla.conftest import FAST_POLICY
from tests.support.scenario import Stream

S = timedelta(seconds=1)


def of(events, ticket_id, kind=None):
    return [e for e in events if e.ticket_id == ticket_id and (kind is None or isinstance(e, kind))]


async def test_unanswered_warns_then_breaches_answered_raises_nothing_clarification_answers(
    sla_process, publish, escalations
):
    t0 = datetime.now(UTC)
    unanswered, answered, clarified = Stream(), Stream(), Stream()
    await publish(unanswered.submitted(t0), answered.submitted(t0), clarified.submitted(t0))
    await publish(answered.agent_replied(t0 + S))
    # A clarification at 2 s answers the customer; their answer at 8 s starts the next-response clock.
    await publish(clarified.clarification(t0 + 2 * S), clarified.customer_replied(t0 + 8 * S))
    sla_process()

    seen = await escalations.wait_for(lambda s: of(s, unanswered.ticket_id, t.SlaBreached), timeout=60)
    [warning] = of(seen, unanswered.ticket_id, t.SlaWarning)
    [breach] = of(seen, unanswered.ticket_id, t.SlaBreached)
    assert warning.data.clock == breach.data.clock == t.SlaClock.FIRST_RESPONSE
    assert breach.data.deadline == t0 + 4 * S and breach.data.level == 2 and "ops" in breach.data.notify
    assert warning.data.level == 1 and warning.data.notify == ["team-lead"] and warning.data.elapsed_seconds == 3
    assert breach.event_id == deterministic_id(unanswered.ticket_id, "first_response", 2, (t0 + 4 * S).isoformat())

    # Next response from 8 s (4 s target): due at 12 s; the first response was answered at 2 s.
    seen = await escalations.wait_for(lambda s: of(s, clarified.ticket_id, t.SlaBreached), timeout=60)
    [clarified_breach] = of(seen, clarified.ticket_id, t.SlaBreached)
    assert clarified_breach.data.clock == t.SlaClock.NEXT_RESPONSE
    assert clarified_breach.data.deadline == t0 + 12 * S
    assert clarified_breach.data.elapsed_seconds == 4
    assert [w.data.clock for w in of(seen, clarified.ticket_id, t.SlaWarning)] == [t.SlaClock.NEXT_RESPONSE]

    # Well past every first-response deadline: the ticket answered in time raised nothing.
    while datetime.now(UTC) < t0 + 14 * S:
        await escalations.listen(0.5)
    assert of(escalations.seen, answered.ticket_id) == []


async def changelog_keys(bootstrap: str, topic: str) -> set[str]:
    consumer = make_consumer(bootstrap, topic, group_id=None)
    await consumer.start()
    try:
        keys: set[str] = set()
        for records in (await consumer.getmany(timeout_ms=3000)).values():
            keys.update(r.key.decode() for r in records)
        return keys
    finally:
        await consumer.stop()


async def test_killed_mid_clock_breaches_once_after_restart_and_a_replay_raises_no_new_ids(
    sla_process, publish, escalations, sla_env, kafka_bootstrap, topic_prefix, tmp_path
):
    # Slower first response here (warning at 6.4 s, breach at 8 s): room to kill between the two.
    policy = tmp_path / "slow-policy.yaml"
    policy.write_text(FAST_POLICY.replace("first_response: 4s", "first_response: 8s"))
    first = await sla_process(SOPORTE_SLA_POLICY_FILE=str(policy)).ready()
    t0 = datetime.now(UTC)
    ticket = Stream()
    await publish(ticket.submitted(t0))
    await escalations.wait_for(lambda s: of(s, ticket.ticket_id, t.SlaWarning), timeout=60)
    first.kill()  # mid-clock: warned, breach due in under two seconds
    assert "SlaBreached" not in first.log.read_text()

    restarted = sla_process(SOPORTE_SLA_POLICY_FILE=str(policy))
    seen = await escalations.wait_for(lambda s: of(s, ticket.ticket_id, t.SlaBreached), timeout=60)
    assert len(of(seen, ticket.ticket_id, t.SlaBreached)) == 1
    await restarted.ready()
    assert restarted.stop() == 0  # SIGTERM: a clean exit
    assert "SlaBreached" in restarted.log.read_text()
    # The clocks were in the table's changelog topic (JSON keys), not in a database.
    changelog = f"{topic_prefix}{sla_env['SOPORTE_SLA_APP_ID']}-clocks-changelog"
    assert f'"{ticket.ticket_id}"' in await changelog_keys(kafka_bootstrap, changelog)

    # A new app id: a new consumer group and an empty table, so the topic is replayed from the start.
    replay = sla_process(
        SOPORTE_SLA_APP_ID=f"{sla_env['SOPORTE_SLA_APP_ID']}-replay", SOPORTE_SLA_POLICY_FILE=str(policy)
    )
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
        sys.executable,
        "-m",
        "soporte.cli.main",
        "escalations",
        "watch",
        "--from-beginning",
        "--level",
        "2",
        "--max",
        "1",
        "--timeout",
        "60",
        env=sla_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(watch.communicate(), timeout=90)
    assert watch.returncode == 0, err.decode()
    [line] = out.decode().splitlines()
    assert "BREACH" in line and "level=2" in line and "clock=first_response" in line
    assert f"ticket={ticket.ticket_id}" in line or f"ticket={probe.ticket_id}" in line
