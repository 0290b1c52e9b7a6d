"""Many takeovers under load: no ticket without a clock, no escalation missed or raised twice (``make test-scale``).

Two workers share the group while tickets arrive at a steady, bounded rate (keyed by ticket id, encoded with
the shared codec, as the outbox relay publishes them). Again and again one worker is SIGKILLed with clocks
running, the other takes its partitions over, and the killed one is started again and takes some back; about
one restarted worker in three is killed again as soon as it is ready, while the other may still be recovering
from its join. At the end every ticket must have an up-to-date clock on the changelog (``soporte sla audit``'s
check) and every ticket one warning and one breach, each once. ``SOPORTE_TEST_TAKEOVERS`` (20) sets the number
of takeovers, ``SOPORTE_TEST_SEED`` replays a run's choices (printed at the start).
"""

from __future__ import annotations

import asyncio
import os
import random
import time
from collections import Counter
from datetime import UTC, datetime

import pytest

from soporte.events import TICKET_EVENTS, encode, event_key
from soporte.events import types as t
from soporte.platform.kafka import make_producer
from soporte.sla.adapters.audit import audit_clocks
from tests.integration.sla.conftest import SlaProcess
from tests.integration.sla.test_sla_scale_out import log_records
from tests.support.scenario import Stream

TAKEOVERS = int(os.environ.get("SOPORTE_TEST_TAKEOVERS", "20"))
TICKETS_PER_SECOND = 2.0
FIRST_RESPONSE = 12  # seconds: warning at 9.6 s, so every kill lands on running clocks
POLICY = (
    f"warning_fraction: 0.8\ndefault: {{first_response: {FIRST_RESPONSE}s, next_response: 600s, attention: 3600s}}\n"
)
SETTLE_TIMEOUT = 90.0  # a takeover or a join not done by then is a hang


class SteadyLoad:
    """Submits tickets at a fixed rate until stopped; every other ticket gets a second event (an internal note)."""

    def __init__(self, bootstrap: str, prefix: str) -> None:
        self.producer = make_producer(bootstrap)
        self.topic = TICKET_EVENTS.name(prefix)
        self.tickets: list[str] = []
        self.placed: dict[str, tuple[int, int, float]] = {}  # ticket id -> partition, offset, seconds into the load
        self.stopped = asyncio.Event()

    async def run(self) -> None:
        await self.producer.start()
        try:
            loop = asyncio.get_running_loop()
            next_at = started = loop.time()
            while not self.stopped.is_set():
                ticket, now = Stream(), datetime.now(UTC)
                events = [ticket.submitted(now)]
                if len(self.tickets) % 2:
                    events.append(ticket.note(now))
                for event in events:
                    sent = await self.producer.send_and_wait(self.topic, encode(event), key=event_key(event))
                self.tickets.append(ticket.ticket_id)
                self.placed[ticket.ticket_id] = (sent.partition, sent.offset, round(loop.time() - started, 1))
                next_at += 1 / TICKETS_PER_SECOND
                await asyncio.sleep(max(next_at - loop.time(), 0))
        finally:
            await self.producer.stop()


def rebuilds(process: SlaProcess) -> int:
    """How many recoveries this worker has finished (one ``sla heap rebuilt`` line each)."""
    return sum(r.get("event") == "sla heap rebuilt" for r in log_records(process))


async def recovered_again(process: SlaProcess, before: int, what: str) -> None:
    """Wait until ``process`` has finished a recovery after ``before`` and serves /readyz; a hang fails the test."""
    loop = asyncio.get_running_loop()
    end = loop.time() + SETTLE_TIMEOUT
    while rebuilds(process) <= before:
        if loop.time() > end:
            tail = "\n".join(process.log.read_text().splitlines()[-40:])
            raise AssertionError(f"{what}: no recovery within {SETTLE_TIMEOUT:.0f}s (a hang). Log tail:\n{tail}")
        assert process.proc is not None and process.proc.poll() is None, f"{what}: the worker died"
        await asyncio.sleep(0.2)
    await process.ready(timeout=SETTLE_TIMEOUT)


@pytest.mark.scale
@pytest.mark.timeout(900)
async def test_takeovers_under_load_lose_no_clock_and_escalate_each_once(
    sla_process, escalations, kafka_bootstrap, topic_prefix, sla_env, tmp_path, capsys
):
    def progress(line: str) -> None:
        with capsys.disabled():
            print(f"[takeovers] {line}", flush=True)

    policy = tmp_path / "policy-takeovers.yaml"
    policy.write_text(POLICY)
    seed = int(os.environ.get("SOPORTE_TEST_SEED", str(random.randrange(1 << 30))))
    rng = random.Random(seed)
    started = time.monotonic()
    progress(f"{TAKEOVERS} takeovers, {TICKETS_PER_SECOND:g} tickets/s, seed {seed}")

    def start() -> SlaProcess:
        everyone.append(sla_process(SOPORTE_SLA_POLICY_FILE=str(policy)))
        return everyone[-1]

    everyone: list[SlaProcess] = []  # every worker started, for their logs
    workers = [await start().ready()]
    before = rebuilds(workers[0])
    workers.append(await start().ready())
    await recovered_again(workers[0], before, "the first worker after the second joined")

    load = SteadyLoad(kafka_bootstrap, topic_prefix)
    submitting = asyncio.create_task(load.run())
    try:
        just_joined: int | None = None  # the slot of a worker killed again right after its restart
        for n in range(1, TAKEOVERS + 1):
            if just_joined is not None:
                # Killed as soon as it serves /readyz: the survivor may still be recovering from its join.
                victim_slot, pause = just_joined, 0.0
            else:
                victim_slot, pause = rng.randrange(2), rng.uniform(0.5, 4.0)  # the kill lands anywhere
            victim, survivor = workers[victim_slot], workers[1 - victim_slot]
            await asyncio.sleep(pause)
            before = rebuilds(survivor)
            kill_at, kill_wall = time.monotonic(), datetime.now(UTC)
            victim.kill()
            await recovered_again(survivor, before, f"takeover {n}")
            took_over = time.monotonic() - kill_at

            before = rebuilds(survivor)
            workers[victim_slot] = restarted = await start().ready(timeout=SETTLE_TIMEOUT)
            just_joined = victim_slot if n < TAKEOVERS and rng.random() < 0.3 else None
            if just_joined is None:
                await recovered_again(survivor, before, f"rejoin after takeover {n}")
                await restarted.ready(timeout=SETTLE_TIMEOUT)
            progress(
                f"takeover {n}/{TAKEOVERS}{' (right after a join)' if pause == 0.0 else ''}: "
                f"{victim.log.name} killed at {kill_wall:%H:%M:%S.%f}, survivor recovered in {took_over:.1f}s, "
                f"{'restarted' if just_joined is None else 'restarted, to be killed at once'}; "
                f"{len(load.tickets)} tickets, {len(escalations.seen)} escalations so far, "
                f"{time.monotonic() - started:.0f}s"
            )
            await escalations.listen(0.1)
    finally:
        load.stopped.set()
        await submitting

    # Every clock started has run out (plus room for a timer tick and a publish): all is raised by now.
    tickets = set(load.tickets)
    expected = {
        (ticket, kind, t.SlaClock.FIRST_RESPONSE, level)
        for ticket in tickets
        for kind, level in (("SlaWarning", 1), ("SlaBreached", 2))
    }

    def keys(seen) -> set:
        return {(e.ticket_id, type(e).__name__, e.data.clock, e.data.level) for e in seen}

    await asyncio.sleep(FIRST_RESPONSE)
    try:
        await escalations.wait_for(lambda seen: expected <= keys(seen), timeout=60)
    except AssertionError:
        pass  # counted, reported and asserted below
    await escalations.listen(3.0)  # room for a late duplicate
    seen = escalations.seen
    by_id = Counter(e.event_id for e in seen)
    by_key = Counter((e.ticket_id, type(e).__name__, e.data.clock, e.data.level) for e in seen)

    changelog = f"{topic_prefix}{sla_env['SOPORTE_SLA_APP_ID']}-clocks-changelog"
    audit = await audit_clocks(kafka_bootstrap, TICKET_EVENTS.name(topic_prefix), changelog, wait_seconds=10)
    hangs = sum("No event received for active tp" in str(r.get("event")) for w in everyone for r in log_records(w))
    results = {
        "tickets": len(tickets),
        "takeovers": TAKEOVERS,
        "tickets without a clock": len(audit.without_clock),
        "clocks behind their ticket": len(audit.behind),
        "missed escalations": len(expected - set(by_key)),
        "duplicate escalations by id": sum(n - 1 for n in by_id.values()),
        "duplicate escalations by ticket/type/clock/level": sum(n - 1 for n in by_key.values()),
        "recovery stall warnings": hangs,
        "seconds": round(time.monotonic() - started),
    }
    progress(", ".join(f"{name}: {value}" for name, value in results.items()))

    def placed(ticket: str) -> str:
        partition, offset, second = load.placed[ticket]
        return f"{ticket} (partition {partition}, offset {offset}, {second}s into the load)"

    assert set(audit.tickets) == tickets
    assert audit.without_clock == [], [placed(ticket) for ticket in audit.without_clock]
    assert audit.behind == {}, audit.behind
    assert expected <= set(by_key), [f"{kind} of {placed(ticket)}" for ticket, kind, *_ in expected - set(by_key)][:20]
    assert set(by_key) <= expected, sorted(set(by_key) - expected)[:20]
    assert all(n == 1 for n in by_id.values()), [i for i, n in by_id.items() if n > 1]
    assert all(n == 1 for n in by_key.values()), [k for k, n in by_key.items() if n > 1]
