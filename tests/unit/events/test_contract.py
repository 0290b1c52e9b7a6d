"""The shared event contract: envelope rules, the union, the codec, upcasting."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest
from pydantic import ValidationError

from soporte import events as ev
from soporte.events import types as t
from tests.support.samples import T0, sample_events


def test_every_event_type_has_a_sample():
    assert {type(e) for e in sample_events()} == set(ev.ALL_EVENT_TYPES)


@pytest.mark.parametrize("event", sample_events(), ids=lambda e: e.type)
def test_round_trip_through_the_codec_gives_an_equal_event(event):
    decoded = ev.decode(ev.encode(event))
    assert decoded == event
    assert type(decoded) is type(event)


def test_events_are_frozen():
    event = sample_events()[0]
    with pytest.raises(ValidationError):
        event.version = 99


def test_unknown_fields_are_rejected():
    raw = ev.to_dict(sample_events()[0])
    raw["data"]["surprise"] = 1
    with pytest.raises(ev.UndecodableEvent, match="surprise"):
        ev.from_dict(raw)


def test_unknown_type_is_undecodable():
    raw = ev.to_dict(sample_events()[0]) | {"type": "TicketTeleported"}
    with pytest.raises(ev.UndecodableEvent):
        ev.from_dict(raw)


@pytest.mark.parametrize("payload", [b"not json", b"[1, 2]", b'{"type": 3}', b"\xff\xfe"])
def test_garbage_is_undecodable(payload):
    with pytest.raises(ev.UndecodableEvent):
        ev.decode(payload)


def test_occurred_at_is_normalised_to_utc_and_naive_times_are_refused():
    madrid_winter = timezone(timedelta(hours=1))
    event = t.TicketResolved.create(
        data=t.TicketResolvedData(),
        actor=sample_events()[0].actor,
        occurred_at=datetime(2026, 1, 5, 10, 0, tzinfo=madrid_winter),
    )
    assert event.occurred_at == datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    assert event.occurred_at.utcoffset() == timedelta(0)
    with pytest.raises(ValidationError):
        t.TicketResolved.create(data=t.TicketResolvedData(), actor=event.actor, occurred_at=datetime(2026, 1, 5, 10, 0))


def test_create_sets_type_and_current_schema_version():
    event = sample_events()[0]
    assert event.type == "TicketSubmitted"
    assert event.schema_version == t.TicketSubmitted.SCHEMA_VERSION == 2
    assert event.correlation_id == event.event_id  # a new conversation starts its own correlation


def test_kafka_key_is_the_ticket_id_then_the_order_number():
    events = sample_events("T-ABCDEFGHJK")
    assert ev.event_key(events[0]) == b"T-ABCDEFGHJK"
    order = next(e for e in events if isinstance(e, t.OrderPlaced))
    assert ev.event_key(order) == b"100234"


def test_an_access_link_request_is_keyed_by_its_address_in_lower_case_and_stands_in_no_ticket_stream():
    request = next(e for e in sample_events() if isinstance(e, t.AccessLinkRequested))
    shouted = request.model_copy(update={"data": request.data.model_copy(update={"email": "Ana@Example.COM"})})
    assert ev.event_key(shouted) == ev.event_key(request) == b"ana@example.com"
    assert request.ticket_id is None and request.version is None
    assert not isinstance(request, ev.TICKET_STREAM_TYPES)


def test_the_files_of_an_event_are_its_attachments_and_a_return_labels_pdf():
    events = {e.type: e for e in sample_events()}
    assert [f.filename for f in ev.files_of(events["TicketSubmitted"])] == ["broken-lcd.jpg"]
    assert [f.content_type for f in ev.files_of(events["ReturnLabelIssued"])] == ["application/pdf"]
    assert ev.files_of(events["TicketResolved"]) == []


def test_version_counts_from_one():
    raw = ev.to_dict(sample_events()[0]) | {"version": 0}
    with pytest.raises(ev.UndecodableEvent):
        ev.from_dict(raw)


def test_deterministic_ids_repeat_for_the_same_parts_only():
    deadline = T0.isoformat()
    a = ev.deterministic_id("T-1", "first_response", 1, deadline)
    assert a == ev.deterministic_id("T-1", "first_response", 1, deadline)
    assert a != ev.deterministic_id("T-1", "first_response", 2, deadline)
    assert isinstance(a, uuid.UUID)


def test_ticket_ids_are_short_and_unambiguous():
    ids = {ev.new_ticket_id() for _ in range(2000)}
    assert len(ids) == 2000
    for ticket_id in ids:
        assert ticket_id.startswith("T-") and len(ticket_id) == 12
        assert not set(ticket_id[2:]) & set("ILOU")


def test_a_v1_ticket_submitted_is_upcast_to_v2():
    current = ev.to_dict(sample_events()[0])
    v1 = json.loads(json.dumps(current))
    v1["schema_version"] = 1
    del v1["data"]["channel"]
    del v1["data"]["customer"]["language"]
    event = ev.from_dict(v1)
    assert event.schema_version == 2
    assert event.data.channel == ev.Channel.WEB
    assert event.data.customer.language == ev.Language.ES
    assert event.data.customer.name == "Ana Pérez"
    assert "channel" not in v1["data"]  # the caller's dict is left alone


def test_a_schema_version_newer_than_the_code_is_refused():
    raw = ev.to_dict(sample_events()[0]) | {"schema_version": 9}
    with pytest.raises(ev.UndecodableEvent, match="newer"):
        ev.from_dict(raw)


@pytest.mark.parametrize(
    "raw",
    [
        {"type": "TicketSubmitted", "schema_version": 1},  # no data for the upcaster to work on
        {"type": "TicketSubmitted", "schema_version": 1, "data": "not an object"},
        {"type": "TicketSubmitted", "schema_version": "one"},
        {"type": "TicketSubmitted", "schema_version": None},
    ],
)
def test_a_malformed_old_record_is_undecodable_not_a_crash(raw):
    with pytest.raises(ev.UndecodableEvent):
        ev.decode(json.dumps(raw))


def test_an_upcaster_cannot_be_registered_twice():
    from soporte.events.upcasters import upcaster

    with pytest.raises(ValueError):
        upcaster("TicketSubmitted", 1)(lambda raw: raw)


def test_topics_are_defined_once_with_prefixes_for_isolation():
    names = [spec.base_name for spec in ev.ALL_TOPICS]
    assert len(names) == len(set(names))
    assert ev.TICKET_EVENTS.name() == "tickets.events.v1"
    assert ev.TICKET_EVENTS.name("t1.") == "t1.tickets.events.v1"
    assert ev.TICKET_EVENTS.config["retention.ms"] == "-1"  # the ticket log is kept forever


def test_a_dead_letter_for_a_record_keeps_where_it_came_from_and_its_text():
    from types import SimpleNamespace

    record = SimpleNamespace(topic="p.shop.orders.v1", partition=2, offset=41, key=b"100234", value=b"{not json\xff")
    letter_id = ev.deterministic_id("test", "dead-letter", record.topic, record.partition, record.offset)
    letter = ev.types.DeadLettered.for_record(
        record,
        consumer="intake-orders",
        reason="x" * 3000,
        attempts=1,
        actor=ev.Actor(kind=ev.ActorKind.SYSTEM, id="intake-orders"),
        occurred_at=datetime(2026, 3, 2, tzinfo=UTC),
        event_id=letter_id,
    )
    assert letter.event_id == letter_id and letter.data.consumer == "intake-orders"
    assert (letter.data.source_topic, letter.data.source_partition, letter.data.source_offset) == (
        "p.shop.orders.v1",
        2,
        41,
    )
    assert letter.data.key == "100234" and letter.data.payload == "{not json\ufffd" and len(letter.data.reason) == 2000
    assert ev.decode(ev.encode(letter)) == letter
