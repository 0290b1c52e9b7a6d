"""The faust agents on a fresh app with a memory store (``agent.test_context()``, no broker)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from soporte.businesstime import BusinessCalendar
from soporte.events import decode, encode, event_key
from soporte.events import types as t
from soporte.sla.entrypoints.faust_app import create_app
from soporte.sla.settings import SlaSettings
from soporte.ticketrules import SlaRules, load_policies
from tests.support.scenario import Stream

from .driver import Worker

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
def sla(tmp_path):
    rules = SlaRules(BusinessCalendar.always_open(), load_policies())
    sla = create_app(SlaSettings(sla_app_id="unit"), rules, Sent(), datadir=tmp_path)
    sla.faust.finalize()
    sla.faust.flow_control.resume()
    sla.streams.read_back.set()
    return sla


def agent(sla, name: str):
    return sla.faust.agents[next(key for key in sla.faust.agents if key.endswith(name))]


def due_message(ticket_id: str, up_to: datetime) -> bytes:
    return json.dumps({"ticket_id": ticket_id, "up_to": up_to.isoformat()}).encode()


async def test_events_fill_the_table_and_the_timers_then_a_due_message_escalates_once(sla):
    ticket, t0 = Stream(), datetime.now(UTC) - 60 * M
    async with agent(sla, "ticket_events").test_context() as events:
        submitted = ticket.submitted(t0)
        await events.put(key=event_key(submitted), value=encode(submitted))
    assert sla.faust.tables["clocks"][ticket.ticket_id]["last_version"] == 1
    assert sla.streams.engine.next_due_at() == t0 + 12 * M  # the warning: 80 % of 15 minutes

    async with agent(sla, "due_tickets").test_context() as due:
        for _ in range(2):  # a repeated due message raises nothing more
            await due.put(key=ticket.ticket_id.encode(), value=due_message(ticket.ticket_id, t0 + 20 * M))
    sent = sla.streams.producer
    assert [e.type for e in sent.of(t.SlaWarning | t.SlaBreached) if e.data.clock == "first_response"] == [
        "SlaWarning",
        "SlaBreached",
    ]
    assert len(sla.faust.tables["clocks"][ticket.ticket_id]["raised"]) == 2


async def test_a_due_message_raises_only_up_to_the_instant_the_timer_vouched_for(sla):
    ticket, t0 = Stream(), datetime.now(UTC) - 60 * M
    async with agent(sla, "ticket_events").test_context() as events:
        submitted = ticket.submitted(t0)
        await events.put(key=event_key(submitted), value=encode(submitted))
    async with agent(sla, "due_tickets").test_context() as due:
        await due.put(key=ticket.ticket_id.encode(), value=due_message(ticket.ticket_id, t0 + 13 * M))
    assert [e.type for e in sla.streams.producer.of(t.SlaWarning | t.SlaBreached)] == ["SlaWarning"]


async def test_a_late_answer_raises_the_levels_that_were_due_before_it_and_measures_it(sla):
    ticket, t0 = Stream(), datetime.now(UTC) - 60 * M
    async with agent(sla, "ticket_events").test_context() as events:
        for event in (ticket.submitted(t0), ticket.agent_replied(t0 + 20 * M)):
            await events.put(key=event_key(event), value=encode(event))
    sent = sla.streams.producer
    assert [e.type for e in sent.of(t.SlaWarning | t.SlaBreached)] == ["SlaWarning", "SlaBreached"]
    assert [e.data.business_seconds for e in sent.of(t.FirstResponseMeasured)] == [20 * 60]
    record = sla.faust.tables["clocks"][ticket.ticket_id]
    assert record["clocks"]["clocks"] == [] and record["raised"] == []


async def test_an_id_already_published_is_not_sent_and_garbage_is_dead_lettered(sla):
    ticket, t0 = Stream(), datetime.now(UTC) - 60 * M
    async with agent(sla, "ticket_events").test_context() as events:
        submitted = ticket.submitted(t0)
        await events.put(key=event_key(submitted), value=encode(submitted))
        await events.put(key=b"T-GARBAGE", value=b"{not json")
    [letter] = sla.streams.producer.of(t.DeadLettered)
    assert letter.data.key == "T-GARBAGE" and letter.data.consumer == "sla"

    # As after a replay under a new app id: the escalations are already on the topic.
    copy = Worker()
    copy.apply(submitted)
    sla.streams.published.update(str(e.event_id) for e in copy.due(datetime.now(UTC)))
    async with agent(sla, "due_tickets").test_context() as due:
        await due.put(key=ticket.ticket_id.encode(), value=due_message(ticket.ticket_id, datetime.now(UTC)))
    assert sla.streams.producer.of(t.SlaWarning | t.SlaBreached) == []
