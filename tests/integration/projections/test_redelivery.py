"""At-least-once delivery: duplicates and a full replay change nothing; a bad record is dead-lettered, not dropped."""

from __future__ import annotations

import re
from datetime import timedelta

from soporte import events as ev
from soporte.events import DEAD_LETTERS, NOTIFICATION_OUTCOMES, SLA_ESCALATIONS, SLA_KPIS, TICKET_EVENTS
from soporte.events import types as t
from tests.support.kafka import read_topic_until

from .conftest import T0, Stream, bearer, dump_tables, eventually, projected_records, topic_size, wait_projected
from .test_sla_and_outcomes import NOTIFIER, breach, first_response, warning


def desk_history() -> list[tuple[object, ev.Event]]:
    """Several tickets with every kind of record the read models take, as (topic, event)."""
    a, b, c = Stream(), Stream(), Stream()
    customer = ev.Actor(kind=ev.ActorKind.CUSTOMER, id="cust-1", name="Ana")
    a1, b1, c1 = (
        a.submitted(minutes=1),
        b.submitted(minutes=2, actionable=False),
        c.submitted(minutes=3, email="bob@example.com"),
    )
    a2 = a.next(t.InternalNoteAdded, t.MessageData(body="nota"), minutes=4)
    a3 = a.next(t.AgentReplied, t.MessageData(body="respuesta"), minutes=5)
    b2 = b.next(t.ClarificationRequested, t.ClarificationRequestedData(question="¿Foto?"), minutes=6)
    b3 = b.next(t.CustomerReplied, t.MessageData(body="Adjunto foto"), actor=customer, minutes=20)
    c2 = c.next(t.TicketAssigned, t.TicketAssignedData(assignee_id="agent-1", assignee_name="Luis"), minutes=7)
    a4 = a.next(t.TicketResolved, t.TicketResolvedData(resolution="hecho"), minutes=8)
    a5 = a.next(t.TicketReopened, t.TicketReopenedData(reason=t.ReopenReason.AGENT_REOPENED), minutes=9)
    sent = t.NotificationSent.create(
        data=t.NotificationOutcomeData(
            notification_id="n-1",
            kind="agent_reply",
            recipient="ana@example.com",
            source_event_id=str(a3.event_id),
            attempts=1,
        ),
        actor=NOTIFIER,
        occurred_at=T0 + timedelta(minutes=6),
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
    await produce(TICKET_EVENTS, stream.submitted(minutes=1))
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
    await produce(TICKET_EVENTS, stream.next(t.AgentReplied, t.MessageData(body="Seguimos"), minutes=2))
    await wait_projected(db, 5)
    assert await db.fetchval("SELECT version FROM projections.tickets WHERE ticket_id = $1", stream.ticket_id) == 2


async def test_the_reader_outlives_a_failure_that_outlasts_its_retries_and_skips_nothing(
    start_app, produce, db, settings
):
    client = await start_app()
    first, second = Stream(), Stream()
    await produce(TICKET_EVENTS, first.submitted(minutes=1))
    await wait_projected(db, 1)

    async def failures() -> float:
        metrics = await (await client.get("/metrics")).text()
        return float(re.search(r"^soporte_projections_read_failures_total (\S+)$", metrics, re.M)[1])

    # The positions table is gone for a while: no record can be applied, nor dead-lettered (its position cannot move).
    await db.execute("ALTER TABLE projections.positions RENAME TO positions_away")
    await produce(
        TICKET_EVENTS, second.submitted(minutes=2), first.next(t.AgentReplied, t.MessageData(body="Hola"), minutes=3)
    )
    await eventually(lambda: _at_least(failures, 1), timeout=30)
    await db.execute("ALTER TABLE projections.positions_away RENAME TO positions")

    # Back from the stored positions: both records are applied, none skipped, none dead-lettered.
    await wait_projected(db, 3)
    rows = await db.fetch("SELECT ticket_id, version FROM projections.tickets ORDER BY created_at")
    assert [(r["ticket_id"], r["version"]) for r in rows] == [(first.ticket_id, 2), (second.ticket_id, 1)]
    assert await topic_size(settings.kafka_bootstrap, DEAD_LETTERS.name(settings.topic_prefix)) == 0


async def _at_least(value, minimum: float) -> bool:
    return await value() >= minimum
