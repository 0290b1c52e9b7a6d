"""`soporte intake migrate` and `soporte agents ...` as an operator runs them."""

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


async def test_migrate_then_agents_get_a_password_and_a_token_shown_once_and_stored_only_as_hashes(intake_settings):
    assert soporte(intake_settings, "intake", "migrate").stdout.strip() == "intake schema is up to date"
    created = soporte(
        intake_settings, "agents", "create", "Marta Gil", "--email", "marta@shop.test", "--api-token", "crm"
    )
    assert created.returncode == 0, created.stderr
    said = dict(line.split(" ", 1) for line in created.stdout.splitlines())
    password, token = said["password"], said["token"].split()[0]
    assert token.startswith("sp_agent_") and len(password) == 16 and "Shown once" in created.stderr
    again = soporte(intake_settings, "agents", "create", "Marta", "--email", "MARTA@shop.test")
    assert again.returncode == 1 and "exists already" in again.stderr and "Traceback" not in again.stderr
    bad = soporte(intake_settings, "agents", "create", "X", "--email", "not an email")
    assert bad.returncode == 2 and "not an email address" in bad.stderr
    conn = await asyncpg.connect(intake_settings.database_url)
    try:
        stored = await conn.fetchrow(
            "SELECT a.password_hash, t.token_sha256 FROM intake.agents a JOIN intake.agent_tokens t USING (agent_id)"
        )
    finally:
        await conn.close()
    assert stored["password_hash"].startswith("$argon2id$") and password not in stored["password_hash"]
    assert token not in stored["token_sha256"]


def test_an_operator_lists_disables_enables_resets_and_manages_tokens(intake_settings):
    created = soporte(intake_settings, "agents", "create", "Luis", "--email", "luis@shop.test", "--api-token", "crm")
    agent_id = created.stdout.split()[1]
    listed = soporte(intake_settings, "agents", "list").stdout.splitlines()
    assert listed[0].startswith(f"{agent_id}  Luis <luis@shop.test>  agent  enabled  never signed in")
    token_id = listed[1].split()[1]
    assert listed[1].split()[2:] == ["crm"]
    disabled = soporte(intake_settings, "agents", "disable", "LUIS@shop.test")
    assert disabled.returncode == 0 and disabled.stdout.strip().endswith("disabled")
    assert soporte(intake_settings, "agents", "list").stdout.splitlines()[1].endswith("(revoked)")
    assert soporte(intake_settings, "agents", "enable", agent_id).stdout.strip().endswith("enabled")
    reset = soporte(intake_settings, "agents", "reset-password", "luis@shop.test")
    assert reset.returncode == 0 and reset.stdout.splitlines()[1].startswith("password ")
    added = soporte(intake_settings, "agents", "add-token", "luis@shop.test", "--label", "informes")
    assert added.returncode == 0 and added.stdout.startswith("token sp_agent_")
    assert soporte(intake_settings, "agents", "revoke-token", token_id).returncode == 0
    nobody = soporte(intake_settings, "agents", "disable", "nadie@shop.test")
    assert nobody.returncode == 1 and "no agent 'nadie@shop.test'" in nobody.stderr
