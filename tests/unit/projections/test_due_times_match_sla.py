"""The due time a queue row shows is the deadline the SLA worker escalates on, for any history (property test).

For generated histories (several tickets interleaved; submissions by customers,
guests and agents on every channel; replies, clarifications, return labels,
courier claims, resolutions, reopenings, notes, assignments; at times around
business hours, a holiday and a DST change), each event goes through the
projection's fold on its own, starting from the tickets row as it was stored
(its jsonb columns through JSON), and the row's ``sla_due_at`` must equal the
earliest deadline of the SLA rules folded over the same history, per ticket,
after every event.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from soporte import events as ev
from soporte.businesstime import calendar_from_dict
from soporte.projections.adapters.rows import TICKET_COLUMNS, stored_ticket_from_record, ticket_row
from soporte.projections.domain.projection import StoredTicket, fold
from soporte.ticketrules import SlaRules, TicketClocks, policies_from_dict
from tests.support.scenario import CUSTOMER, GUEST, MINUTE, Stream

CALENDAR = calendar_from_dict(
    {
        "timezone": "Europe/Madrid",
        "weekly": {
            **{day: ["00:00-18:00"] for day in ("monday", "tuesday", "wednesday", "thursday")},
            "friday": ["08:00-14:00", "16:00-18:00"],
            "saturday": ["10:00-13:00"],
        },
        "special_days": [{"date": "2026-03-19", "name": "San José"}, {"date": "2026-03-31", "hours": ["09:00-12:00"]}],
    }
)
POLICIES = policies_from_dict(
    {
        "id": "property",
        "version": 2,
        "default": {"first_response": "15m", "next_response": "60m", "attention": "24h"},
        "priorities": {"urgent": {"first_response": "5m"}},
        "categories": {"pre_sales": {"next_response": "3h"}},
    }
)
RULES = SlaRules(CALENDAR, POLICIES)
# Around opening and closing times, a holiday (Thursday 19 March) and the spring DST change (Sunday 29 March).
ANCHORS = [
    datetime(2026, 3, 13, 16, 50, tzinfo=UTC),  # Friday 17:50 in Madrid: ten business minutes left
    datetime(2026, 3, 13, 12, 55, tzinfo=UTC),  # Friday 13:55: the lunch break comes
    datetime(2026, 3, 18, 16, 58, tzinfo=UTC),  # Wednesday 17:58, the holiday after
    datetime(2026, 3, 28, 11, 50, tzinfo=UTC),  # Saturday 12:50, the DST night after
    datetime(2026, 3, 30, 21, 55, tzinfo=UTC),  # Monday 23:55, a short day after
]
GAPS = [timedelta(0), MINUTE, 4 * MINUTE, 14 * MINUTE, 16 * MINUTE, 59 * MINUTE, timedelta(hours=3)]
GAPS += [timedelta(hours=7), timedelta(days=1), timedelta(days=2, hours=5)]
ACTIONS = [
    "agent_replied",
    "customer_replied",
    "clarification",
    "return_label",
    "courier_claim",
    "resolved",
    "reopened_by_customer",
    "reopened_by_agent",
    "note",
    "assigned",
]


@st.composite
def histories(draw) -> list[ev.Event]:
    """Events of one to three tickets, interleaved, in time order; each ticket starts with its submission."""
    count = draw(st.integers(1, 3))
    streams = [
        Stream(
            customer_actor=draw(st.sampled_from([CUSTOMER, GUEST])),
            priority=draw(st.sampled_from(list(ev.Priority))),
            category=draw(st.sampled_from([ev.Category.DAMAGED_ITEM, ev.Category.PRE_SALES])),
        )
        for _ in range(count)
    ]
    at = draw(st.sampled_from(ANCHORS))
    events = []
    for _ in range(draw(st.integers(1, 14))):
        stream = draw(st.sampled_from(streams))
        at += draw(st.sampled_from(GAPS))
        if stream.version == 0:
            channel = draw(st.sampled_from(list(ev.Channel)))  # phone and chat: an agent opens it
            events.append(stream.submitted(at, channel=channel))
            continue
        action = draw(st.sampled_from(ACTIONS))
        if action.startswith("reopened"):
            events.append(stream.reopened(at, by_customer=action == "reopened_by_customer"))
        else:
            events.append(getattr(stream, action)(at))
    return events


def stored_and_read_back(stored: StoredTicket) -> tuple[dict, StoredTicket]:
    """The tickets row as written, and as read again (jsonb columns through JSON, as PostgreSQL gives them)."""
    row = dict(zip(TICKET_COLUMNS, ticket_row(stored), strict=True))
    for column in ("missing", "clocks", "due_times"):
        row[column] = json.loads(json.dumps(row[column]))
    return row, stored_ticket_from_record(row)


@settings(max_examples=300, deadline=None)
@given(histories())
def test_the_queue_shows_the_earliest_deadline_the_sla_rules_escalate_on(history):
    rows: dict[str, StoredTicket] = {}
    rules_states: dict[str, TicketClocks] = {}
    for event in history:
        ticket_id = event.ticket_id
        [written] = fold(RULES, {ticket_id: rows[ticket_id]} if ticket_id in rows else {}, {}, [event]).tickets
        row, rows[ticket_id] = stored_and_read_back(written)

        state = RULES.apply(rules_states.get(ticket_id) or TicketClocks(ticket_id), event).state
        rules_states[ticket_id] = state
        earliest = min(state.deadlines(CALENDAR).values(), default=None)

        assert row["sla_due_at"] == earliest, (event.type, event.occurred_at)
        assert rows[ticket_id].view.sla_due_at == earliest
        assert rows[ticket_id].view.due_times == {k.value: d for k, d in state.deadlines(CALENDAR).items()}
