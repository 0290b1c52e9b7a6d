"""A desk for the schema fuzzer: intake and projections as processes, and one of each kind of caller with
tickets of their own (an agent, a shop customer, a guest, a ticket link, nobody)."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from pathlib import Path

import requests
from schemathesis.auths import AuthStorage

from soporte.intake.settings import IntakeSettings
from tests.support.intake import bearer, create_agent, customer_token, soporte_cli
from tests.support.processes import ServiceProcess, desk_env
from tests.support.smtp import free_port

ORDERS_CSV = "order_number,email,customer_id,customer_name,placed_at,items\n"
ORDERS_CSV += "700001,guest@example.com,,Gema,2026-03-01T10:00:00Z,LCD-156:Pantalla:1\n"
ORDERS_CSV += "700002,ana@example.com,cust-1,Ana,2026-03-01T10:00:00Z,LCD-156:Pantalla:1\n"


@dataclass
class Identities:
    headers: dict[str, dict[str, str]]  # who → the headers they send (nobody: none)

    def auths(self) -> list[AuthStorage | None]:
        """Each caller as schemathesis' own auth (its checks then know the credentials are real ones and probe
        without them): None for nobody, who sends what schemathesis makes up, or nothing."""
        return [_bearer(headers["Authorization"]) if headers else None for headers in self.headers.values()]

    def name_of(self, headers: dict | None) -> str:
        """Who sent a request with ``headers`` (its Authorization)."""
        sent = (headers or {}).get("Authorization")
        return next((name for name, own in self.headers.items() if own.get("Authorization") == sent), "nobody")


def _bearer(authorization: str) -> AuthStorage:
    storage = AuthStorage()

    @storage.auth(refresh_interval=None)
    class Bearer:
        def get(self, case, ctx) -> str:
            return authorization

        def set(self, case, data: str, ctx) -> None:
            case.headers = {**(case.headers or {}), "Authorization": data}

    return storage


@dataclass
class FuzzedDesk:
    intake: ServiceProcess
    projections: ServiceProcess
    identities: Identities
    tickets: list[str]

    def stop(self) -> None:
        for process in (self.projections, self.intake):
            process.stop()


async def start_fuzzed_desk(settings: IntakeSettings, logs: Path) -> FuzzedDesk:
    return await asyncio.to_thread(_start, settings, logs)


def _start(settings: IntakeSettings, logs: Path) -> FuzzedDesk:
    env = desk_env(settings.database_url, settings.kafka_bootstrap, settings.topic_prefix)
    intake_port, projections_port = free_port(), free_port()
    unlimited = {
        name: "100000" for name in ("GUEST_FAILURES_PER_CLIENT", "GUEST_FAILURES_PER_EMAIL", "LINKS_PER_CLIENT")
    }
    intake = ServiceProcess.module(
        "intake",
        "soporte.intake",
        {
            **env,
            "SOPORTE_INTAKE_PORT": str(intake_port),
            "SOPORTE_INTAKE_ATTACHMENTS_DIR": str(logs / "files"),
            "SOPORTE_INTAKE_GROUP_ID": f"fuzz-intake-{uuid.uuid4().hex[:8]}",
            **{f"SOPORTE_INTAKE_{name}": value for name, value in unlimited.items()},
        },
        intake_port,
        logs,
    ).start()
    projections = ServiceProcess.module(
        "projections",
        "soporte.projections",
        {
            **env,
            "SOPORTE_PROJECTIONS_PORT": str(projections_port),
            "SOPORTE_PROJECTIONS_INTAKE_URL": f"http://127.0.0.1:{intake_port}",
            "SOPORTE_PROJECTIONS_GROUP_ID": f"fuzz-projections-{uuid.uuid4().hex[:8]}",
            "SOPORTE_PROJECTIONS_READ_YOUR_WRITES_SECONDS": "1",
        },
        projections_port,
        logs,
    ).start()
    try:
        intake.wait()
        projections.wait()
        return FuzzedDesk(intake, projections, *_callers(settings, intake.base, logs))
    except BaseException:
        projections.stop()
        intake.stop()
        raise


def _callers(settings: IntakeSettings, intake: str, logs: Path) -> tuple[Identities, list[str]]:
    """One caller of each kind, each with a ticket: the identities, and the tickets' ids."""
    orders = logs / "orders.csv"
    orders.write_text(ORDERS_CSV)
    imported = soporte_cli(settings, "orders", "import", str(orders))
    assert imported.returncode == 0, imported.stderr
    agent = bearer(create_agent(settings))
    customer = bearer(customer_token())
    session = requests.post(
        f"{intake}/api/v1/guest-sessions", json={"email": "guest@example.com", "order_number": "700001"}, timeout=30
    )
    assert session.status_code == 201, session.text
    guest = bearer(session.json()["guest_token"])
    body = {"category": "damaged_item", "description": "Llegó rota", "customer_name": "Ana"}
    tickets, ticket_token = [], None
    for headers, extra in ((customer, {}), (guest, {}), (agent, {"customer_email": "luis@example.com"})):
        created = requests.post(f"{intake}/api/v1/tickets", headers=headers, json={**body, **extra}, timeout=30)
        assert created.status_code == 201, created.text
        tickets.append(created.json()["ticket_id"])
        ticket_token = ticket_token or created.json()["access_token"]
    headers = {"agent": agent, "customer": customer, "guest": guest, "ticket": bearer(ticket_token), "nobody": {}}
    return Identities(headers), tickets
