"""The local stack as people use it: `soporte run`, `soporte infra ...`, and its one-line errors.

These tests run a second, private stack (own folder, own ports) so they never
disturb the one the rest of the suite uses.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from soporte.devstack.cli import SERVICES, available_services
from soporte.devstack.common import REPO_ROOT
from tests.support.smtp import free_port

SOPORTE = [sys.executable, "-m", "soporte.cli.main"]


@pytest.fixture
def private_stack_env(tmp_path):
    """Environment for a private stack: own home and ports, the shared Kafka jars reused."""
    env = {
        **os.environ,
        "SOPORTE_DEV_HOME": str(tmp_path / "stack"),
        "SOPORTE_DEV_KAFKA_LIBS": str(REPO_ROOT / ".local" / "kafka" / "libs"),
        "SOPORTE_DEV_KAFKA_PORT": str(free_port()),
        "SOPORTE_DEV_KAFKA_CONTROLLER_PORT": str(free_port()),
        "SOPORTE_DEV_POSTGRES_PORT": str(free_port()),
        "SOPORTE_DEV_SMTP_PORT": str(free_port()),
        "PYTHONUNBUFFERED": "1",
    }
    for spec in SERVICES:
        env[spec.port_env] = str(free_port())
    env["SOPORTE_MAILIN_PORT"] = str(free_port())  # mail-in's SMTP, beside its health port
    yield env
    # The cluster may live outside tmp_path (see postgres.cluster_root): clean removes it too.
    subprocess.run([*SOPORTE, "infra", "clean"], env=env, capture_output=True, timeout=120)


def listening(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.3)
        return s.connect_ex(("127.0.0.1", port)) == 0


def wait_healthy(port: int, timeout: float = 60) -> bool:
    """True once ``GET /healthz`` answers 200 on ``port``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
                if response.status == 200:
                    return True
        except OSError:
            time.sleep(0.5)
    return False


def cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def processes_with(marker: str) -> list[int]:
    """Pids whose environment carries ``marker`` (what a stack started with that env)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if marker.encode() in (entry / "environ").read_bytes():
                state = (entry / "stat").read_text().split(") ", 1)[1][0]
                if state != "Z":
                    found.append(int(entry.name))
        except OSError:
            continue
    return found


def test_a_taken_port_fails_with_one_clear_line_and_starts_nothing(private_stack_env):
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", int(private_stack_env["SOPORTE_DEV_POSTGRES_PORT"])))
        blocker.listen()
        result = subprocess.run(
            [*SOPORTE, "infra", "up"], env=private_stack_env, capture_output=True, text=True, timeout=60
        )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert re.match(r"soporte: port 127\.0\.0\.1:\d+ for PostgreSQL is taken .*SOPORTE_DEV_POSTGRES_PORT", lines[0])
    assert not listening(int(private_stack_env["SOPORTE_DEV_KAFKA_PORT"]))


def test_missing_java_fails_with_one_clear_line(private_stack_env, tmp_path):
    empty_bin = tmp_path / "bin"
    empty_bin.mkdir()
    env = {**private_stack_env, "PATH": str(empty_bin)}
    result = subprocess.run([*SOPORTE, "infra", "up"], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert (
        result.stderr.strip() == "soporte: java not found: install Java 17+ (apt-get install openjdk-17-jre-headless)"
    )


def test_run_starts_everything_prints_where_and_ctrl_c_leaves_no_process(private_stack_env):
    env = private_stack_env
    marker = f"SOPORTE_DEV_HOME={env['SOPORTE_DEV_HOME']}"
    run = subprocess.Popen([*SOPORTE, "run"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    output: list[str] = []
    try:
        deadline = time.monotonic() + 240
        assert run.stdout is not None
        while time.monotonic() < deadline:
            line = run.stdout.readline()
            if not line:
                break
            output.append(line)
            if "Ctrl-C stops everything" in line:
                break
        text = "".join(output)
        assert "Ctrl-C stops everything" in text, text[-3000:]
        assert f"kafka        127.0.0.1:{env['SOPORTE_DEV_KAFKA_PORT']}" in text
        assert f"postgres     127.0.0.1:{env['SOPORTE_DEV_POSTGRES_PORT']}" in text
        assert f"smtp         127.0.0.1:{env['SOPORTE_DEV_SMTP_PORT']}" in text

        # Starting again while it runs is harmless and quick: nothing is fetched, formatted or started.
        again = subprocess.run([*SOPORTE, "infra", "up"], env=env, capture_output=True, text=True, timeout=120)
        assert again.returncode == 0, again.stderr
        assert not re.search(r"starting|initialising|formatting|fetching", again.stderr), again.stderr
        status = subprocess.run([*SOPORTE, "infra", "status"], env=env, capture_output=True, text=True, timeout=60)
        assert status.returncode == 0 and status.stdout.count("running") == 3
        for spec in available_services():  # every service answers its health check
            port = int(env[spec.port_env])
            assert f"{spec.name:<12} http://127.0.0.1:{port}" in text
            assert wait_healthy(port), f"{spec.name} never answered /healthz on {port}"
        assert run.poll() is None, "".join(output) + run.stdout.read()

        # A crashed service is restarted; the others keep serving meanwhile.
        [notifier] = [pid for pid in processes_with(marker) if b"soporte.notifier" in cmdline(pid)]
        os.kill(notifier, signal.SIGKILL)
        intake_port = int(env["SOPORTE_INTAKE_PORT"])
        assert wait_healthy(intake_port, timeout=5)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not [
            pid for pid in processes_with(marker) if b"soporte.notifier" in cmdline(pid) and pid != notifier
        ]:
            time.sleep(0.5)
        assert wait_healthy(int(env["SOPORTE_NOTIFIER_PORT"])), "the notifier was not restarted"
        assert run.poll() is None
    finally:
        if run.poll() is None:
            run.send_signal(signal.SIGINT)
        rest = run.communicate(timeout=180)[0]
    assert run.returncode == 0, rest[-3000:]
    assert "notifier exited with code -9; restarting it" in rest
    for port_var in (
        "SOPORTE_DEV_KAFKA_PORT",
        "SOPORTE_DEV_POSTGRES_PORT",
        "SOPORTE_DEV_SMTP_PORT",
        *(s.port_env for s in SERVICES),
    ):
        assert not listening(int(env[port_var])), f"{port_var} still listening"
    deadline = time.monotonic() + 10
    while processes_with(marker) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert processes_with(marker) == []
    status = subprocess.run([*SOPORTE, "infra", "status"], env=env, capture_output=True, text=True, timeout=60)
    assert status.returncode == 3 and status.stdout.count("stopped") == 3
