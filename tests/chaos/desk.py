"""The whole desk as processes on the private stack: intake (its relay inside), a second relay alone, the notifier,
projections, the SLA worker and mail-in, each one a component the harness can SIGKILL and start again.

The SLA rules are fast (targets of seconds, a calendar open at all hours) so that clocks run out within a round.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from soporte.businesstime import load_calendar
from soporte.ticketrules import SlaRules, load_policies
from tests.support.processes import ServiceProcess, desk_env
from tests.support.smtp import free_port

from .stack import PrivateStack

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
ALWAYS_OPEN = "timezone: UTC\nweekly:\n" + "".join(f"  {day}: ['00:00-24:00']\n" for day in WEEKDAYS)
FAST_POLICY = "warning_fraction: 0.8\ndefault: {first_response: 4s, next_response: 6s, attention: 40s}\n"
ALLOWED_LATENESS_SECONDS = 1.0
SERVICES = ("intake", "relay", "notifier", "projections", "sla", "mailin")


@dataclass
class ChaosDesk:
    stack: PrivateStack
    processes: dict[str, ServiceProcess]
    calendar_file: Path
    policy_file: Path
    sla_app_id: str
    mailin_smtp_port: int

    @property
    def intake(self) -> str:
        return self.processes["intake"].base

    @property
    def projections(self) -> str:
        return self.processes["projections"].base

    @property
    def env(self) -> dict[str, str]:
        return self.processes["intake"].env

    def rules(self) -> SlaRules:
        return SlaRules(load_calendar(self.calendar_file), load_policies(self.policy_file))

    def start_all(self) -> None:
        for process in self.processes.values():
            process.start()
        for process in self.processes.values():
            wait_up(process)

    def stop_all(self) -> None:
        for process in reversed(self.processes.values()):
            process.stop()

    def crashed(self) -> list[str]:
        """Services that exited though nobody killed them (an outage must never end a service)."""
        return [name for name, process in self.processes.items() if not process.alive()]


def wait_up(process: ServiceProcess, timeout: float = 120.0) -> None:
    """Until the process answers ``/healthz`` (it waits for its dependencies itself); the relay has no HTTP side."""
    if process.port:
        process.wait("/healthz", timeout)
        return
    deadline = time.monotonic() + 2
    while time.monotonic() < deadline:
        assert process.alive(), f"{process.name} exited: {process.tail()}"
        time.sleep(0.1)


def chaos_desk(stack: PrivateStack, home: Path) -> ChaosDesk:
    """The processes of a desk on ``stack`` (not started), logging under ``home``."""
    calendar_file, policy_file = home / "calendar.yaml", home / "policy.yaml"
    calendar_file.write_text(ALWAYS_OPEN)
    policy_file.write_text(FAST_POLICY)
    ports = {name: free_port() for name in (*SERVICES, "mailin_smtp")}
    app_id = f"chaos-sla-{uuid.uuid4().hex[:6]}"
    common = desk_env(
        stack.database_url,
        stack.kafka_bootstrap,
        "",
        SOPORTE_CALENDAR_FILE=str(calendar_file),
        SOPORTE_SLA_POLICY_FILE=str(policy_file),
        SOPORTE_INTAKE_ATTACHMENTS_DIR=str(home / "files"),
        SOPORTE_INTAKE_RELAY_POLL_SECONDS="0.2",
        SOPORTE_INTAKE_PORTAL_URL=f"http://127.0.0.1:{ports['projections']}",
        SOPORTE_INTAKE_GUEST_FAILURES_PER_CLIENT="100000",
        SOPORTE_INTAKE_LINKS_PER_CLIENT="100000",
    )
    own = {
        "intake": {"SOPORTE_INTAKE_PORT": str(ports["intake"])},
        "relay": {},
        "notifier": {
            "SOPORTE_NOTIFIER_PORT": str(ports["notifier"]),
            "SOPORTE_SMTP_HOST": "127.0.0.1",
            "SOPORTE_SMTP_PORT": str(stack.smtp_port),
            "SOPORTE_NOTIFIER_PORTAL_URL": f"http://127.0.0.1:{ports['projections']}",
            "SOPORTE_NOTIFIER_POLL_SECONDS": "0.2",
            "SOPORTE_NOTIFIER_LEASE_SECONDS": "5",
        },
        "projections": {
            "SOPORTE_PROJECTIONS_PORT": str(ports["projections"]),
            "SOPORTE_PROJECTIONS_INTAKE_URL": f"http://127.0.0.1:{ports['intake']}",
            "SOPORTE_PROJECTIONS_WHOAMI_CACHE_SECONDS": "5",
        },
        "sla": {
            "SOPORTE_SLA_PORT": str(ports["sla"]),
            "SOPORTE_SLA_APP_ID": app_id,
            "SOPORTE_SLA_TICK_SECONDS": "0.2",
            "SOPORTE_SLA_ALLOWED_LATENESS_SECONDS": str(ALLOWED_LATENESS_SECONDS),
            "SOPORTE_SLA_SESSION_TIMEOUT_SECONDS": "6",
            "SOPORTE_SLA_INTAKE_URL": f"http://127.0.0.1:{ports['intake']}",
        },
        "mailin": {"SOPORTE_MAILIN_PORT": str(ports["mailin_smtp"]), "SOPORTE_MAILIN_HTTP_PORT": str(ports["mailin"])},
    }
    modules = {
        "intake": ("soporte.intake", "serve"),
        "relay": ("soporte.intake", "relay"),
        "notifier": ("soporte.notifier",),
        "projections": ("soporte.projections",),
        "sla": ("soporte.sla",),
        "mailin": ("soporte.intake.mailin",),
    }
    processes = {}
    for name in SERVICES:
        module, *args = modules[name]
        port = ports[name] if name != "relay" else 0
        processes[name] = ServiceProcess.module(name, module, {**common, **own[name]}, port, home / "logs", *args)
    return ChaosDesk(stack, processes, calendar_file, policy_file, app_id, ports["mailin_smtp"])
