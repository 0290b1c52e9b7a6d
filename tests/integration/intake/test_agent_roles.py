"""Agents have a role (agent or lead): `soporte agents create ... --role lead`, and intake's whoami says it."""

from __future__ import annotations

from tests.support.intake import bearer, create_agent

from .test_cli import soporte


async def test_a_lead_is_created_with_the_role_and_whoami_tells_it_an_agent_is_an_agent_by_default(
    client, intake_settings
):
    lead_token = create_agent(intake_settings, "Marta Gil", "marta@shop.test", role="lead")
    agent_token = create_agent(intake_settings, "Luis", "luis@shop.test")

    lead = await (await client.get("/api/v1/whoami", headers=bearer(lead_token))).json()
    agent = await (await client.get("/api/v1/whoami", headers=bearer(agent_token))).json()
    assert (lead["kind"], lead["name"], lead["role"]) == ("agent", "Marta Gil", "lead")
    assert (agent["kind"], agent["role"]) == ("agent", "agent")


def test_the_command_names_the_role_and_refuses_one_that_does_not_exist(intake_settings):
    created = soporte(intake_settings, "agents", "create", "Nora", "--email", "nora@shop.test", "--role", "lead")
    assert created.returncode == 0 and created.stdout.splitlines()[0].endswith("(Nora <nora@shop.test>, lead)")
    refused = soporte(intake_settings, "agents", "create", "X", "--email", "x@shop.test", "--role", "boss")
    assert refused.returncode == 2 and "invalid choice: 'boss'" in refused.stderr
