"""Who may see a ticket, what ``whoami`` says, and how guest attempts are limited."""

from __future__ import annotations

from soporte.intake.domain.tickets import Status, TicketState
from soporte.intake.entrypoints.auth import AttemptLimiter, Principal

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


def test_attempts_are_limited_per_key_within_a_sliding_window():
    now = [0.0]
    limiter = AttemptLimiter(limit=3, window_seconds=60, clock=lambda: now[0])
    assert [limiter.hit("1.2.3.4") for _ in range(4)] == [True, True, True, False]
    assert limiter.hit("5.6.7.8")  # another client is not affected
    now[0] = 59.0
    assert not limiter.hit("1.2.3.4")
    now[0] = 60.5  # the first attempts have left the window
    assert limiter.hit("1.2.3.4")


def test_keys_whose_attempts_have_left_the_window_are_forgotten():
    now = [0.0]
    limiter = AttemptLimiter(limit=3, window_seconds=60, clock=lambda: now[0])
    for n in range(AttemptLimiter.SWEEP_EVERY - 1):
        limiter.hit(f"client-{n}")
    now[0] = 120.0
    limiter.hit("recent")  # the thousandth hit sweeps first
    assert list(limiter.attempts) == ["recent"]
