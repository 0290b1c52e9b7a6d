"""Two SLA workers in one consumer group: the ticket partitions are shared, and a killed worker's move to the other."""

from __future__ import annotations

import asyncio
import json
import re
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
from aiokafka.partitioner import DefaultPartitioner

from soporte.businesstime import load_calendar
from soporte.events import SLA_ESCALATIONS, TICKET_EVENTS, encode, event_key
from soporte.events import types as t
from soporte.platform.kafka import make_producer
from soporte.ticketrules import SlaRules, load_policies, replay_escalations
from tests.integration.sla.conftest import SlaProcess
from tests.support.scenario import Stream

# Only the first-response clock runs out during a test: attention (and its warning) is far away.
POLICY = "warning_fraction: 0.8\ndefault: {{first_response: {first}s, next_response: 4s, attention: 600s}}\n"
PER_PARTITION = 2


def spread_tickets() -> list[Stream]:
    """Tickets with ids falling PER_PARTITION on each partition of the ticket topic (the producer's partitioner)."""
    partitioner, partitions = DefaultPartitioner(), list(range(TICKET_EVENTS.partitions))
    by_partition: dict[int, list[Stream]] = {p: [] for p in partitions}
    while any(len(tickets) < PER_PARTITION for tickets in by_partition.values()):
        ticket = Stream()
        tickets = by_partition[partitioner(ticket.ticket_id.encode("utf-8"), partitions, partitions)]
        if len(tickets) < PER_PARTITION:
            tickets.append(ticket)
    return [ticket for tickets in by_partition.values() for ticket in tickets]


def escalations_of(seen, kind) -> list:
    return [e for e in seen if isinstance(e, kind)]


def assert_exactly_once(seen, tickets: list[Stream]) -> None:
    """One warning and one breach per ticket: no event id twice, no (ticket, type, clock, level) twice, none missing."""
    ids = Counter(e.event_id for e in seen)
    assert all(n == 1 for n in ids.values()), [i for i, n in ids.items() if n > 1]
    keys = Counter((e.ticket_id, type(e).__name__, e.data.clock, e.data.level) for e in seen)
    assert all(n == 1 for n in keys.values()), [k for k, n in keys.items() if n > 1]
    expected = {
        (ticket.ticket_id, kind, t.SlaClock.FIRST_RESPONSE, level)
        for ticket in tickets
        for kind, level in (("SlaWarning", 1), ("SlaBreached", 2))
    }
    assert set(keys) == expected, {"missing": expected - set(keys), "unexpected": set(keys) - expected}


async def escalations_raised(process: SlaProcess) -> float:
    """This worker's ``sla_escalations_total`` (all types and clocks) from its /metrics."""
    url = f"http://127.0.0.1:{process.env['SOPORTE_SLA_PORT']}/metrics"
    async with aiohttp.ClientSession() as http, http.get(url) as response:
        text = await response.text()
    return sum(float(v) for v in re.findall(r"^sla_escalations_total\{[^}]*\} (\S+)$", text, re.MULTILINE))


def log_records(process: SlaProcess) -> list[dict]:
    """The worker's JSON log lines."""
    return [json.loads(line) for line in process.log.read_text().splitlines() if line.startswith("{")]


async def two_workers_settled(start, policy: Path) -> tuple[SlaProcess, SlaProcess]:
    """Start one worker, then a second, and wait until the first has recovered after the second joined.

    Tickets submitted after this are shared between the two for the whole test (no partition moves), so
    each worker's own escalations can be checked; records arriving during a rebalance are the takeover tests' job.
    """
    first = await start(SOPORTE_SLA_POLICY_FILE=str(policy)).ready()
    second = await start(SOPORTE_SLA_POLICY_FILE=str(policy)).ready()
    loop = asyncio.get_running_loop()
    end = loop.time() + 60
    while sum(r["event"] == "sla heap rebuilt" for r in log_records(first)) < 2:
        assert loop.time() < end, "the first worker never recovered after the second joined"
        await asyncio.sleep(0.2)
    await first.ready()  # /readyz waits for the end of the rebalance too
    return first, second


def tickets_in_log(process: SlaProcess, kind: str) -> set[str]:
    """Tickets this worker logged an escalation of ``kind`` for (``escalation raised`` lines)."""
    return {r["ticket_id"] for r in log_records(process) if r["event"] == "escalation raised" and r["type"] == kind}


async def test_two_workers_share_the_partitions_and_raise_each_escalation_once(
    sla_process, publish, escalations, tmp_path
):
    policy = tmp_path / "policy-4s.yaml"
    policy.write_text(POLICY.format(first=4))
    first, second = await two_workers_settled(sla_process, policy)

    tickets = spread_tickets()
    t0 = datetime.now(UTC)
    await publish(*(ticket.submitted(t0) for ticket in tickets))

    seen = await escalations.wait_for(lambda s: len(escalations_of(s, t.SlaBreached)) >= len(tickets), timeout=60)
    await escalations.listen(2.0)  # room for a late duplicate
    assert_exactly_once(escalations.seen, tickets)

    # Both did work: each raised some of them, and together all of them (nothing raised twice).
    raised = [await escalations_raised(first), await escalations_raised(second)]
    assert all(n > 0 for n in raised), raised
    assert sum(raised) == len(seen) == 2 * len(tickets), raised
    assert tickets_in_log(first, "SlaBreached").isdisjoint(tickets_in_log(second, "SlaBreached"))
    assert first.stop() == 0 and second.stop() == 0


async def test_a_killed_workers_tickets_breach_once_on_the_survivor(sla_process, publish, escalations, tmp_path):
    # Warning at 12 s, breach at 15 s: the kill lands between the two.
    policy = tmp_path / "policy-15s.yaml"
    policy.write_text(POLICY.format(first=15))
    doomed, survivor = await two_workers_settled(sla_process, policy)

    tickets = spread_tickets()
    t0 = datetime.now(UTC)
    await publish(*(ticket.submitted(t0) for ticket in tickets))
    await escalations.wait_for(lambda s: len(escalations_of(s, t.SlaWarning)) >= len(tickets), timeout=60)
    assert datetime.now(UTC) < t0 + timedelta(seconds=15), "too slow: the breaches are already due"
    doomed.kill()  # SIGKILL, mid-clock: no chance to leave the group or flush anything
    orphaned = tickets_in_log(doomed, "SlaWarning")
    assert orphaned, "the killed worker had no tickets"
    assert "SlaBreached" not in doomed.log.read_text()

    # The group notices after the session timeout; the survivor recovers the table and raises the rest.
    await escalations.wait_for(lambda s: len(escalations_of(s, t.SlaBreached)) >= len(tickets), timeout=60)
    await escalations.listen(2.0)
    assert_exactly_once(escalations.seen, tickets)
    assert orphaned <= tickets_in_log(survivor, "SlaBreached")
    assert survivor.stop() == 0


async def test_an_escalation_published_by_a_dead_worker_after_the_survivors_start_is_not_raised_again(
    sla_process, publish, escalations, sla_env, tmp_path, kafka_bootstrap, topic_prefix
):
    """What a worker killed between publishing a warning and its table write leaves behind, made on purpose.

    The warning is on the topic but not marked fired in the table, and it appeared after the survivor
    read the topic back at start; the survivor takes the ticket over through a rebalance and must not raise it again.
    """
    policy = tmp_path / "policy-25s.yaml"
    policy.write_text(POLICY.format(first=25))  # warning at 20 s: time for a join and a kill first
    survivor = await sla_process(SOPORTE_SLA_POLICY_FILE=str(policy)).ready()
    ticket, t0 = Stream(), datetime.now(UTC)
    submitted = ticket.submitted(t0)
    await publish(submitted)

    # The warning the dead worker would have raised (same derived id), put on the topic behind the survivor's back.
    rules = SlaRules(load_calendar(Path(sla_env["SOPORTE_CALENDAR_FILE"])), load_policies(policy))
    raised = replay_escalations([submitted], rules, up_to=t0 + timedelta(seconds=20)).values()
    [warning] = [e for e in raised if isinstance(e, t.SlaWarning)]
    producer = make_producer(kafka_bootstrap)
    await producer.start()
    try:
        await producer.send_and_wait(SLA_ESCALATIONS.name(topic_prefix), encode(warning), key=event_key(warning))
    finally:
        await producer.stop()

    # A second worker joins and is killed: every partition is assigned to the survivor again (a recovery).
    other = await sla_process(SOPORTE_SLA_POLICY_FILE=str(policy)).ready()
    other.kill()
    await escalations.wait_for(lambda s: escalations_of(s, t.SlaBreached), timeout=60)
    await escalations.listen(2.0)
    ids = Counter(e.event_id for e in escalations.seen)
    assert ids[warning.event_id] == 1 and len(ids) == 2 and all(n == 1 for n in ids.values()), ids
    assert tickets_in_log(survivor, "SlaWarning") == set()
    assert tickets_in_log(survivor, "SlaBreached") == {ticket.ticket_id}
    assert survivor.stop() == 0
