"""Queue query parsing, cursors and who may read which ticket (pure)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from soporte.projections.domain.access import Ownership, Principal, may_read
from soporte.projections.domain.queues import (
    NO_DUE,
    QueryErrors,
    decode_cursor,
    encode_cursor,
    parse_queue_query,
    sort_key,
)

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_cursor_round_trip():
    key = sort_key(False, None, T0, "T-1")
    assert key.not_actionable == 1 and key.due_at == NO_DUE
    assert decode_cursor(encode_cursor(key)) == key


def test_actionable_sorts_before_sooner_due():
    assert sort_key(True, None, T0, "T-2").as_tuple() < sort_key(False, T0, T0, "T-1").as_tuple()
    assert sort_key(True, T0, T0, "T-2").as_tuple() < sort_key(True, None, T0, "T-1").as_tuple()


def test_every_bad_parameter_is_named():
    with pytest.raises(QueryErrors) as caught:
        parse_queue_query(
            "everything",
            "a-1",
            {"limit": "0", "cursor": "junk", "status": "sleeping", "sla_state": "meh", "category": "x"},
        )
    assert {e.field for e in caught.value.errors} == {"view", "limit", "cursor", "status", "sla_state", "category"}


def test_a_good_query():
    q = parse_queue_query("mine", "a-1", {"limit": "5", "status": "open", "category": "damaged_item"})
    assert (q.view, q.agent_id, q.limit, q.status, q.category) == ("mine", "a-1", 5, "open", "damaged_item")


ANA = Ownership("T-1", "cust-1", "ana@example.com")


@pytest.mark.parametrize(
    "principal, allowed",
    [
        (Principal("agent", "a-1"), True),
        (Principal("customer", "cust-1", customer_id="cust-1", email="other@example.com"), True),
        (Principal("customer", "cust-2", customer_id="cust-2", email="ana@example.com"), True),
        (Principal("customer", "cust-2", customer_id="cust-2", email="bob@example.com"), False),
        (Principal("guest", "g", email="ana@example.com"), True),
        (Principal("guest", "g", email="bob@example.com"), False),
        (Principal("ticket", "t", email="ana@example.com", ticket_id="T-1"), True),
        (Principal("ticket", "t", email="ana@example.com", ticket_id="T-2"), False),
    ],
)
def test_who_may_read(principal, allowed):
    assert may_read(principal, ANA) is allowed
