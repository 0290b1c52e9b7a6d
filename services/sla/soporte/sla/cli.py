"""``soporte sla run | audit | explain | policy diff | recalculate`` and ``soporte escalations watch``."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from datetime import datetime
from pathlib import Path

from soporte.platform.clock import utc_now
from soporte.platform.lifecycle import refuse_unsafe_start, run
from soporte.platform.logging import configure_logging

from .settings import SlaSettings


def _instant(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise argparse.ArgumentTypeError("give the offset too, e.g. 2026-03-02T10:15:00+01:00")
    return moment


def sla(argv: list[str]) -> int:
    """The SLA worker (``run``, the default) and the operators' commands on the clocks."""
    parser = argparse.ArgumentParser(prog="soporte sla", description="SLA worker and clock commands")
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("run", help="the worker (the default)")
    audit = sub.add_parser("audit", help="tickets on the ticket topic without an up-to-date clock (exit 1 if any)")
    audit.add_argument("--wait", type=float, default=0.0, help="keep re-reading the clocks this long while any lags")
    explain = sub.add_parser("explain", help="each clock of a ticket at an instant")
    explain.add_argument("ticket_id")
    explain.add_argument("--at", type=_instant, help="ISO time with offset (default now)")
    policy = sub.add_parser("policy", help="diff NEW.yaml: which open deadlines a new policy would move")
    policy.add_argument("action", choices=["diff"])
    policy.add_argument("policy_file", type=Path)
    policy.add_argument("--effective-at", type=_instant, help="only clocks started at or after this instant")
    recalculate = sub.add_parser("recalculate", help="move open deadlines to a new policy, recorded on each ticket")
    recalculate.add_argument("--policy", type=Path, required=True)
    recalculate.add_argument("--effective-at", type=_instant, required=True, help="clocks started at or after this")
    recalculate.add_argument("--intake-url", default="http://127.0.0.1:8081")
    recalculate.add_argument("--token", help="an agent token (default: $SOPORTE_SLA_INTAKE_TOKEN)")
    args = parser.parse_args(argv)
    settings = SlaSettings.from_env()
    if args.command in (None, "run"):
        from .bootstrap import create_worker  # imports faust: only when running the worker

        configure_logging("sla", settings.log_level, json=settings.log_json)
        refuse_unsafe_start(settings, settings.sla_host)  # one line on stderr, exit status 78
        run(lambda stop: create_worker(settings).run(stop))
        return 0
    configure_logging("sla", "WARNING", json=False)
    from .entrypoints import operations

    def say(line: str) -> None:
        print(line, flush=True)

    try:
        match args.command:
            case "audit":
                return asyncio.run(operations.audit(settings, args.wait))
            case "explain":
                return asyncio.run(operations.explain_ticket(settings, args.ticket_id, args.at or utc_now(), say))
            case "policy":
                return asyncio.run(operations.policy_diff(settings, args.policy_file, args.effective_at, say))
            case "recalculate":
                token = args.token or os.environ.get("SOPORTE_SLA_INTAKE_TOKEN")
                if not token:
                    parser.error("recalculate needs --token or SOPORTE_SLA_INTAKE_TOKEN (an agent token)")
                return asyncio.run(
                    operations.recalculate(settings, args.policy, args.effective_at, args.intake_url, token, say)
                )
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # noqa: BLE001 - one readable line for the operator
        print(f"soporte sla {args.command}: {exc.__class__.__name__}: {exc}", file=sys.stderr)
        return 2
    return 0


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
    from .entrypoints.operations import watch as watch_escalations

    try:
        return asyncio.run(watch_escalations(args, settings))
    except KeyboardInterrupt:
        return 0
    except Exception as exc:  # noqa: BLE001 - one readable line for the operator
        print(f"soporte escalations: {exc}", file=sys.stderr)
        return 1
