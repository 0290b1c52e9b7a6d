"""Two SLA workers in one consumer group: the ticket partitions are shared, and a killed worker's move to the other."""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import UTC, datetime, timedelta

import aiohttp
from aiokafka.partitioner import DefaultPartitioner

from soporte.events import TICKET_EVENTS
from soporte.events import types as t
from tests.integration.sla.conftest import SlaProcess
from tests.unit.sla.scenario import Stream

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


def tickets_in_log(process: SlaProcess, kind: str) -> set[str]:
    """Tickets this worker logged an escalation of ``kind`` for (``escalation raised`` lines)."""
    return {r["ticket_id"] for r in log_records(process) if r["event"] == "escalation raised" and r["type"] == kind}


async def test_two_workers_share_the_partitions_and_raise_each_escalation_once(sla_process, publish, escalations, tmp_path):
    policy = tmp_path / "policy-4s.yaml"
    policy.write_text(POLICY.format(first=4))
    first = sla_process(SOPORTE_SLA_POLICY_FILE=str(policy))
    second = sla_process(SOPORTE_SLA_POLICY_FILE=str(policy))
    await first.ready()
    await second.ready()

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
    doomed = sla_process(SOPORTE_SLA_POLICY_FILE=str(policy))
    survivor = sla_process(SOPORTE_SLA_POLICY_FILE=str(policy))
    await doomed.ready()
    await survivor.ready()

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
