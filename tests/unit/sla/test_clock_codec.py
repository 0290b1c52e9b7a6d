"""Saving and loading ticket clocks (the JSON values of the faust table)."""

import json
from datetime import UTC, datetime, timedelta

from soporte.businesstime import BusinessCalendar
from soporte.sla.adapters.clock_codec import dump_ticket, load_ticket
from soporte.sla.domain.clocks import SlaEngine
from soporte.ticketrules import load_policies

from .scenario import Stream

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
M = timedelta(minutes=1)


def test_a_restored_ticket_fires_what_is_left_and_nothing_twice():
    policies = load_policies()
    before, stream = SlaEngine(BusinessCalendar.always_open(), policies), Stream()
    before.apply(stream.submitted(T0))
    before.apply(stream.clarification(T0 + 2 * M))
    before.apply(stream.customer_replied(T0 + 30 * M))
    [warning] = [e for e in before.due(T0 + 40 * M) if e.data.clock == "first_response"]
    [saved] = before.take_changed()
    assert before.take_changed() == []

    after = SlaEngine(BusinessCalendar.always_open(), policies)
    after.restore(load_ticket(saved.ticket_id, json.loads(json.dumps(dump_ticket(saved)))))
    raised = [e for e in after.due(T0 + 60 * M) if e.data.clock == "first_response"]
    assert [e.type for e in raised] == ["SlaBreached"]
    assert raised[0].data.deadline == warning.data.deadline == T0 + 43 * M
    assert after.apply(stream.customer_replied(T0 + 29 * M).model_copy(update={"version": 3})) == []  # already applied
