"""A PostgreSQL cluster the project initialises (initdb) and runs (pg_ctl) on a port of its own."""

from __future__ import annotations

import asyncio
import glob
import hashlib
import os
import pwd
import shutil
import subprocess
from pathlib import Path

import asyncpg

from .common import StackConfig, StackError, port_open, require_free_port, say

SERVER_USER = "postgres"  # initdb refuses root; when we are root, the cluster runs as this user


def bin_dir() -> Path:
    """Where initdb and pg_ctl are: $SOPORTE_PG_BIN, Debian's /usr/lib/postgresql/N/bin, or PATH."""
    if env := os.environ.get("SOPORTE_PG_BIN"):
        return Path(env)
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(Path(p).parent.name))
    if candidates:
        return Path(candidates[-1])
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).parent
    raise StackError("PostgreSQL binaries not found: install them (apt-get install postgresql) or set SOPORTE_PG_BIN")


def _as_server_user(argv: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return argv
    try:
        pwd.getpwnam(SERVER_USER)
    except KeyError as exc:
        raise StackError(
            f"running as root needs a '{SERVER_USER}' user to own the cluster: useradd {SERVER_USER}"
        ) from exc
    return ["runuser", "-u", SERVER_USER, "--", *argv]


def cluster_root(config: StackConfig) -> Path:
    """``.local/postgres``, or — when root runs us from a folder the server user cannot walk
    into (a 0700 home or temp dir) — a folder of ours under /var/tmp, noted in a pointer file."""
    wanted = config.paths.postgres
    if os.geteuid() != 0 or _server_user_can_reach(wanted.parent):
        return wanted
    digest = hashlib.sha256(str(wanted).encode()).hexdigest()[:12]
    fallback = Path("/var/tmp/soporte-postgres") / digest
    wanted.mkdir(parents=True, exist_ok=True)
    (wanted / "WHERE.txt").write_text(f"the cluster lives in {fallback} (the postgres user cannot reach this folder)\n")
    return fallback


def _server_user_can_reach(folder: Path) -> bool:
    folder.mkdir(parents=True, exist_ok=True)
    return subprocess.run(_as_server_user(["test", "-x", str(folder)]), capture_output=True).returncode == 0


def data_dir(config: StackConfig) -> Path:
    return cluster_root(config) / "data"


def _chown_for_server(path: Path) -> None:
    if os.geteuid() == 0:
        entry = pwd.getpwnam(SERVER_USER)
        for p in [path, *path.rglob("*")]:
            os.chown(p, entry.pw_uid, entry.pw_gid)


def _check_reachable(path: Path) -> None:
    # The server user must be able to walk down to the data folder.
    if os.geteuid() == 0:
        probe = subprocess.run(_as_server_user(["test", "-w", str(path)]), capture_output=True)
        if probe.returncode != 0:
            raise StackError(
                f"the '{SERVER_USER}' user cannot write {path}: make its parent folders traversable "
                "(chmod o+x) or set SOPORTE_DEV_HOME to a folder it can reach"
            )


def _run(argv: list[str], what: str) -> str:
    result = subprocess.run(_as_server_user(argv), capture_output=True, text=True)
    if result.returncode != 0:
        raise StackError(f"{what} failed: {(result.stdout + result.stderr).strip()[-800:]}")
    return result.stdout


def ensure_cluster(config: StackConfig) -> None:
    """initdb the first time, with our settings appended to postgresql.conf."""
    data = data_dir(config)
    if (data / "PG_VERSION").exists():
        return
    root = cluster_root(config)
    say(f"initialising a PostgreSQL cluster in {data} (first start only)")
    root.mkdir(parents=True, exist_ok=True)
    _chown_for_server(root)
    _check_reachable(root)
    _run(
        [str(bin_dir() / "initdb"), "-D", str(data), "-U", "soporte", "--auth=trust", "-E", "UTF8", "--no-locale"],
        "initdb",
    )
    sockets = root / "sockets"
    sockets.mkdir(exist_ok=True)
    _chown_for_server(sockets)
    with open(data / "postgresql.conf", "a", encoding="utf-8") as conf:
        conf.write(
            "\n# soporte local stack\n"
            f"listen_addresses = '{config.host}'\n"
            f"port = {config.postgres_port}\n"
            f"unix_socket_directories = '{sockets}'\n"
            "max_connections = 300\n"
            "logging_collector = off\n"
        )


def is_running(config: StackConfig) -> bool:
    data = data_dir(config)
    if not (data / "PG_VERSION").exists():
        return False
    result = subprocess.run(
        _as_server_user([str(bin_dir() / "pg_ctl"), "-D", str(data), "status"]), capture_output=True
    )
    return result.returncode == 0


def start(config: StackConfig) -> None:
    """Start the cluster unless it runs already, then make sure the ``soporte`` database exists."""
    if not is_running(config):
        require_free_port(config.host, config.postgres_port, "PostgreSQL", "SOPORTE_DEV_POSTGRES_PORT")
        ensure_cluster(config)
        say(f"starting PostgreSQL on {config.host}:{config.postgres_port}")
        log = cluster_root(config) / "server.log"
        if not log.exists():
            log.touch()
            _chown_for_server(log)
        _run(
            [str(bin_dir() / "pg_ctl"), "-D", str(data_dir(config)), "-l", str(log), "-w", "-t", "60", "start"],
            "pg_ctl start",
        )
    asyncio.run(_ensure_database(config))


async def _ensure_database(config: StackConfig) -> None:
    conn = await asyncpg.connect(host=config.host, port=config.postgres_port, user="soporte", database="postgres")
    try:
        if not await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = 'soporte'"):
            await conn.execute("CREATE DATABASE soporte")
    finally:
        await conn.close()


def stop(config: StackConfig) -> bool:
    if not is_running(config):
        return False
    say("stopping PostgreSQL")
    _run([str(bin_dir() / "pg_ctl"), "-D", str(data_dir(config)), "-m", "fast", "-w", "stop"], "pg_ctl stop")
    return True


def answering(config: StackConfig) -> bool:
    return port_open(config.host, config.postgres_port)
