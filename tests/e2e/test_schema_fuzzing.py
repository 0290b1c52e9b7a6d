"""Schemathesis against both OpenAPI documents, on the services as they run (processes), with real identities.

Every operation of intake's and projections' documents gets schema-valid and schema-invalid cases (a bounded
number each, ``SOPORTE_FUZZ_CASES``), sent by an agent, a shop customer, a guest, a ticket link or nobody, on
tickets that exist or do not; then schemathesis' own command runs its deterministic phases (the documents'
examples, and the boundaries and odd content types of every parameter) as an agent and as a customer. Every
answer must pass every check schemathesis has: no server error, the status and the content type the document
names, the body its schema says, invalid data refused, credentials enforced. The run prints what it sent and found.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import random
import re
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.config import SchemathesisConfig
from schemathesis.core.failures import FailureGroup

from tests.support.fuzzing import Identities, start_fuzzed_desk

CASES = int(os.environ.get("SOPORTE_FUZZ_CASES", "25"))  # per operation and mode
# Schema-valid data may still be refused by a rule no schema can state (an order that is not the caller's, a carrier
# the desk does not offer, an agent that does not exist): 422 then, as the document says. Everything else as
# schemathesis has it.
# A body over a route's size (413) or one that stopped arriving (408) is refused too.
CONFIG = """
[checks.positive_data_acceptance]
expected-statuses = ["2xx", "3xx", "401", "403", "404", "409", "422", "429"]

[checks.negative_data_rejection]
expected-statuses = ["400", "401", "403", "404", "405", "406", "408", "409", "413", "415", "422", "429"]
"""
SEED = int(os.environ.get("SOPORTE_TEST_SEED", random.randrange(2**32)))


@dataclass
class FuzzReport:
    cases: Counter
    statuses: Counter
    failures: dict[tuple[str, str], str]


def fuzz(service: str, base: str, who: Identities, tickets: list[str], report: FuzzReport) -> None:
    """Every operation of ``service``'s document, positive and negative cases, each sent by one of ``who``."""
    schema = schemathesis.openapi.from_url(f"{base}/api/openapi.json", config=SchemathesisConfig.from_str(CONFIG))
    session = requests.Session()
    for result in schema.get_all_operations():
        operation = result.ok()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            # The caller and the ticket are fixed parts of a case (schemathesis makes the rest valid or not); one
            # variant leaves the ticket to schemathesis too.
            paths = [{"ticket_id": t} for t in tickets] if "{ticket_id}" in operation.path else []
            strategies = [
                operation.as_strategy(generation_mode=mode, auth_storage=auth, path_parameters=path)
                for auth in who.auths()
                for path in [*paths, None]
            ]

            @seed(SEED)
            @settings(max_examples=CASES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
            @given(case=st.one_of(strategies))
            def send(case) -> None:
                response = case.call(base_url=base, session=session, timeout=30)
                report.cases[service] += 1
                report.statuses[(service, response.status_code // 100)] += 1
                try:
                    case.validate_response(response)
                except FailureGroup as group:
                    caller = who.name_of(case.headers)
                    for failure in group.exceptions:
                        key = (f"{service} {case.operation.label}", failure.title)
                        example = f"{caller}, {response.status_code}: {case.as_curl_command()[:800]}"
                        report.failures.setdefault(key, f"{example}\n{str(failure)[:800]}")

            try:
                send()
            except Unsatisfiable:
                assert mode is GenerationMode.NEGATIVE, operation.label  # nothing of it can be made invalid


@pytest.fixture
async def fuzzed_desk(intake_settings, tmp_path):
    desk = await start_fuzzed_desk(intake_settings, tmp_path)
    yield desk
    desk.stop()


def boundaries(base: str, headers: dict[str, str], config: Path) -> tuple[int, str]:
    """schemathesis' command on ``base`` with its examples and coverage phases: its exit status and summary."""
    command = [sys.executable, "-m", "schemathesis.cli", "--no-color", "--config-file", str(config), "run"]
    command += [f"{base}/api/openapi.json", "--phases", "examples,coverage", "--checks", "all", "--seed", str(SEED)]
    command += [option for name, value in headers.items() for option in ("-H", f"{name}: {value}")]
    ran = subprocess.run(command, capture_output=True, text=True, timeout=600)
    output = ran.stdout + ran.stderr
    failures = output[output.find("FAILURES") :] if "FAILURES" in output else ""
    summary = re.findall(r"\d+ generated, .*", output)
    return ran.returncode, (summary[-1] if summary else output[-2000:]) + ("\n" + failures[:6000] if failures else "")


async def test_both_documents_hold_for_every_answer_to_thousands_of_generated_requests(fuzzed_desk, tmp_path):
    report = FuzzReport(Counter(), Counter(), {})
    services = (("intake", fuzzed_desk.intake.base), ("projections", fuzzed_desk.projections.base))
    for service, base in services:
        await asyncio.to_thread(fuzz, service, base, fuzzed_desk.identities, fuzzed_desk.tickets, report)
    config = tmp_path / "schemathesis.toml"
    config.write_text(CONFIG)
    phases = {}
    for (service, base), who in itertools.product(services, ("agent", "customer")):
        status, summary = await asyncio.to_thread(boundaries, base, fuzzed_desk.identities.headers[who], config)
        phases[f"{service} as {who}"] = status
        print(f"\n[fuzz] examples and coverage, {service} as {who}: exit {status}; {summary}")
    print(
        f"\n[fuzz] seed {SEED}, {CASES} cases per operation and mode: "
        + ", ".join(f"{service} {n} requests" for service, n in sorted(report.cases.items()))
        + "; answers by class: "
        + ", ".join(f"{s} {c}xx: {n}" for (s, c), n in sorted(report.statuses.items()))
        + f"; {len(report.failures)} distinct failures"
    )
    for (where, title), example in sorted(report.failures.items()):
        print(f"[fuzz] {where}: {title}\n{example}\n")
    assert fuzzed_desk.intake.alive() and fuzzed_desk.projections.alive()
    assert not report.failures, sorted(report.failures)
    assert set(phases.values()) == {0}, phases
    assert all(n > 0 for n in report.cases.values()) and set(report.cases) == {"intake", "projections"}
