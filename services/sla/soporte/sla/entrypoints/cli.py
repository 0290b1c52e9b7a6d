"""``soporte sla run`` (the processor), ``sla audit`` (every ticket has a clock), ``escalations watch`` (ops)."""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys

from soporte.events import SLA_ESCALATIONS, TICKET_EVENTS, UndecodableEvent, decode, to_dict
from soporte.events import types as t
from soporte.platform.lifecycle import run
from soporte.platform.logging import configure_logging

from ..adapters.audit import audit_clocks
from ..adapters.topics import assigned_consumer, internal_topics
from ..settings import SlaSettings


def sla(argv: list[str]) -> int:
    """``sla run``: start the SLA worker (faust); ``sla audit [--wait S]``: check that every ticket has a clock."""
    parser = argparse.ArgumentParser(prog="soporte sla", description="SLA processor")
    parser.add_argument(
        "command",
        nargs="?",
        default="run",
        choices=["run", "audit"],
        help="run: the worker (default); audit: list tickets on the ticket topic without an up-to-date clock",
    )
    parser.add_argument(
        "--wait",
        type=float,
        default=0.0,
        help="audit: keep reading the clocks for up to this many seconds while some are missing or behind",
    )
    args = parser.parse_args(argv)
    settings = SlaSettings.from_env()
    if args.command == "audit":
        configure_logging("sla", "WARNING", json=False)
        return asyncio.run(_audit(settings, args.wait))
    from ..bootstrap import create_worker  # imports faust: only when running the worker

    configure_logging("sla", settings.log_level, json=settings.log_json)
    run(lambda stop: create_worker(settings).run(stop))
    return 0


async def _audit(settings: SlaSettings, wait: float) -> int:
    """Report tickets without a clock or whose clock missed events; 1 if there is any, 2 if it could not run."""
    tickets_topic = TICKET_EVENTS.name(settings.topic_prefix)
    changelog_topic = internal_topics(settings)[0].name(settings.topic_prefix)
    try:
        audit = await audit_clocks(
            settings.kafka_bootstrap,
            tickets_topic,
            changelog_topic,
            wait_seconds=wait,
            progress=lambda line: print(f"[audit] {line}", file=sys.stderr, flush=True),
        )
    except Exception as exc:  # noqa: BLE001 - one readable line for the operator
        print(f"soporte sla audit: {exc}", file=sys.stderr)
        return 2
    for ticket in audit.without_clock:
        print(f"NO CLOCK ticket={ticket} last_version={audit.tickets[ticket]}")
    for ticket, (seen, last) in audit.behind.items():
        print(f"BEHIND   ticket={ticket} clock_version={seen} last_version={last}")
    print(
        f"{len(audit.tickets)} tickets, {len(audit.clocks)} clocks: {len(audit.without_clock)} without a clock, "
        f"{len(audit.behind)} behind ({tickets_topic} vs {changelog_topic})"
    )
    return 0 if audit.ok else 1


def format_escalation(event: t.SlaWarning | t.SlaBreached) -> str:
    """One readable line per escalation."""
    d = event.data
    kind = "BREACH " if isinstance(event, t.SlaBreached) else "WARNING"
    return (
        f"{event.occurred_at:%Y-%m-%d %H:%M:%S}Z {kind} level={d.level} ticket={event.ticket_id} clock={d.clock} "
        f"deadline={d.deadline:%Y-%m-%d %H:%M:%S}Z elapsed={d.elapsed_seconds}s/{d.target_seconds}s "
        f"notify={','.join(d.notify) or '-'} id={event.event_id}"
    )


async def _watch(args: argparse.Namespace, settings: SlaSettings) -> int:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    deadline = loop.time() + args.timeout if args.timeout else None
    consumer = await assigned_consumer(
        settings.kafka_bootstrap,
        SLA_ESCALATIONS.name(settings.topic_prefix),
        client_id="soporte-escalations-watch",
        from_beginning=args.from_beginning,
    )
    shown = 0
    try:
        while not stop.is_set():
            if deadline is not None and loop.time() >= deadline:
                return 0 if args.max is None else 1  # --max not reached in time
            batches = await consumer.getmany(timeout_ms=300)
            for records in batches.values():
                for record in records:
                    try:
                        event = decode(record.value)
                    except UndecodableEvent:
                        continue
                    if not isinstance(event, t.SlaWarning | t.SlaBreached):
                        continue
                    if args.level is not None and event.data.level != args.level:
                        continue
                    line = json.dumps(to_dict(event)) if args.json else format_escalation(event)
                    print(line, flush=True)
                    shown += 1
                    if args.max is not None and shown >= args.max:
                        return 0
        return 0
    finally:
        await consumer.stop()


def escalations(argv: list[str]) -> int:
    """``escalations watch [--json] [--level N] [--from-beginning] [--max N] [--timeout S]``."""
    parser = argparse.ArgumentParser(prog="soporte escalations", description="SLA escalations (ops view)")
    sub = parser.add_subparsers(dest="command", required=True)
    watch = sub.add_parser("watch", help="tail the escalation topic as readable lines")
    watch.add_argument("--json", action="store_true", help="one JSON event per line")
    watch.add_argument("--level", type=int, help="only this escalation level (1 = warning, 2 = breach)")
    watch.add_argument("--from-beginning", action="store_true", help="show past escalations too")
    watch.add_argument("--max", type=int, help="exit after this many lines")
    watch.add_argument("--timeout", type=float, help="exit after this many seconds")
    args = parser.parse_args(argv)
    settings = SlaSettings.from_env()
    configure_logging("sla", "WARNING", json=False)
    try:
        return asyncio.run(_watch(args, settings))
    except KeyboardInterrupt:
        return 0
    except Exception as exc:  # noqa: BLE001 - one readable line for the operator
        print(f"soporte escalations: {exc}", file=sys.stderr)
        return 1
