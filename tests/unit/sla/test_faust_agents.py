"""The faust agents on a fresh app with a memory store (``agent.test_context()``, no broker)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from soporte.businesstime import BusinessCalendar, load_policies
from soporte.events import decode, encode, event_key
from soporte.events import types as t
from soporte.sla.domain.clocks import SlaEngine
from soporte.sla.entrypoints.faust_app import create_app
from soporte.sla.settings import SlaSettings

from .scenario import Stream

M = timedelta(minutes=1)


class Sent:
    """Stands in for the aiokafka producer: what the agents published, by topic."""

    def __init__(self) -> None:
        self.records: list[tuple[str, object]] = []

    async def send_and_wait(self, topic: str, value: bytes, key: bytes) -> None:
        self.records.append((topic, decode(value)))

    def of(self, kind) -> list:
        return [event for _, event in self.records if isinstance(event, kind)]


@pytest.fixture
def app(tmp_path):
    app = create_app(SlaSettings(sla_app_id="unit"), BusinessCalendar.always_open(), load_policies(), datadir=tmp_path)
    app.finalize()
    app.flow_control.resume()
    app.sla.producer = Sent()
    app.sla.read_back.set()
    return app


def agent(app, name: str):
    return app.agents[next(key for key in app.agents if key.endswith(name))]


async def test_events_fill_the_table_and_the_heap_then_a_due_message_escalates_once(app):
    ticket, t0 = Stream(), datetime.now(UTC) - 60 * M
    async with agent(app, "ticket_events").test_context() as events:
        submitted = ticket.submitted(t0)
        await events.put(key=event_key(submitted), value=encode(submitted))
    assert app.tables["clocks"][ticket.ticket_id]["last_version"] == 1
    assert app.sla.engine.next_due_at() == t0 + 12 * M  # the warning: 80 % of 15 minutes

    async with agent(app, "due_tickets").test_context() as due:
        for _ in range(2):  # a repeated due message raises nothing more
            await due.put(key=ticket.ticket_id.encode(), value=ticket.ticket_id.encode())
    sent = app.sla.producer
    assert [e.type for e in sent.of(t.SlaWarning | t.SlaBreached) if e.data.clock == "first_response"] == [
        "SlaWarning",
        "SlaBreached",
    ]
    fired = {c["kind"]: c["fired"] for c in app.tables["clocks"][ticket.ticket_id]["clocks"]}
    assert sorted(fired["first_response"]) == ["breach", "warning"]


async def test_an_id_already_published_is_marked_fired_not_sent_and_garbage_is_dead_lettered(app):
    ticket, t0 = Stream(), datetime.now(UTC) - 60 * M
    async with agent(app, "ticket_events").test_context() as events:
        submitted = ticket.submitted(t0)
        await events.put(key=event_key(submitted), value=encode(submitted))
        await events.put(key=b"T-GARBAGE", value=b"{not json")
    [letter] = app.sla.producer.of(t.DeadLettered)
    assert letter.data.key == "T-GARBAGE" and letter.data.consumer == "sla"

    # As after a replay under a new app id: the escalations are already on the topic.
    engine_copy = SlaEngine(BusinessCalendar.always_open(), load_policies())
    engine_copy.apply(submitted)
    app.sla.published.update(str(e.event_id) for e in engine_copy.due(datetime.now(UTC)))
    async with agent(app, "due_tickets").test_context() as due:
        await due.put(key=ticket.ticket_id.encode(), value=ticket.ticket_id.encode())
    assert app.sla.producer.of(t.SlaWarning | t.SlaBreached) == []
    fired = {c["kind"]: c["fired"] for c in app.tables["clocks"][ticket.ticket_id]["clocks"]}
    assert sorted(fired["first_response"]) == ["breach", "warning"]


async def test_a_ticket_event_saves_its_own_ticket_not_the_fired_marks_the_timer_put_on_another(app):
    # The timer task marks what it fires in the shared engine before the due agent has published it;
    # an event of another ticket processed meanwhile must not save that mark (the escalation was lost).
    late, other, t0 = Stream(), Stream(), datetime.now(UTC) - 60 * M
    async with agent(app, "ticket_events").test_context() as events:
        submitted = late.submitted(t0)
        await events.put(key=event_key(submitted), value=encode(submitted))
        assert {e.ticket_id for e in app.sla.engine.due(datetime.now(UTC))} == {late.ticket_id}
        other_submitted = other.submitted(datetime.now(UTC))
        await events.put(key=event_key(other_submitted), value=encode(other_submitted))
    fired = {c["kind"]: c["fired"] for c in app.tables["clocks"][late.ticket_id]["clocks"]}
    assert fired["first_response"] == []
    assert other.ticket_id in app.tables["clocks"]

    async with agent(app, "due_tickets").test_context() as due:
        await due.put(key=late.ticket_id.encode(), value=late.ticket_id.encode())
    raised = [e.type for e in app.sla.producer.of(t.SlaWarning | t.SlaBreached) if e.data.clock == "first_response"]
    assert raised == ["SlaWarning", "SlaBreached"]
