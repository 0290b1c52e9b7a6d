"""The services as operators run them (``python -m soporte.<service>``), in processes a test can measure,
SIGKILL and start again: the schema fuzzer, the memory test and the chaos harness use them.

``desk_env`` is what every process of one desk shares (database, broker, topic prefix, secrets); each
``ServiceProcess`` adds its own port and logs to a file of its own.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from tests.support.intake import SHOP_SECRET

DESK_SECRET = "test-desk-secret"


def desk_env(database_url: str, kafka_bootstrap: str, topic_prefix: str, **more: str) -> dict[str, str]:
    """The environment every service of one desk shares (quiet logs: WARNING and up)."""
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith("SOPORTE_")},
        "SOPORTE_DATABASE_URL": database_url,
        "SOPORTE_KAFKA_BOOTSTRAP": kafka_bootstrap,
        "SOPORTE_TOPIC_PREFIX": topic_prefix,
        "SOPORTE_SHOP_SECRET": SHOP_SECRET,
        "SOPORTE_DESK_SECRET": DESK_SECRET,
        "SOPORTE_LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
        **more,
    }


@dataclass
class ServiceProcess:
    """One service process; ``port`` is where its ``/healthz`` and ``/readyz`` answer."""

    name: str
    argv: list[str]
    env: dict[str, str]
    port: int
    log: Path
    proc: subprocess.Popen | None = field(default=None, repr=False)
    starts: int = 0

    @classmethod
    def module(cls, name: str, module: str, env: dict[str, str], port: int, logs: Path, *args: str) -> ServiceProcess:
        return cls(name, [sys.executable, "-m", module, *args], env, port, logs / f"{name}.log")

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> ServiceProcess:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(self.argv, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        self.starts += 1
        return self

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def answers(self, path: str = "/readyz") -> bool:
        try:
            with urllib.request.urlopen(self.base + path, timeout=2) as response:
                return response.status == 200
        except (urllib.error.URLError, OSError):
            return False

    def wait(self, path: str = "/readyz", timeout: float = 90.0) -> ServiceProcess:
        """Until ``path`` answers 200; AssertionError (with the log's end) if the process dies or never does."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.alive(), f"{self.name} exited ({self.proc and self.proc.returncode}): {self.tail()}"
            if self.answers(path):
                return self
            time.sleep(0.2)
        raise AssertionError(f"{self.name}: {path} not 200 within {timeout}s: {self.tail()}")

    def kill(self) -> None:
        """SIGKILL: no clean-up of any kind."""
        if self.alive():
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=30)

    def stop(self, timeout: float = 30.0) -> int | None:
        """SIGTERM and wait (SIGKILL if it hangs); the exit status."""
        if not self.alive():
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            return None

    def rss_bytes(self) -> int:
        """The process's resident set size now (``VmRSS``)."""
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
        raise AssertionError(f"no VmRSS for {self.name}")

    def tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""
