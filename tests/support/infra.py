"""Where the tests' Kafka and PostgreSQL come from, in this order:

1. ``SOPORTE_TEST_KAFKA_BOOTSTRAP`` and ``SOPORTE_TEST_DATABASE_URL`` (both set);
2. testcontainers, when a Docker engine answers;
3. the local stack of ``deploy/local`` (started when not running, and stopped
   at the end of the session if the tests started it).

Never a stand-in: each of these is a real broker and a real server.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class Infra:
    kafka_bootstrap: str
    database_url: str
    source: str
    _stop: list[Callable[[], None]] = field(default_factory=list)

    def stop(self) -> None:
        for stop in reversed(self._stop):
            stop()


def _docker_answers() -> bool:
    if not shutil.which("docker"):
        return False
    try:
        return subprocess.run(["docker", "info"], capture_output=True, timeout=10).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def _from_testcontainers() -> Infra:
    from testcontainers.kafka import KafkaContainer
    from testcontainers.postgres import PostgresContainer

    kafka = KafkaContainer("apache/kafka:4.1.1").with_kraft()
    postgres = PostgresContainer("postgres:15", username="soporte", password="soporte", dbname="soporte", driver=None)
    kafka.start()
    postgres.start()
    return Infra(
        kafka_bootstrap=kafka.get_bootstrap_server(),
        database_url=postgres.get_connection_url(),
        source="testcontainers",
        _stop=[kafka.stop, postgres.stop],
    )


def _from_local_stack() -> Infra:
    from soporte.devstack import stack
    from soporte.devstack.common import StackConfig

    config = StackConfig.from_env()
    was_up = stack.is_up(config)
    stack.up(config)
    infra = Infra(config.kafka_bootstrap, config.database_url, "local stack")
    if not was_up:
        infra._stop.append(lambda: stack.down(config))
    return infra


def discover() -> Infra:
    kafka, database = os.environ.get("SOPORTE_TEST_KAFKA_BOOTSTRAP"), os.environ.get("SOPORTE_TEST_DATABASE_URL")
    if kafka and database:
        return Infra(kafka, database, "environment")
    if _docker_answers():
        return _from_testcontainers()
    return _from_local_stack()
