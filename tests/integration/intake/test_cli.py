"""`soporte intake migrate` and `soporte agents create` as an operator runs them."""

from __future__ import annotations

import subprocess
import sys

import asyncpg

from tests.support.intake import intake_env


def soporte(settings, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "soporte.cli.main", *args],
        env=intake_env(settings),
        capture_output=True,
        text=True,
        timeout=60,
    )


async def test_migrate_then_agents_get_one_token_each_stored_only_as_a_hash(intake_settings):
    assert soporte(intake_settings, "intake", "migrate").stdout.strip() == "intake schema is up to date"
    created = soporte(intake_settings, "agents", "create", "Marta Gil", "--email", "marta@shop.test")
    assert created.returncode == 0, created.stderr
    token = next(line.split()[1] for line in created.stdout.splitlines() if line.startswith("token "))
    assert token.startswith("sp_agent_") and "shown once" in created.stderr
    again = soporte(intake_settings, "agents", "create", "Marta", "--email", "MARTA@shop.test")
    assert again.returncode == 1 and "exists already" in again.stderr and "Traceback" not in again.stderr
    bad = soporte(intake_settings, "agents", "create", "X", "--email", "not an email")
    assert bad.returncode == 2 and "not an email address" in bad.stderr
    conn = await asyncpg.connect(intake_settings.database_url)
    try:
        stored = await conn.fetch("SELECT token_sha256 FROM intake.agents")
    finally:
        await conn.close()
    assert len(stored) == 1 and stored[0]["token_sha256"] != token and token not in stored[0]["token_sha256"]
