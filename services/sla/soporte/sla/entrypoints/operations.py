"""What operators ask of the SLA from the command line: audit the clocks, watch escalations, explain a
ticket, preview and apply a new policy.

Each answer replays ticket events from the ticket topic through the same pure
rules the worker escalates on, so the command line never holds a second opinion.
``recalculate`` records each moved deadline on its ticket through intake's
command API (an ``SlaDeadlineChanged`` in the ticket's history); its
Idempotency-Key is derived from the clock and the policy, so running it again
records nothing twice.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
from collections.abc import Callable
from datetime import datetime, timedelta, tzinfo
from pathlib import Path

import aiohttp

from soporte.businesstime import load_calendar
from soporte.events import SLA_ESCALATIONS, TICKET_EVENTS, UndecodableEvent, decode, deterministic_id, to_dict
from soporte.events import types as t
from soporte.ticketrules import ClockState, SlaRules, explain, load_policies

from ..adapters.audit import audit_clocks
from ..adapters.ticket_history import ticket_stream_events
from ..adapters.topics import assigned_consumer, internal_topics
from ..domain.recalculation import DeadlineMove, deadline_moves, fold_tickets
from ..settings import SlaSettings

Say = Callable[[str], None]


def rules_of(settings: SlaSettings, policy_file: Path | None = None) -> SlaRules:
    calendar = load_calendar(Path(settings.calendar_file) if settings.calendar_file else None)
    policy = policy_file or (Path(settings.sla_policy_file) if settings.sla_policy_file else None)
    return SlaRules(calendar, load_policies(policy))


def local(moment: datetime | None, tz: tzinfo) -> str:
    return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S") if moment else "-"


def minutes(span: timedelta | None) -> str:
    if span is None:
        return "-"
    sign, seconds = ("-" if span < timedelta(0) else ""), abs(int(span.total_seconds()))
    return f"{sign}{seconds // 60} min {seconds % 60:02d} s"


async def explain_ticket(settings: SlaSettings, ticket_id: str, at: datetime, say: Say) -> int:
    """Each clock of ``ticket_id`` at ``at``; exit status 1 when the topic holds no such ticket."""
    rules = rules_of(settings)
    events = [
        e async for e in ticket_stream_events(settings.kafka_bootstrap, settings.topic_prefix, ticket_id=ticket_id)
    ]
    if not events:
        say(f"no ticket {ticket_id} on {settings.topic_prefix}tickets.events.v1")
        return 1
    tz = rules.calendar.tz
    explanation = explain(events, rules, at)
    say(f"{ticket_id} at {local(at, tz)} ({rules.calendar.timezone}), after version {explanation.version}")
    if explanation.attended_live:
        say("  opened by an agent during a call or chat: no first-response clock, not in the average")
    if not explanation.clocks:
        say("  no clock has run")
    for clock in explanation.clocks:
        counted = "business time" if clock.business else "wall-clock time"
        say(
            f"  {clock.kind.value}: {clock.state.value}, started {local(clock.started_at, tz)}, "
            f"warning {local(clock.warning_at, tz)}, deadline {local(clock.deadline, tz)}"
        )
        ended = f", ended {local(clock.ended_at, tz)}" if clock.state is not ClockState.RUNNING else ""
        say(
            f"    used {minutes(clock.used)} of {counted}, left {minutes(clock.remaining)}{ended}; "
            f"policy {clock.policy_id} v{clock.policy_version}; last moved by {clock.moved_by.type} "
            f"v{clock.moved_by.version} at {local(clock.moved_by.occurred_at, tz)}"
        )
    return 0


async def moves_to(
    settings: SlaSettings, new_policy: Path, started_since: datetime | None, say: Say
) -> list[DeadlineMove]:
    """The deadlines ``new_policy`` would move, from every ticket on the topic (with progress)."""
    rules, new_rules = rules_of(settings), rules_of(settings, new_policy)
    events = [
        e
        async for e in ticket_stream_events(
            settings.kafka_bootstrap,
            settings.topic_prefix,
            progress=lambda read, total: say(f"read {read}/{total} records of the ticket topic"),
        )
    ]
    return deadline_moves(fold_tickets(events, rules).values(), new_rules, started_since=started_since)


async def policy_diff(settings: SlaSettings, new_policy: Path, started_since: datetime | None, say: Say) -> int:
    """Print which open deadlines ``new_policy`` would move, and by how much (changes nothing)."""
    moves = await moves_to(settings, new_policy, started_since, say)
    tz = rules_of(settings).calendar.tz
    for move in moves:
        say(
            f"{move.ticket_id} {move.current.kind.value}: deadline {local(move.old_deadline, tz)} -> "
            f"{local(move.new_deadline, tz)} ({'+' if move.shift >= timedelta(0) else ''}{minutes(move.shift)}), "
            f"policy {move.current.policy_id} v{move.current.policy_version} -> "
            f"{move.moved.policy_id} v{move.moved.policy_version}"
        )
    say(f"{len(moves)} running clock(s) would move")
    return 0


async def recalculate(
    settings: SlaSettings, new_policy: Path, started_since: datetime | None, intake_url: str, token: str, say: Say
) -> int:
    """Record every move on its ticket through intake; exit status 1 if any was refused."""
    moves = await moves_to(settings, new_policy, started_since, say)
    refused = 0
    async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {token}"}) as http:
        for done, move in enumerate(moves, start=1):
            change = move.change(
                f"policy {move.moved.policy_id} v{move.moved.policy_version} (soporte sla recalculate)"
            )
            key = deterministic_id(
                "sla-recalculate", move.ticket_id, move.current.episode, change.policy_id, change.policy_version
            )
            async with http.post(
                f"{intake_url.rstrip('/')}/api/v1/tickets/{move.ticket_id}/sla-deadline-changes",
                json={"change": change.model_dump(mode="json")},
                headers={"Idempotency-Key": str(key)},
            ) as response:
                if response.status >= 400:
                    refused += 1
                    say(f"{move.ticket_id}: refused ({response.status}): {(await response.text())[:200]}")
            say(f"recorded {done}/{len(moves)}")
    say(f"{len(moves) - refused} deadline change(s) recorded, {refused} refused")
    return 1 if refused else 0


async def audit(settings: SlaSettings, wait: float) -> int:
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


async def watch(args: argparse.Namespace, settings: SlaSettings) -> int:
    """Print escalations as they come (from the beginning with ``--from-beginning``) until stopped or done."""
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
