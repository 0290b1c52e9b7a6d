"""Agents have a role (agent or lead): `soporte agents create ... --role lead`, and intake's whoami says it."""

from __future__ import annotations

import subprocess
import sys

from tests.support.intake import bearer, intake_env


def create_agent(settings, name: str, email: str, *role: str) -> tuple[str, str]:
    """`soporte agents create` as an operator runs it: the line naming the agent, and its token."""
    created = subprocess.run(
        [sys.executable, "-m", "soporte.cli.main", "agents", "create", name, "--email", email, *role],
        env=intake_env(settings),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert created.returncode == 0, created.stderr
    lines = created.stdout.splitlines()
    return lines[0], next(line.split()[1] for line in lines if line.startswith("token "))


async def test_a_lead_is_created_with_the_role_and_whoami_tells_it_an_agent_is_an_agent_by_default(
    client, intake_settings
):
    lead_line, lead_token = create_agent(intake_settings, "Marta Gil", "marta@shop.test", "--role", "lead")
    agent_line, agent_token = create_agent(intake_settings, "Luis", "luis@shop.test")
    assert lead_line.endswith("(Marta Gil <marta@shop.test>, lead)") and agent_line.endswith(", agent)")

    lead = await (await client.get("/api/v1/whoami", headers=bearer(lead_token))).json()
    agent = await (await client.get("/api/v1/whoami", headers=bearer(agent_token))).json()
    assert (lead["kind"], lead["name"], lead["role"]) == ("agent", "Marta Gil", "lead")
    assert (agent["kind"], agent["role"]) == ("agent", "agent")


def test_a_role_that_does_not_exist_is_refused(intake_settings):
    refused = subprocess.run(
        [sys.executable, "-m", "soporte.cli.main", "agents", "create", "X", "--email", "x@shop.test", "--role", "boss"],
        env=intake_env(intake_settings),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert refused.returncode == 2 and "invalid choice: 'boss'" in refused.stderr
