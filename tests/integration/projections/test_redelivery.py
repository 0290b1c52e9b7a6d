"""At-least-once delivery: duplicates and a full replay change nothing; a bad record is dead-lettered, not dropped."""

from __future__ import annotations

import re

import pytest

from soporte import events as ev
from soporte.events import DEAD_LETTERS, NOTIFICATION_OUTCOMES, SLA_ESCALATIONS, SLA_KPIS, TICKET_EVENTS
from soporte.events import types as t
from tests.support.kafka import read_topic_until
from tests.support.outage import relay_to
from tests.support.scenario import Stream

from .conftest import at, bearer, bob_stream, dump_tables, eventually, projected_records, topic_size, wait_projected
from .test_sla_and_outcomes import NOTIFIER, breach, first_response, warning


def desk_history() -> list[tuple[object, ev.Event]]:
    """Several tickets with every kind of record the read models take, as (topic, event)."""
    a, b, c = Stream(), Stream(), bob_stream()
    a1, b1, c1 = a.submitted(at(1)), b.submitted(at(2), missing=("photo_of_item",)), c.submitted(at(3))
    a2 = a.note(at(4), "nota")
    a3 = a.agent_replied(at(5), "respuesta")
    b2 = b.clarification(at(6), "¿Foto?")
    b3 = b.customer_replied(at(20), "Adjunto foto")
    c2 = c.assigned(at(7))
    a4 = a.resolved(at(8), "hecho")
    a5 = a.reopened(at(9), by_customer=False)
    sent = t.NotificationSent.create(
        data=t.NotificationOutcomeData(
            notification_id="n-1",
            kind="agent_reply",
            recipient="ana@example.com",
            source_event_id=str(a3.event_id),
            attempts=1,
        ),
        actor=NOTIFIER,
        occurred_at=at(6),
        ticket_id=a.ticket_id,
    )
    return [
        *[(TICKET_EVENTS, e) for e in (a1, b1, c1, a2, a3, b2, b3, c2, a4, a5)],
        (SLA_ESCALATIONS, warning(c.ticket_id, c1)),
        (SLA_ESCALATIONS, breach(c.ticket_id, c1)),
        (SLA_KPIS, first_response(a.ticket_id, a1, 240)),
        (NOTIFICATION_OUTCOMES, sent),
    ]


async def test_duplicates_and_a_full_replay_leave_the_read_models_byte_for_byte_equal(start_app, produce, db):
    history = desk_history()
    client = await start_app()
    for topic, event in history:
        await produce(topic, event)
    # The same records again (a producer retry, a relay that published twice), ticket events in reverse too.
    for topic, event in history[::-1]:
        await produce(topic, event)
    records = 2 * len(history)
    await wait_projected(db, records)
    once = await dump_tables(db)
    assert len(once["tickets"]) == 3 and len(once["timeline"]) == 10 and len(once["messages"]) == 8
    assert len(once["escalations"]) == 2 and len(once["first_responses"]) == 1 and len(once["notifications"]) == 1
    agent_view = await (
        await client.get(f"/api/v1/tickets/{history[0][1].ticket_id}", headers=bearer("agent-token"))
    ).json()
    assert [e["version"] for e in agent_view["timeline"]] == [1, 2, 3, 4, 5]
    await client.close()

    # Rewind every stored position: the restarted reader reads both copies of everything again.
    await db.execute("UPDATE projections.positions SET next_offset = 0")
    assert await projected_records(db) == 0
    await start_app()
    await wait_projected(db, records)
    assert await dump_tables(db) == once


async def test_an_undecodable_record_is_dead_lettered_and_reading_goes_on(start_app, produce, db, settings):
    await start_app()
    stream = Stream()
    key = stream.ticket_id.encode()  # same partition as the good events: they come after the bad one
    await produce.raw(TICKET_EVENTS, b'{"type": "TicketSubmitted", "not": "an event"}', key=key)
    await produce.raw(TICKET_EVENTS, b"\xff\xfe not even text", key=key)
    await produce(TICKET_EVENTS, stream.submitted(at(1)))
    await produce.raw(SLA_ESCALATIONS, b"[]", key=key)
    await wait_projected(db, 4)
    assert await db.fetchval("SELECT version FROM projections.tickets WHERE ticket_id = $1", stream.ticket_id) == 1

    letters = await read_topic_until(
        settings.kafka_bootstrap, DEAD_LETTERS.name(settings.topic_prefix), lambda seen: len(seen) >= 3
    )
    assert len(letters) == 3
    by_offset = {(letter.data.source_topic, letter.data.source_offset): letter for letter in letters}
    events_topic, escalations_topic = (
        TICKET_EVENTS.name(settings.topic_prefix),
        SLA_ESCALATIONS.name(settings.topic_prefix),
    )
    assert set(by_offset) == {(events_topic, 0), (events_topic, 1), (escalations_topic, 0)}
    for letter in letters:
        assert letter.type == "DeadLettered" and letter.data.consumer == "projections"
        assert letter.data.key == stream.ticket_id and letter.data.attempts >= 1 and letter.data.reason
    assert by_offset[(events_topic, 0)].data.payload == '{"type": "TicketSubmitted", "not": "an event"}'
    assert by_offset[(escalations_topic, 0)].data.payload == "[]"

    # Reading goes on after the letters.
    await produce(TICKET_EVENTS, stream.agent_replied(at(2), "Seguimos"))
    await wait_projected(db, 5)
    assert await db.fetchval("SELECT version FROM projections.tickets WHERE ticket_id = $1", stream.ticket_id) == 2


@pytest.fixture
async def relay(settings):
    relay = await relay_to(settings.database_url)
    yield relay
    await relay.close()


async def test_the_reader_waits_out_a_database_outage_and_skips_nothing(start_app, produce, db, settings, relay):
    client = await start_app(database_url=relay.dsn(settings.database_url))
    first, second = Stream(), Stream()
    await produce(TICKET_EVENTS, first.submitted(at(1)))
    await wait_projected(db, 1)

    async def failures() -> float:
        metrics = await (await client.get("/metrics")).text()
        return float(re.search(r"^soporte_projections_read_failures_total (\S+)$", metrics, re.M)[1])

    # The database is away for a while (longer than a record's retries): nothing can be applied, and since
    # that is no record's fault, nothing is dead-lettered either.
    await relay.cut()
    await produce(TICKET_EVENTS, second.submitted(at(2)), first.agent_replied(at(3), "Hola"))
    await eventually(lambda: _at_least(failures, 2), timeout=30)
    await relay.restore()

    # Back from the stored positions: both records are applied, none skipped, none dead-lettered.
    await wait_projected(db, 3)
    rows = await db.fetch("SELECT ticket_id, version FROM projections.tickets ORDER BY created_at")
    assert [(r["ticket_id"], r["version"]) for r in rows] == [(first.ticket_id, 2), (second.ticket_id, 1)]
    assert await topic_size(settings.kafka_bootstrap, DEAD_LETTERS.name(settings.topic_prefix)) == 0
    await client.close()  # before the relay goes: a reader waiting out an outage does not look at its stop event


async def _at_least(value, minimum: float) -> bool:
    return await value() >= minimum
