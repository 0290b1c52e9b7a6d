"""The ops view's line format and argument handling (no Kafka needed)."""

from datetime import UTC, datetime, timedelta

import pytest

from soporte.sla.cli import escalations
from soporte.sla.entrypoints.operations import format_escalation
from tests.support.scenario import Stream

from .driver import Worker

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_a_breach_reads_as_one_line_with_who_must_act():
    sla, stream = Worker(), Stream("T-7F3K2M9QXA")
    sla.apply(stream.submitted(T0))
    warning, breach = [e for e in sla.due(T0 + timedelta(minutes=15)) if e.data.clock == "first_response"]
    line = format_escalation(breach)
    assert line.startswith("2026-03-02 09:15:00Z BREACH  level=2 ticket=T-7F3K2M9QXA clock=first_response")
    assert "elapsed=900s/900s notify=team-lead,ops" in line
    assert "WARNING level=1" in format_escalation(warning)


def test_watch_requires_a_subcommand():
    with pytest.raises(SystemExit) as exit_info:
        escalations([])
    assert exit_info.value.code == 2
