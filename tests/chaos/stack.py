"""A private Kafka, PostgreSQL and mail sink for the chaos harness (``deploy/local``, under a home and ports of its
own), whose broker and database it can SIGKILL and start again without touching anyone else's.

The Kafka jars are the project's (``.local/kafka/libs``, fetched by Maven the first time); everything else lives
in the harness's folder and is removed at the end.
"""

from __future__ import annotations

import asyncio
import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path

from soporte.devstack import kafka, postgres, stack
from soporte.devstack.common import REPO_ROOT, StackConfig, StackPaths, port_open, read_pid
from tests.support.smtp import free_port


@dataclass
class PrivateStack:
    config: StackConfig

    @classmethod
    def under(cls, home: Path) -> PrivateStack:
        paths = StackPaths(home, REPO_ROOT / ".local" / "kafka" / "libs")
        ports = {name: free_port() for name in ("kafka", "controller", "postgres", "smtp")}
        config = StackConfig(paths, ports["kafka"], ports["controller"], ports["postgres"], ports["smtp"])
        return cls(config)

    @property
    def kafka_bootstrap(self) -> str:
        return self.config.kafka_bootstrap

    @property
    def database_url(self) -> str:
        return self.config.database_url

    @property
    def smtp_port(self) -> int:
        return self.config.smtp_port

    @property
    def mailbox(self) -> Path:
        return self.config.paths.mail

    async def up(self) -> None:
        await asyncio.to_thread(stack.up, self.config)

    async def clean(self) -> None:
        await asyncio.to_thread(stack.clean, self.config)

    # --- faults -------------------------------------------------------------------------------------

    def kill_kafka(self) -> None:
        """SIGKILL the broker (no clean shutdown: the next start recovers its logs)."""
        pid = read_pid(kafka.pid_file(self.config))
        assert pid is not None, "the private broker is not running"
        _kill_tree(pid)
        _wait_port_free(self.config.host, self.config.kafka_port)
        _wait_port_free(self.config.host, self.config.kafka_controller_port)

    async def start_kafka(self) -> None:
        await asyncio.to_thread(kafka.start, self.config)

    def kill_postgres(self) -> None:
        """SIGKILL the postmaster and every backend it forked (a crash: the next start replays the WAL)."""
        pid_file = postgres.data_dir(self.config) / "postmaster.pid"
        pid = int(pid_file.read_text().splitlines()[0])
        _kill_tree(pid)
        # The dead postmaster was not our child: where nobody reaps it, it lingers as a zombie that pg_ctl (and the
        # next postmaster) take for a running server. It is gone all the same, and so are its locks.
        pid_file.unlink(missing_ok=True)
        for lock in (postgres.cluster_root(self.config) / "sockets").glob(".s.PGSQL.*.lock"):
            lock.unlink(missing_ok=True)
        _wait_port_free(self.config.host, self.config.postgres_port)

    async def start_postgres(self) -> None:
        await asyncio.to_thread(postgres.start, self.config)


def _kill_tree(pid: int) -> None:
    """SIGKILL ``pid`` and its children (processes this harness started, found by their parent)."""
    children = [p for p in _all_pids() if _parent(p) == pid]
    for victim in (pid, *children):
        try:
            os.kill(victim, signal.SIGKILL)
        except ProcessLookupError:
            pass
    for victim in (pid, *children):
        _wait_gone(victim)


def _wait_port_free(host: str, port: int, timeout: float = 20.0) -> None:
    """A killed server's listening socket can outlive it by a moment (its threads still exiting)."""
    deadline = time.monotonic() + timeout
    while port_open(host, port) and time.monotonic() < deadline:
        time.sleep(0.1)


def _all_pids() -> list[int]:
    return [int(entry.name) for entry in Path("/proc").iterdir() if entry.name.isdigit()]


def _parent(pid: int) -> int | None:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return None


def _wait_gone(pid: int, timeout: float = 10.0) -> None:
    """Until ``pid`` is gone or a zombie (reaped when it is our child)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            return
        if state == "Z":
            try:
                os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                pass
            return
        time.sleep(0.05)
