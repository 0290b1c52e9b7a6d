"""``soporte infra ...`` and ``soporte run``: the local stack for people."""

from __future__ import annotations

import argparse
import importlib.util
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass

from . import stack
from .common import StackConfig, StackError, port_open, say


def _fail(exc: StackError) -> int:
    print(f"soporte: {exc}", file=sys.stderr)
    return 1


def _print_addresses(addresses: dict[str, str]) -> None:
    for name, address in addresses.items():
        print(f"{name:<12} {address}")


def infra(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="soporte infra", description="the local Kafka, PostgreSQL and mail sink")
    parser.add_argument("action", choices=["up", "down", "status", "clean"])
    args = parser.parse_args(argv)
    config = StackConfig.from_env()
    try:
        if args.action == "up":
            _print_addresses(stack.up(config))
            print(f"{'mailbox':<12} {config.paths.mail}")
        elif args.action == "down":
            stack.down(config)
        elif args.action == "clean":
            stack.clean(config)
        else:
            all_up = True
            for name, (running, address) in stack.status(config).items():
                print(f"{name:<12} {address:<22} {'running' if running else 'stopped'}")
                all_up &= running
            return 0 if all_up else 3
    except StackError as exc:
        return _fail(exc)
    return 0


@dataclass(frozen=True)
class ServiceSpec:
    name: str
    module: str
    port: int
    port_env: str
    where: str  # what to open, relative to the service's address


SERVICES = (
    ServiceSpec("intake", "soporte.intake", 8081, "SOPORTE_INTAKE_PORT", "/  (submission form), /api/openapi.json"),
    ServiceSpec("projections", "soporte.projections", 8082, "SOPORTE_PROJECTIONS_PORT", "/agent  (agent console)"),
    ServiceSpec("sla", "soporte.sla", 8083, "SOPORTE_SLA_PORT", "/metrics"),
    ServiceSpec("notifier", "soporte.notifier", 8084, "SOPORTE_NOTIFIER_PORT", "/metrics"),
    # Mail-in takes mail on SMTP 127.0.0.1:2525 (SOPORTE_MAILIN_PORT); this port is its health and metrics.
    ServiceSpec("mailin", "soporte.intake.mailin", 8085, "SOPORTE_MAILIN_HTTP_PORT", "/metrics  (mail in: smtp 2525)"),
)


def available_services() -> list[ServiceSpec]:
    """The services installed with a ``__main__`` (those that exist so far)."""
    found = []
    for spec in SERVICES:
        try:
            if importlib.util.find_spec(f"{spec.module}.__main__") is not None:
                found.append(spec)
        except ModuleNotFoundError:
            continue
    return found


def _start(spec: ServiceSpec, env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", spec.module], env=env)


class Supervisor:
    """When a crashed service may start again: at once the first time, then after a growing pause (at most a
    minute), so a service that cannot start does not spin."""

    def __init__(self, first: float = 1.0, longest: float = 60.0) -> None:
        self.first, self.longest = first, longest
        self.pause: dict[str, float] = {}
        self.next_start: dict[str, float] = {}

    def may_restart(self, name: str, now: float) -> bool:
        if now < self.next_start.get(name, 0.0):
            return False
        pause = self.pause.get(name, 0.0)
        self.pause[name] = min(max(pause * 2, self.first), self.longest)
        self.next_start[name] = now + self.pause[name]
        return True


def run(argv: list[str]) -> int:
    """Infrastructure plus every service, in the foreground (a crashed one is restarted); Ctrl-C stops all."""
    argparse.ArgumentParser(prog="soporte run", description=run.__doc__).parse_args(argv)
    config = StackConfig.from_env()
    was_up = stack.status(config)
    try:
        addresses = stack.up(config)
    except StackError as exc:
        return _fail(exc)
    ports = {spec.name: int(os.environ.get(spec.port_env, spec.port)) for spec in SERVICES}
    env = {
        # The services find each other on the ports chosen here (status links, the console's commands)...
        "SOPORTE_INTAKE_PORTAL_URL": f"http://127.0.0.1:{ports['projections']}",
        "SOPORTE_NOTIFIER_PORTAL_URL": f"http://127.0.0.1:{ports['projections']}",
        "SOPORTE_PROJECTIONS_INTAKE_URL": f"http://127.0.0.1:{ports['intake']}",
        "SOPORTE_SLA_INTAKE_URL": f"http://127.0.0.1:{ports['intake']}",
        **os.environ,  # ...unless the caller says otherwise
        "SOPORTE_KAFKA_BOOTSTRAP": config.kafka_bootstrap,
        "SOPORTE_DATABASE_URL": config.database_url,
        "SOPORTE_SMTP_HOST": config.host,
        "SOPORTE_SMTP_PORT": str(config.smtp_port),
    }
    children: list[tuple[ServiceSpec, subprocess.Popen]] = []
    supervisor = Supervisor()
    stopping = False

    def request_stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    try:
        for spec in available_services():
            port = ports[spec.name]
            if port_open("127.0.0.1", port):
                raise StackError(
                    f"port 127.0.0.1:{port} for {spec.name} is taken: stop that program or set {spec.port_env}"
                )
            say(f"starting {spec.name}")
            children.append((spec, _start(spec, {**env, spec.port_env: str(port)})))
        print("\nSoporte is running:")
        _print_addresses(addresses)
        print(f"{'mailbox':<12} {config.paths.mail}")
        for spec, _ in children:
            port = ports[spec.name]
            print(f"{spec.name:<12} http://127.0.0.1:{port}  {spec.where}")
        print("\nCtrl-C stops everything.", flush=True)
        while not stopping:
            for i, (spec, proc) in enumerate(children):
                if proc.poll() is not None and supervisor.may_restart(spec.name, time.monotonic()):
                    # One crashed service must not take the desk down: the others keep serving.
                    say(f"{spec.name} exited with code {proc.returncode}; restarting it")
                    children[i] = (spec, _start(spec, {**env, spec.port_env: str(ports[spec.name])}))
            time.sleep(0.5)
    except StackError as exc:
        _fail(exc)
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not cut the shutdown short
        for spec, proc in children:
            if proc.poll() is None:
                say(f"stopping {spec.name}")
                proc.terminate()
        for _spec, proc in children:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        # Leave running what was running before `run`; stop what `run` started.
        if not any(running for running, _ in was_up.values()):
            stack.down(config)
    return 0
