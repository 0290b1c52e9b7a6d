"""``soporte <command> ...`` dispatches to the package that owns the command.

The table is the only place that knows every service; each entry is imported
only when used, so a service's dependencies load only for its own commands.
"""

from __future__ import annotations

import importlib
import sys

# command -> (module, function, one-line help). Functions take argv and return an exit code.
COMMANDS: dict[str, tuple[str, str, str]] = {
    "run": ("soporte.devstack.cli", "run", "start the infrastructure and every service, in the foreground"),
    "infra": ("soporte.devstack.cli", "infra", "up | down | status | clean: the local Kafka, PostgreSQL and mail sink"),
    "events": ("soporte.cli.events", "main", "export-schemas | check-schemas: the shared event contract"),
    "intake": ("soporte.intake.cli", "intake", "serve | relay | migrate: the intake API, form and outbox relay"),
    "orders": ("soporte.intake.cli", "orders", "import FILE.csv: load the shop's orders"),
    "mailin": ("soporte.intake.cli", "mailin", "serve: inbound mail (SMTP/LMTP listener, IMAP poller) to tickets"),
    "agents": ("soporte.intake.cli", "agents", "create NAME --email ... [--role lead]: agent API tokens"),
    "sla": (
        "soporte.sla.cli",
        "sla",
        "run | audit | explain | policy diff | recalculate: the SLA worker and its clocks",
    ),
    "escalations": ("soporte.sla.cli", "escalations", "watch: tail the SLA escalation topic"),
    "notifier": ("soporte.notifier.cli", "notifier", "run the notifier"),
    "notifications": ("soporte.notifier.cli", "notifications", "retry: resend dead-lettered mail"),
    "projections": ("soporte.projections.cli", "projections", "serve | rebuild: read models and pages"),
}


def usage() -> str:
    width = max(map(len, COMMANDS))
    lines = ["usage: soporte <command> [options]", "", "commands:"]
    lines += [f"  {name.ljust(width)}  {help_}" for name, (_, _, help_) in COMMANDS.items()]
    lines += ["", "Run 'soporte <command> --help' for a command's options."]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] in {"-h", "--help", "help"}:
        print(usage())
        return 0
    name, rest = argv[0], argv[1:]
    if name not in COMMANDS:
        print(f"soporte: unknown command '{name}'\n\n{usage()}", file=sys.stderr)
        return 2
    module_name, function, _ = COMMANDS[name]
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name and module_name.startswith(exc.name):
            print(
                f"soporte: '{name}' is not available in this installation ({module_name} is missing)", file=sys.stderr
            )
            return 2
        raise
    return int(getattr(module, function)(rest) or 0)


if __name__ == "__main__":
    sys.exit(main())
