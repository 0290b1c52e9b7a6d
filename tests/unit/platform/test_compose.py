"""deploy/compose.yaml cannot run here (no Docker engine); it is kept correct by reading it."""

from pathlib import Path

import yaml

from soporte.devstack.cli import SERVICES

COMPOSE = Path(__file__).resolve().parents[3] / "deploy" / "compose.yaml"


def load():
    return yaml.safe_load(COMPOSE.read_text())


def test_compose_has_the_infrastructure_and_every_service():
    services = load()["services"]
    assert {"kafka", "postgres", "mailsink"} <= set(services)
    for spec in SERVICES:
        assert services[spec.name]["command"] == ["python", "-m", spec.module]


def test_kafka_is_a_single_kraft_node_with_topics_created_by_the_project():
    env = load()["services"]["kafka"]["environment"]
    assert load()["services"]["kafka"]["image"].startswith("apache/kafka:4.")
    assert env["KAFKA_PROCESS_ROLES"] == "broker,controller"
    assert env["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "false"
    assert env["KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR"] == "1"
    assert "kafka:9092" in env["KAFKA_ADVERTISED_LISTENERS"]


def test_services_reach_the_infrastructure_by_service_name_and_publish_on_loopback_only():
    services = load()["services"]
    for spec in SERVICES:
        service = services[spec.name]
        env = service["environment"]
        assert env["SOPORTE_KAFKA_BOOTSTRAP"] == "kafka:9092"
        assert "@postgres:5432/" in env["SOPORTE_DATABASE_URL"]
        assert set(service["depends_on"]) == {"kafka", "postgres"}
        for port in service.get("ports", []):
            assert port.startswith("127.0.0.1:")


def test_every_secret_a_service_names_is_required_by_compose_and_listed_in_the_readme():
    from soporte.intake.mailin.settings import MailinSettings
    from soporte.intake.settings import IntakeSettings
    from soporte.notifier.settings import NotifierSettings
    from soporte.projections.settings import ProjectionsSettings
    from soporte.sla.settings import SlaSettings

    env = load()["x-service-env"]
    readme = (COMPOSE.parents[1] / "README.md").read_text()
    secrets = {
        name
        for cls in (IntakeSettings, MailinSettings, NotifierSettings, ProjectionsSettings, SlaSettings)
        for name in cls.SECRETS
    }
    assert secrets == {"shop_secret", "desk_secret"}
    for name in secrets:
        variable = f"SOPORTE_{name.upper()}"
        assert env[variable].startswith(f"${{{variable}:?"), f"compose must refuse to start without {variable}"
        assert f"| `{variable}` |" in readme, f"the README's configuration table must list {variable}"
