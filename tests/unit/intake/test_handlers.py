"""The service layer on fakes: each command through the bus, as the app wires it, on an in-memory unit of work."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from soporte.events import Actor, ActorKind, Category
from soporte.events import types as t
from soporte.intake.adapters.memory import InMemoryFiles
from soporte.intake.adapters.tokens import DeskTokens
from soporte.intake.domain import commands as c
from soporte.intake.domain.staff import OPERATOR
from soporte.intake.domain.staff_commands import CreateAgent
from soporte.intake.domain.tickets import (
    ConcurrencyConflict,
    InvalidTransition,
    NotAllowed,
    TicketAccess,
    TicketNotFound,
    UnacceptableValue,
)
from soporte.intake.service_layer.unit_of_work import InMemoryUnitOfWork
from tests.support.intake import RETURN_ADDRESS, command_bus, note, phone_ticket
from tests.support.scenario import AGENT, CUSTOMER, Stream

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)  # a Wednesday, 11:00 at the desk (Madrid): open
ANA = t.CustomerRef(name="Ana Pérez", email="ana@example.com", customer_id="cust-1")
ANYONE = TicketAccess(every_ticket=True)


def bootstrap_test_app(uow: InMemoryUnitOfWork, now=lambda: NOW):
    return command_bus(lambda: uow, now)


@pytest.fixture
def uow() -> InMemoryUnitOfWork:
    return InMemoryUnitOfWork()


def customer_submits(order_number: str | None = None, **changes) -> c.SubmitTicket:
    command = c.SubmitTicket(
        actor=CUSTOMER, ticket_id="T-SUBMIT0001", category=Category.DAMAGED_ITEM, description="Llegó rota", customer=ANA
    )
    return replace(command, order_number=order_number, **changes)


async def known_ticket(uow: InMemoryUnitOfWork) -> Stream:
    """Ana's ticket, submitted (version 1)."""
    stream = Stream()
    await uow.events.append(stream.ticket_id, 0, [stream.submitted(NOW)])
    return stream


async def test_a_submission_is_appended_and_answered_with_what_the_customer_needs(uow):
    created = await bootstrap_test_app(uow).handle(customer_submits())
    assert isinstance(created, c.TicketCreated) and (created.ticket_id, created.version) == ("T-SUBMIT0001", 1)
    assert created.actionability.missing == ["order_number", "photo_of_item"]
    assert created.expected_answer_by == NOW + timedelta(minutes=15)  # first response, in business time
    claims = DeskTokens("test-desk-secret", lambda: NOW).claims(created.access_token)
    assert claims["ticket_id"] == "T-SUBMIT0001" and claims["email"] == "ana@example.com"
    (event,) = await uow.events.load("T-SUBMIT0001")
    assert isinstance(event, t.TicketSubmitted) and event.actor == CUSTOMER and event.occurred_at == NOW
    assert list(uow.events.outbox.values()) == [event] and uow.commits == 1


async def test_the_expected_answer_is_the_earlier_deadline_attention_when_the_desk_is_closed(uow):
    saturday = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)
    created = await bootstrap_test_app(uow, now=lambda: saturday).handle(customer_submits())
    assert created.expected_answer_by == saturday + timedelta(hours=24)  # before Monday's first response


async def test_an_agent_opens_a_ticket_for_a_caller_linked_to_their_account_and_no_clock_runs(uow):
    await uow.orders.upsert(
        t.OrderPlacedData(order_number="100555", email="Dora@example.com", customer_id="cust-55", placed_at=NOW)
    )
    command = replace(
        phone_ticket(), order_number="100555", customer=t.CustomerRef(name="Dora", email="dora@example.com")
    )
    created = await bootstrap_test_app(uow).handle(command)
    assert created.expected_answer_by is None  # attended live
    (event,) = await uow.events.load(created.ticket_id)
    assert event.data.customer.customer_id == "cust-55" and event.data.opened_by_agent_id == AGENT.id


async def test_a_customer_names_only_their_own_orders_and_a_refusal_leaves_nothing(uow):
    await uow.orders.upsert(
        t.OrderPlacedData(order_number="100777", email="bea@example.com", customer_id="cust-7", placed_at=NOW)
    )
    with pytest.raises(UnacceptableValue) as refused:
        await bootstrap_test_app(uow).handle(customer_submits("100777"))
    assert refused.value.field == "order_number"
    assert await uow.events.load("T-SUBMIT0001") == [] and uow.commits == 0


async def test_the_same_key_gets_the_first_outcome_another_caller_with_it_acts(uow):
    bus = bootstrap_test_app(uow)
    first = await bus.handle(phone_ticket(key="call-42"))
    assert await bus.handle(phone_ticket(key="call-42")) == first
    assert len(uow.events.streams) == 1
    from_marta = replace(phone_ticket(), idempotency_key=c.IdempotencyKey("agent:agent-2", "call-42"))
    assert (await bus.handle(from_marta)).ticket_id != first.ticket_id


async def test_a_key_sent_again_with_another_request_is_refused_and_nothing_is_done(uow):
    bus = bootstrap_test_app(uow)
    first = await bus.handle(c.keyed_to_its_request(phone_ticket(key="call-42")))
    assert await bus.handle(c.keyed_to_its_request(phone_ticket(key="call-42"))) == first  # a new number, same ask
    other = replace(phone_ticket(key="call-42"), description="¿Y en mate?")
    with pytest.raises(c.IdempotencyKeyReused):
        await bus.handle(c.keyed_to_its_request(other))
    with pytest.raises(c.IdempotencyKeyReused):  # the same key on another route
        await bus.handle(c.keyed_to_its_request(note(first.ticket_id, "llamar", key="call-42")))
    assert len(uow.events.streams) == 1 and len(uow.events.streams[first.ticket_id]) == 1


async def test_someone_elses_ticket_is_not_found_and_a_stale_version_conflicts(uow):
    stream = await known_ticket(uow)
    eve = c.ReplyAsCustomer(
        actor=CUSTOMER,
        access=TicketAccess(customer_id="cust-9", email="eve@example.com"),
        ticket_id=stream.ticket_id,
        body="hola",
    )
    with pytest.raises(TicketNotFound):
        await bootstrap_test_app(uow).handle(eve)
    with pytest.raises(ConcurrencyConflict) as stale:
        await bootstrap_test_app(uow).handle(note(stream.ticket_id, "tarde", expected_version=0))
    assert stale.value.actual == 1
    assert len(await uow.events.load(stream.ticket_id)) == 1


async def test_a_customer_reply_on_a_resolved_ticket_reopens_it(uow):
    stream = await known_ticket(uow)
    await uow.events.append(stream.ticket_id, 1, [stream.resolved(NOW)])
    reply = c.ReplyAsCustomer(
        actor=CUSTOMER, access=TicketAccess(customer_id="cust-1"), ticket_id=stream.ticket_id, body="Sigue"
    )
    assert await bootstrap_test_app(uow).handle(reply) == c.TicketChanged(stream.ticket_id, 4)
    assert [e.type for e in await uow.events.load(stream.ticket_id)][2:] == ["TicketReopened", "CustomerReplied"]


async def test_assigning_names_the_agent_refuses_strangers_and_changes_nothing_twice(uow):
    stream = await known_ticket(uow)
    bus = bootstrap_test_app(uow)
    marta = (await bus.handle(CreateAgent(actor=OPERATOR, name="Marta", email="marta@shop.test"))).account
    assign = c.AssignTicket(actor=AGENT, access=ANYONE, ticket_id=stream.ticket_id, assignee_id=marta.agent_id)
    assert await bus.handle(assign) == c.TicketChanged(stream.ticket_id, 2)
    assert (await uow.events.load(stream.ticket_id))[-1].data.assignee_name == "Marta"
    assert await bus.handle(assign) == c.TicketUnchanged(stream.ticket_id, 2)
    with pytest.raises(UnacceptableValue) as refused:
        await bus.handle(replace(assign, assignee_id="agent-nobody"))
    assert refused.value.field == "assignee_id"


async def test_a_return_label_gets_the_desks_references_the_order_and_a_stored_pdf(uow):
    stream = await known_ticket(uow)
    label = c.IssueReturnLabel(actor=AGENT, access=ANYONE, ticket_id=stream.ticket_id, carrier="SEUR")
    files = InMemoryFiles()
    await command_bus(lambda: uow, lambda: NOW, files=files).handle(label)
    issued = (await uow.events.load(stream.ticket_id))[-1].data
    assert issued.label_id.startswith("RL-") and issued.tracking_number.startswith("RT")
    assert issued.order_number == "100234" and issued.return_address == list(RETURN_ADDRESS)
    assert files.files[issued.label.sha256].startswith(b"%PDF-")
    with pytest.raises(UnacceptableValue):  # a carrier the desk does not offer: nothing stored, nothing appended
        await command_bus(lambda: uow, lambda: NOW, files=files).handle(replace(label, carrier="Paloma"))
    assert len(files.files) == 1 and len(await uow.events.load(stream.ticket_id)) == 2


async def test_an_operator_records_a_moved_deadline_on_an_open_ticket_only(uow):
    stream = await known_ticket(uow)
    change = t.SlaDeadlineChangedData(
        clock=t.SlaClock.FIRST_RESPONSE,
        episode="e-1",
        old_deadline=NOW,
        new_deadline=NOW - timedelta(minutes=5),
        target_seconds=600,
        warning_fraction=0.8,
        policy_id="soporte",
        policy_version=2,
        cause="policy soporte v2",
    )
    record = c.RecordDeadlineChange(actor=AGENT, access=ANYONE, ticket_id=stream.ticket_id, change=change)
    bus = bootstrap_test_app(uow)
    assert (await bus.handle(record)).version == 2
    assert (await uow.events.load(stream.ticket_id))[-1].data == change
    await uow.events.append(stream.ticket_id, 2, [stream.resolved(NOW).model_copy(update={"version": 3})])
    with pytest.raises(InvalidTransition):
        await bus.handle(record)
    with pytest.raises(NotAllowed):
        await bus.handle(replace(record, actor=CUSTOMER))


async def test_the_events_of_one_command_share_its_correlation_id(uow):
    stream = await known_ticket(uow)
    await uow.events.append(stream.ticket_id, 1, [stream.resolved(NOW)])
    reply = c.ReplyAsCustomer(
        actor=Actor(kind=ActorKind.GUEST, id="ana@example.com"),
        access=TicketAccess(email="ana@example.com"),
        ticket_id=stream.ticket_id,
        body="Sigue",
    )
    await bootstrap_test_app(uow).handle(reply)
    reopened, replied = (await uow.events.load(stream.ticket_id))[2:]
    assert reopened.correlation_id == replied.correlation_id


def test_outcomes_stored_as_data_come_back_the_same():
    created = c.TicketCreated("T-1", 1, "tok", t.Actionability(actionable=False, missing=["order_number"]), NOW)
    for outcome in (created, c.TicketChanged("T-1", 2), c.TicketUnchanged("T-1", 2)):
        assert c.outcome_from_data(c.outcome_to_data(outcome)) == outcome


async def test_a_unit_of_work_left_without_commit_leaves_nothing(uow):
    stream = Stream()
    with pytest.raises(RuntimeError):
        async with uow:
            await uow.events.append(stream.ticket_id, 0, [stream.submitted(NOW)])
            raise RuntimeError("crash before commit")
    assert await uow.events.load(stream.ticket_id) == [] and not uow.events.outbox
