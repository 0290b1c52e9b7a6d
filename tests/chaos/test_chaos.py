"""Faults on a private stack under load: nothing accepted is lost, nothing is doubled, read models converge, clients
are told to come back (503 + Retry-After) and never left hanging or given a 500.

``make chaos`` runs every component (the broker, PostgreSQL, each service) ``SOPORTE_CHAOS_ROUNDS`` times (3);
``make test`` runs a short version: one round each of the broker, PostgreSQL and intake.
``SOPORTE_TEST_SEED`` replays a run's order and moments.
"""

from __future__ import annotations

import os
import random

import pytest

from tests.chaos.harness import COMPONENTS, run_chaos

SEED = int(os.environ.get("SOPORTE_TEST_SEED", random.randrange(2**32)))
SHORT = ["postgres", "kafka", "intake"]


@pytest.mark.chaos
@pytest.mark.timeout(900)
async def test_every_component_killed_at_random_moments_under_load_breaks_no_invariant(tmp_path):
    rounds = int(os.environ.get("SOPORTE_CHAOS_ROUNDS", "3"))
    report = await run_chaos(tmp_path, list(COMPONENTS), rounds, load_seconds=6.0, seed=SEED)
    assert all(report.rounds[c] >= rounds for c in COMPONENTS), report.rounds
    assert report.violations == []


@pytest.mark.timeout(300)
async def test_the_broker_postgresql_and_intake_killed_under_load_break_no_invariant(tmp_path):
    report = await run_chaos(tmp_path, SHORT, 1, load_seconds=3.0, seed=SEED)
    assert sum(report.rounds.values()) == len(SHORT)
    assert report.violations == []
