"""Access without an account through the service layer, on fakes: guest sessions and requests for links."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from soporte.events import Language
from soporte.events import types as t
from soporte.intake.domain import commands as c
from soporte.intake.domain.access import AccessLimits, Budget, GuestNotVerified, Throttled
from soporte.intake.service_layer.unit_of_work import InMemoryUnitOfWork
from tests.support.intake import command_bus
from tests.support.scenario import Stream

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
ORDER = t.OrderPlacedData(order_number="100234", email="ana@example.com", placed_at=NOW)
STRANGER, OWNER = "203.0.113.7", "198.51.100.4"


@pytest.fixture
async def uow() -> InMemoryUnitOfWork:
    uow = InMemoryUnitOfWork()
    await uow.orders.upsert(ORDER)
    return uow


def sign_in(email: str, client: str, order_number: str = "100234") -> c.OpenGuestSession:
    return c.OpenGuestSession(email=email, order_number=order_number, client=client)


async def test_a_strangers_wrong_guesses_throttle_the_stranger_and_not_the_orders_owner(uow):
    clock = [NOW]
    bus = command_bus(lambda: uow, lambda: clock[0])
    for n in range(5):
        with pytest.raises(GuestNotVerified):
            await bus.handle(sign_in(f"guess{n}@example.com", STRANGER))
    for n in range(5):  # ten tries in all: the last five are not even checked
        with pytest.raises(Throttled) as throttled:
            await bus.handle(sign_in(f"guess{n}@example.com", STRANGER))
    assert throttled.value.minutes == 15
    with pytest.raises(Throttled):  # from the stranger's address, even the right pair waits
        await bus.handle(sign_in("ana@example.com", STRANGER))
    opened = await bus.handle(sign_in("Ana@Example.com", OWNER))
    assert isinstance(opened, c.GuestSessionOpened) and opened.order_number == "100234"
    clock[0] = NOW + timedelta(minutes=15, seconds=1)  # the window has passed
    assert isinstance(await bus.handle(sign_in("ana@example.com", STRANGER)), c.GuestSessionOpened)


async def test_successes_cost_nothing_and_failures_are_counted_per_order_too(uow):
    limits = AccessLimits(guest_per_order=Budget("guest-order", 2, timedelta(minutes=15)))
    bus = command_bus(lambda: uow, lambda: NOW, limits=limits)
    for _ in range(20):
        await bus.handle(sign_in("ana@example.com", OWNER))
    for client in ("192.0.2.1", "192.0.2.2"):
        with pytest.raises(GuestNotVerified):
            await bus.handle(sign_in("eve@example.com", client))
    with pytest.raises(Throttled):  # a third address, the same order: its budget is spent
        await bus.handle(sign_in("eve@example.com", "192.0.2.3"))


async def test_links_for_an_address_are_queued_keyed_by_it_and_a_missing_ticket_answers_the_same(uow):
    bus = command_bus(lambda: uow, lambda: NOW)
    taken = await bus.handle(c.RequestAccessLink(client=OWNER, email="Ana@Example.com", language=Language.EN))
    assert isinstance(taken, c.AccessLinkRequestTaken)
    (queued,) = uow.events.outbox.values()
    assert isinstance(queued, t.AccessLinkRequested) and queued.ticket_id is None
    assert (queued.data.email, queued.data.language) == ("ana@example.com", "en")
    assert await bus.handle(c.RequestAccessLink(client=OWNER, ticket_id="T-NOSUCHONE1")) == taken
    assert len(uow.events.outbox) == 1  # nothing to mail, and nothing said about it


async def test_a_fresh_link_goes_to_the_tickets_own_address_and_requests_are_limited(uow):
    stream = Stream()
    await uow.events.append(stream.ticket_id, 0, [stream.submitted(NOW)])
    bus = command_bus(lambda: uow, lambda: NOW)
    for _ in range(3):
        await bus.handle(c.RequestAccessLink(client=STRANGER, ticket_id=stream.ticket_id))
    with pytest.raises(Throttled):
        await bus.handle(c.RequestAccessLink(client=OWNER, ticket_id=stream.ticket_id))
    fresh = [e.data for e in uow.events.outbox.values() if isinstance(e, t.AccessLinkRequested)]
    assert [(f.email, f.ticket_id) for f in fresh] == [("ana@example.com", stream.ticket_id)] * 3
