"""Paths, ports, process helpers and the one-line errors of the local stack."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[4]
DEPLOY_LOCAL = REPO_ROOT / "deploy" / "local"


class StackError(RuntimeError):
    """A problem the developer must fix; printed as one line, no traceback."""


@dataclass(frozen=True)
class StackPaths:
    root: Path
    shared_kafka_libs: Path | None = None  # jars are not data: several homes may share them

    @property
    def kafka(self) -> Path:
        return self.root / "kafka"

    @property
    def kafka_libs(self) -> Path:
        return self.shared_kafka_libs or self.kafka / "libs"

    @property
    def postgres(self) -> Path:
        return self.root / "postgres"

    @property
    def mail(self) -> Path:
        return self.root / "mail"

    @property
    def run(self) -> Path:
        return self.root / "run"


@dataclass(frozen=True)
class StackConfig:
    """Where the local stack lives and listens (``SOPORTE_DEV_*`` variables override)."""

    paths: StackPaths
    kafka_port: int = 19092
    kafka_controller_port: int = 19093
    postgres_port: int = 55432
    smtp_port: int = 8025
    host: str = "127.0.0.1"

    @classmethod
    def from_env(cls) -> StackConfig:
        env = os.environ
        root = Path(env.get("SOPORTE_DEV_HOME", REPO_ROOT / ".local"))
        return cls(
            paths=StackPaths(root, Path(env["SOPORTE_DEV_KAFKA_LIBS"]) if env.get("SOPORTE_DEV_KAFKA_LIBS") else None),
            kafka_port=int(env.get("SOPORTE_DEV_KAFKA_PORT", 19092)),
            kafka_controller_port=int(env.get("SOPORTE_DEV_KAFKA_CONTROLLER_PORT", 19093)),
            postgres_port=int(env.get("SOPORTE_DEV_POSTGRES_PORT", 55432)),
            smtp_port=int(env.get("SOPORTE_DEV_SMTP_PORT", 8025)),
        )

    @property
    def kafka_bootstrap(self) -> str:
        return f"{self.host}:{self.kafka_port}"

    @property
    def database_url(self) -> str:
        return f"postgresql://soporte@{self.host}:{self.postgres_port}/soporte"


def say(message: str) -> None:
    """Progress for people, on stderr so stdout stays parseable."""
    print(f"[soporte] {message}", file=sys.stderr, flush=True)


def port_open(host: str, port: int, timeout: float = 0.3) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def require_free_port(host: str, port: int, what: str, env_var: str) -> None:
    if port_open(host, port):
        raise StackError(
            f"port {host}:{port} for {what} is taken by another program: stop it or set {env_var} to a free port"
        )


def require_command(name: str, hint: str) -> str:
    path = shutil.which(name)
    if not path:
        raise StackError(f"{name} not found: {hint}")
    return path


def read_pid(pid_file: Path) -> int | None:
    try:
        pid = int(pid_file.read_text().strip())
    except (OSError, ValueError):
        return None
    return pid if pid_alive(pid) else None


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie child still answers kill(0); treat it as gone.
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1][0]
        return state != "Z"
    except (OSError, IndexError):
        return True


def spawn_detached(argv: list[str], log_file: Path, pid_file: Path, env: dict[str, str] | None = None) -> int:
    """Start a long-lived server in its own session (it outlives this process); record its pid."""
    log_file.parent.mkdir(parents=True, exist_ok=True)
    with open(log_file, "ab") as log:
        proc = subprocess.Popen(
            argv,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            env=env,
        )
    pid_file.parent.mkdir(parents=True, exist_ok=True)
    pid_file.write_text(str(proc.pid))
    return proc.pid


def stop_pid(pid_file: Path, what: str, timeout: float = 30.0) -> bool:
    """SIGTERM the recorded process, wait, SIGKILL if it hangs. Returns whether one was running."""
    pid = read_pid(pid_file)
    if pid is None:
        pid_file.unlink(missing_ok=True)
        return False
    say(f"stopping {what} (pid {pid})")
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while pid_alive(pid) and time.monotonic() < deadline:
        _reap(pid)
        time.sleep(0.2)
    if pid_alive(pid):
        os.kill(pid, signal.SIGKILL)
        time.sleep(0.2)
        _reap(pid)
    pid_file.unlink(missing_ok=True)
    return True


def _reap(pid: int) -> None:
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass


def wait_until(check, timeout: float, what: str, log_file: Path | None = None, interval: float = 0.25) -> None:
    """Poll ``check()`` until true; on timeout, a StackError pointing at the log."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(interval)
    where = f" (see {log_file})" if log_file else ""
    raise StackError(f"{what} did not become ready within {timeout:.0f}s{where}")
