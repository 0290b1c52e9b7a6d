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
