"""The whole local stack: up, down, status, clean — each safe to repeat."""

from __future__ import annotations

import shutil
import sys

from . import kafka, postgres
from .common import (
    StackConfig,
    StackError,
    port_open,
    read_pid,
    require_free_port,
    say,
    spawn_detached,
    stop_pid,
    wait_until,
)


def _mail_pid(config: StackConfig):
    return config.paths.run / "mailsink.pid"


def start_mail_sink(config: StackConfig) -> None:
    if read_pid(_mail_pid(config)) is not None:
        return
    require_free_port(config.host, config.smtp_port, "the SMTP sink", "SOPORTE_DEV_SMTP_PORT")
    log = config.paths.run / "mailsink.log"
    spawn_detached(
        [
            sys.executable,
            "-m",
            "soporte.devstack.mailsink",
            "--host",
            config.host,
            "--port",
            str(config.smtp_port),
            "--maildir",
            str(config.paths.mail),
        ],
        log,
        _mail_pid(config),
    )
    wait_until(lambda: port_open(config.host, config.smtp_port), 20, "the SMTP sink", log)


def addresses(config: StackConfig) -> dict[str, str]:
    return {
        "kafka": config.kafka_bootstrap,
        "postgres": f"{config.host}:{config.postgres_port}",
        "smtp": f"{config.host}:{config.smtp_port}",
    }


def preflight(config: StackConfig) -> None:
    """Check what every part needs before starting any, so a failure leaves nothing half-started."""
    if not kafka.is_running(config):
        kafka.check_prerequisites(config)
        require_free_port(config.host, config.kafka_port, "Kafka", "SOPORTE_DEV_KAFKA_PORT")
        require_free_port(
            config.host, config.kafka_controller_port, "the Kafka controller", "SOPORTE_DEV_KAFKA_CONTROLLER_PORT"
        )
    if not postgres.is_running(config):
        postgres.bin_dir()
        require_free_port(config.host, config.postgres_port, "PostgreSQL", "SOPORTE_DEV_POSTGRES_PORT")
    if read_pid(_mail_pid(config)) is None:
        require_free_port(config.host, config.smtp_port, "the SMTP sink", "SOPORTE_DEV_SMTP_PORT")


def up(config: StackConfig) -> dict[str, str]:
    """Start PostgreSQL, Kafka and the mail sink (those not running yet), create the topics."""
    preflight(config)
    config.paths.root.mkdir(parents=True, exist_ok=True)
    postgres.start(config)
    kafka.start(config)
    created = kafka.create_topics(config)
    if created:
        say(f"created topics: {', '.join(created)}")
    start_mail_sink(config)
    return addresses(config)


def down(config: StackConfig) -> None:
    """Stop everything; data stays for the next ``up``."""
    stopped = [
        name
        for name, stop in (
            ("mail sink", lambda: stop_pid(_mail_pid(config), "the SMTP sink")),
            ("kafka", lambda: kafka.stop(config)),
            ("postgres", lambda: postgres.stop(config)),
        )
        if stop()
    ]
    say("stopped: " + (", ".join(stopped) if stopped else "nothing was running"))


def status(config: StackConfig) -> dict[str, tuple[bool, str]]:
    """Each part: (running, address)."""
    return {
        "postgres": (postgres.is_running(config), f"{config.host}:{config.postgres_port}"),
        "kafka": (kafka.is_running(config), config.kafka_bootstrap),
        "smtp": (read_pid(_mail_pid(config)) is not None, f"{config.host}:{config.smtp_port}"),
    }


def is_up(config: StackConfig) -> bool:
    return all(running for running, _ in status(config).values())


def clean(config: StackConfig) -> None:
    """Stop, then delete every byte of local data (jars kept: they are not data)."""
    down(config)
    parts = (
        postgres.cluster_root(config),
        config.paths.kafka / "data",
        config.paths.kafka / "logs",
        config.paths.postgres,
        config.paths.mail,
        config.paths.run,
    )
    for part in parts:
        if part.exists():
            shutil.rmtree(part)
    (config.paths.kafka / "server.log").unlink(missing_ok=True)
    say(f"removed local data under {config.paths.root}")


__all__ = ["StackConfig", "StackError", "addresses", "clean", "down", "is_up", "require_free_port", "status", "up"]
