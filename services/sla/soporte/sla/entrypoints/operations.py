"""What operators ask of the SLA from the command line: explain a ticket, preview and apply a new policy.

Each answer replays ticket events from the ticket topic through the same pure
rules the worker escalates on, so the command line never holds a second opinion.
``recalculate`` records each moved deadline on its ticket through intake's
command API (an ``SlaDeadlineChanged`` in the ticket's history); its
Idempotency-Key is derived from the clock and the policy, so running it again
records nothing twice.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta, tzinfo
from pathlib import Path

import aiohttp

from soporte.businesstime import load_calendar
from soporte.events import deterministic_id
from soporte.ticketrules import ClockState, SlaRules, explain, load_policies

from ..adapters.ticket_history import ticket_stream_events
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
