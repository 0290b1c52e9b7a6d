"""The chaos harness: rounds of load during which one component is SIGKILLed at a random moment and started again,
each round followed by every check (``checks``, ``fresh``), on a private stack nobody else uses.

Components: the Kafka broker, PostgreSQL, and each service (intake with its relay, a relay alone, the notifier,
projections, the SLA worker, mail-in). A service that exits without being killed broke the rule that an outage
never ends a service: a violation (it is started again, as ``soporte run`` would). The report counts requests,
what was accepted and refused, the faults and the violations, per round and in all.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg

from soporte.intake.settings import IntakeSettings
from tests.support.intake import create_agent

from . import checks, fresh
from .desk import SERVICES, ChaosDesk, chaos_desk, wait_up
from .load import Load
from .stack import PrivateStack

COMPONENTS = ("kafka", "postgres", *SERVICES)


@dataclass
class Report:
    rounds: Counter = field(default_factory=Counter)  # component -> rounds
    faults: int = 0
    checked: Counter = field(default_factory=Counter)  # what the last round's checks went over (all so far)
    violations: list[str] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)

    def say(self, line: str) -> None:
        self.lines.append(line)
        print(f"[chaos] {line}", flush=True)


async def run_chaos(home: Path, components: list[str], rounds: int, load_seconds: float, seed: int) -> Report:
    """``rounds`` rounds per component in ``components``, in a random order (``seed``)."""
    rng, report = random.Random(seed), Report()
    plan = [c for c in components for _ in range(rounds)]
    rng.shuffle(plan)
    stack = PrivateStack.under(home / "stack")
    await stack.up()
    desk = chaos_desk(stack, home)
    try:
        await asyncio.to_thread(desk.start_all)
        agent = _agent(desk)
        load = Load(desk.intake, desk.projections, desk.mailin_smtp_port, agent, seed)
        report.say(f"seed {seed}; {len(plan)} rounds: {dict(Counter(plan))}; {load_seconds:.0f} s of load each")
        for number, component in enumerate(plan, start=1):
            started = time.monotonic()
            found = await _round(desk, load, component, load_seconds, rng, report.checked)
            report.rounds[component] += 1
            report.faults += 1
            report.violations += [f"round {number} ({component}): {v}" for v in found]
            t = load.tally
            report.say(
                f"round {number}/{len(plan)}: {component} killed and restarted; {len(found)} violations"
                f" ({time.monotonic() - started:.0f} s; so far {t.requests} requests, {t.accepted} accepted,"
                f" {t.refused} refused, {t.unavailable} told to retry, {t.dropped} connections refused)"
            )
            for violation in found[:20]:
                report.say(f"  violation: {violation}")
        t = load.tally
        report.say(
            f"done: {t.requests} requests, {t.accepted} accepted, {t.refused} refused, {t.unavailable} answered 503"
            f" + Retry-After (or 451), {t.dropped} connections refused or cut; {len(t.committed)} events and"
            f" {len(t.mails)} mails accepted; {report.faults} faults injected"
            f" ({', '.join(f'{c} {n}' for c, n in sorted(report.rounds.items()))}); "
            f"{len(report.violations)} invariant violations"
        )
        report.say("checked: " + ", ".join(f"{what} {n}" for what, n in report.checked.items()))
        return report
    finally:
        await asyncio.to_thread(desk.stop_all)
        await stack.clean()


def _agent(desk: ChaosDesk) -> str:
    """An agent of the private desk (``soporte agents create``); its token."""
    settings = IntakeSettings(database_url=desk.stack.database_url, kafka_bootstrap=desk.stack.kafka_bootstrap)
    return create_agent(settings, "Agente Caos", "caos@shop.test")


async def _round(
    desk: ChaosDesk, load: Load, component: str, seconds: float, rng: random.Random, counts: Counter
) -> list[str]:
    running = asyncio.create_task(load.run(seconds))
    await asyncio.sleep(rng.uniform(0.2, 0.6) * seconds)
    await _kill(desk, component)
    await asyncio.sleep(rng.uniform(0.5, 3.0))
    await _restart(desk, component)
    await running
    violations = list(load.tally.violations)
    load.tally.violations.clear()
    for name in desk.crashed():  # exited although nobody killed it
        violations.append(f"{name} exited by itself: {desk.processes[name].tail(5)}")
        await _restart(desk, name)
    violations += await _ready(desk)
    db = await asyncpg.connect(desk.stack.database_url)
    try:
        violations += await checks.stored_and_published(desk, load.tally, db, counts)
        violations += await checks.escalations(desk, db, counts)
        violations += await checks.mails(desk, db, counts)
        violations += await fresh.read_models_rebuilt(desk, db, counts)
        violations += await checks.nothing_dead_lettered(desk)
    finally:
        await db.close()
    return violations


async def _kill(desk: ChaosDesk, component: str) -> None:
    if component == "kafka":
        desk.stack.kill_kafka()
    elif component == "postgres":
        desk.stack.kill_postgres()
    else:
        desk.processes[component].kill()


async def _restart(desk: ChaosDesk, component: str) -> None:
    if component == "kafka":
        await desk.stack.start_kafka()
    elif component == "postgres":
        await desk.stack.start_postgres()
    else:
        process = desk.processes[component].start()
        await asyncio.to_thread(wait_up, process)


async def _ready(desk: ChaosDesk) -> list[str]:
    """Every service ready again (``/readyz``) within 90 s of the round: a dependency that came back is taken up."""
    problems = []
    for name, process in desk.processes.items():
        if process.port and not await checks.until(lambda p=process: asyncio.to_thread(p.answers), 90):
            problems.append(f"{name} not ready 90 s after the round: {process.tail(5)}")
    return problems
