"""Who may see a ticket, what ``whoami`` says, and how guest attempts are limited."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from soporte.intake.domain.access import Budget, Throttled, check_budgets, wait_before_next
from soporte.intake.domain.tickets import Status, TicketState
from soporte.intake.entrypoints.auth import Principal
from tests.support.scenario import MINUTE

TICKET = TicketState("T-AAAA", version=2, status=Status.NEW, customer_email="ana@example.com", customer_id="cust-1")


def test_each_kind_of_token_sees_only_what_it_should():
    assert Principal("agent", "agent-1").can_see(TICKET)
    assert Principal("customer", "cust-1", customer_id="cust-1", email="other@example.com").can_see(TICKET)
    assert Principal("customer", "cust-9", customer_id="cust-9", email="ANA@example.com").can_see(TICKET)  # same email
    assert not Principal("customer", "cust-9", customer_id="cust-9", email="eve@example.com").can_see(TICKET)
    assert Principal("guest", "ana@example.com", email="ana@example.com").can_see(TICKET)
    assert not Principal("guest", "eve@example.com", email="eve@example.com").can_see(TICKET)
    assert Principal("ticket", "T-AAAA", ticket_id="T-AAAA").can_see(TICKET)
    assert not Principal("ticket", "T-BBBB", ticket_id="T-BBBB").can_see(TICKET)
    assert not Principal("agent", "agent-1").can_see(TicketState("T-NONE"))  # nothing to see: 404 for everyone


def test_whoami_always_names_kind_id_name_and_email():
    assert Principal("ticket", "T-AAAA", email="ana@example.com", ticket_id="T-AAAA").as_json() == {
        "kind": "ticket",
        "id": "T-AAAA",
        "name": None,
        "email": "ana@example.com",
        "ticket_id": "T-AAAA",
    }
    assert (
        Principal("customer", "cust-1", "Ana", "ana@example.com", customer_id="cust-1").as_json()["customer_id"]
        == "cust-1"
    )


def test_a_budget_lets_its_limit_through_in_a_sliding_window_and_says_how_long_to_wait_after():
    budget = Budget("guest-client", 3, timedelta(minutes=15))
    t0 = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
    attempts = [t0, t0 + timedelta(minutes=1), t0 + timedelta(minutes=2)]
    assert wait_before_next(attempts[:2], budget, t0 + timedelta(minutes=3)) is None
    assert wait_before_next(attempts, budget, t0 + timedelta(minutes=3)) == timedelta(minutes=12)
    assert wait_before_next(attempts, budget, t0 + timedelta(minutes=15, seconds=1)) is None  # the first has left
    with pytest.raises(Throttled) as throttled:
        check_budgets({budget: attempts, Budget("guest-order", 10, timedelta(hours=1)): attempts}, t0 + MINUTE * 5)
    assert throttled.value.minutes == 10 and throttled.value.seconds == 600


def test_a_budget_counts_hashed_keys_the_same_however_the_value_was_typed():
    budget = Budget("guest-email", 3, timedelta(minutes=15))
    assert budget.key(" Ana@Example.com ") == budget.key("ana@example.com")
    assert "ana" not in budget.key("ana@example.com").digest
    assert budget.key("ana@example.com") != Budget("links-email", 3, timedelta(hours=1)).key("ana@example.com")
