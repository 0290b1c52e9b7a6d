"""Mail-in's pipeline on intake's real service layer and PostgreSQL: real clients' mails become ticket events.

Each test calls ``accept`` as the listeners do, then reads the ticket's events back from the event store.
"""

from __future__ import annotations

from datetime import UTC, datetime
from email.message import EmailMessage

import asyncpg
import pytest

from soporte import events as ev
from soporte.events import types as t
from soporte.intake.adapters.files import LocalFileStore
from soporte.intake.adapters.orders import PostgresOrders
from soporte.intake.bootstrap import MIGRATIONS
from soporte.intake.domain import commands as c
from soporte.intake.domain.inbound_mail import Envelope, Outcome
from soporte.intake.domain.tickets import TicketAccess
from soporte.intake.mailin.bootstrap import mail_intake
from soporte.intake.mailin.settings import MailinSettings
from soporte.intake.service_layer.unit_of_work import PostgresUnitOfWork
from soporte.platform.migrations import migrate
from soporte.platform.reply_tokens import notification_message_id
from tests.support.mailin import fixture_mail

SECRET = "desk-secret-for-the-mailin-tests-0123456789"
ANA = t.CustomerRef(name="Ana García", email="ana.garcia@gmail.example")
GUEST = ev.Actor(kind=ev.ActorKind.GUEST, id=ANA.email, name=ANA.name)
TO_DESK = Envelope("ana.garcia@gmail.example", ("soporte@tienda.example",))


@pytest.fixture
async def pool(pg_dsn):
    await migrate(pg_dsn, "intake", MIGRATIONS)
    pool = await asyncpg.create_pool(pg_dsn, min_size=1, max_size=4)
    yield pool
    await pool.close()


@pytest.fixture
def settings(pg_dsn, tmp_path) -> MailinSettings:
    return MailinSettings(
        database_url=pg_dsn,
        desk_secret=SECRET,
        mail_reply_address="soporte@tienda.example",
        attachments_dir=str(tmp_path / "files"),
        mailin_max_mails_per_hour=5,
    )


@pytest.fixture
def intake(settings, pool, tmp_path):
    return mail_intake(settings, pool, file_store=LocalFileStore(tmp_path / "files"))


async def ticket_of(pool, customer: t.CustomerRef = ANA, order_number: str | None = None) -> str:
    """A ticket opened on the web by ``customer``, as the acknowledgement they answer was about."""
    command = c.SubmitTicket(
        actor=ev.Actor(kind=ev.ActorKind.GUEST, id=str(customer.email), name=customer.name),
        ticket_id=ev.new_ticket_id(),
        category=ev.Category.DAMAGED_ITEM,
        description="La pantalla llegó rota",
        customer=customer,
        order_number=order_number,
    )
    intake = mail_intake(MailinSettings(desk_secret=SECRET), pool)  # only its bus is used here
    return (await intake.bus.handle(command)).ticket_id


async def events_of(pool, ticket_id: str) -> list[ev.Event]:
    async with PostgresUnitOfWork(pool) as uow:
        return await uow.events.load(ticket_id)


async def all_events(pool) -> list[str]:
    return [r["type"] for r in await pool.fetch("SELECT type FROM intake.events ORDER BY ticket_id, version")]


def plain_mail(sender: str, subject: str, body: str, *, message_id: str, **headers: str) -> bytes:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = sender, "soporte@tienda.example", subject
    message["Message-ID"] = f"<{message_id}>"
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(body)
    return message.as_bytes()


async def test_a_gmail_reply_with_a_photo_lands_on_the_thread_with_the_quote_cut(intake, pool, tmp_path):
    ticket_id = await ticket_of(pool)
    verdict = await intake.accept(fixture_mail("gmail_reply_es_photo.eml", ticket_id, SECRET), TO_DESK)
    assert (verdict.outcome, verdict.ticket_id) == (Outcome.ACCEPTED, ticket_id)
    assert verdict.reason == "a reply, matched by its plus address"
    reply = (await events_of(pool, ticket_id))[-1]
    assert isinstance(reply, t.CustomerReplied)
    assert reply.data.body == (
        "Hola, les adjunto la foto de la pantalla: tiene una línea blanca en\ndiagonal desde que llegó."
    )
    assert reply.data.channel is ev.Channel.EMAIL
    (photo,) = reply.data.attachments
    assert (photo.filename, photo.content_type) == ("IMG_20260302_112801.jpg", "image/jpeg")
    assert (tmp_path / "files" / photo.sha256[:2] / photo.sha256[2:4] / photo.sha256).stat().st_size == photo.size
    assert (reply.actor.kind, reply.actor.id) == (ev.ActorKind.GUEST, "ana.garcia@gmail.example")


async def test_the_same_mail_twice_is_one_message(intake, pool):
    ticket_id = await ticket_of(pool)
    raw = fixture_mail("outlook_reply_es.eml", ticket_id, SECRET)
    first = await intake.accept(raw, TO_DESK)
    again = await intake.accept(raw, TO_DESK)
    assert (first.outcome, again.outcome) == (Outcome.ACCEPTED, Outcome.DUPLICATE)
    assert [e.type for e in await events_of(pool, ticket_id)] == ["TicketSubmitted", "CustomerReplied"]


async def test_in_reply_to_alone_finds_the_ticket_when_the_plus_address_is_lost(intake, pool):
    ticket_id = await ticket_of(pool)
    sent = notification_message_id("0b5e1f52-8d0c-5a3e-9a1d-2f6c3b7e4d10", ticket_id, SECRET, "tienda.example")
    raw = plain_mail(ANA.email, "Re: consulta", "Sigue sin encender.", message_id="r1@gmail.example", In_Reply_To=sent)
    verdict = await intake.accept(raw, Envelope(ANA.email, ("soporte@tienda.example",)))
    assert (verdict.ticket_id, verdict.reason) == (ticket_id, "a reply, matched by In-Reply-To/References")


async def test_the_ticket_id_in_the_subject_counts_only_from_the_tickets_customer(intake, pool):
    ticket_id = await ticket_of(pool)
    mine = plain_mail(ANA.email, f"Re: [{ticket_id}] x", "Otra foto", message_id="s1@gmail.example")
    theirs = plain_mail("eve@evil.example", f"Re: [{ticket_id}] x", "Cierren esto", message_id="s2@evil.example")
    assert (await intake.accept(mine, TO_DESK)).reason == "a reply, matched by the ticket id in the subject"
    other = await intake.accept(theirs, TO_DESK)
    assert other.reason == "a new ticket" and other.ticket_id != ticket_id
    assert [e.type for e in await events_of(pool, ticket_id)] == ["TicketSubmitted", "CustomerReplied"]


async def test_a_forged_token_opens_no_door(intake, pool):
    ticket_id = await ticket_of(pool)
    forged = fixture_mail("gmail_reply_es_photo.eml", ticket_id, "a-secret-that-is-not-the-desks-0123456789")
    forged = forged.replace(b"ana.garcia@gmail.example", b"eve@evil.example")
    verdict = await intake.accept(forged, TO_DESK)
    assert verdict.reason == "a new ticket" and verdict.ticket_id != ticket_id


async def test_a_reply_reopens_a_resolved_ticket_and_answers_a_clarification(intake, pool):
    ticket_id = await ticket_of(pool)
    agent = ev.Actor(kind=ev.ActorKind.AGENT, id="agent-1", name="Luis")
    every = TicketAccess(every_ticket=True)
    await intake.bus.handle(c.ResolveTicket(actor=agent, ticket_id=ticket_id, access=every, resolution="Hecho"))
    await intake.accept(fixture_mail("outlook_reply_en.eml", ticket_id, SECRET), TO_DESK)
    await intake.bus.handle(c.RequestClarification(actor=agent, ticket_id=ticket_id, access=every, question="¿Modelo?"))
    await intake.accept(fixture_mail("thunderbird_reply_es.eml", ticket_id, SECRET), TO_DESK)
    types = [e.type for e in await events_of(pool, ticket_id)]
    assert types == [
        "TicketSubmitted",
        "TicketResolved",
        "TicketReopened",
        "CustomerReplied",
        "ClarificationRequested",
        "CustomerReplied",
    ]
    assert (await events_of(pool, ticket_id))[-1].data.body.startswith("Hola:\n\nEl modelo exacto es el LP156WF6")


@pytest.mark.parametrize("name", ["auto_reply_es.eml", "bounce_delayed.eml"])
async def test_auto_replies_and_reports_without_a_failure_make_no_event(intake, pool, name):
    ticket_id = await ticket_of(pool)
    verdict = await intake.accept(fixture_mail(name, ticket_id, SECRET), Envelope("", ("soporte@tienda.example",)))
    assert verdict.outcome is Outcome.DROPPED
    assert await all_events(pool) == ["TicketSubmitted"]


async def test_a_bounce_of_a_mail_the_desk_did_not_send_is_dropped_and_starts_no_loop(intake, pool):
    await ticket_of(pool)
    verdict = await intake.accept(fixture_mail("bounce_postfix.eml"), Envelope("", ("soporte@tienda.example",)))
    assert (verdict.outcome, verdict.reason) == (
        Outcome.DROPPED,
        "a bounce of a mail the desk did not send about a ticket",
    )
    assert await all_events(pool) == ["TicketSubmitted"]


async def test_a_bounce_marks_the_ticket(intake, pool):
    ticket_id = await ticket_of(pool)
    raw = fixture_mail("bounce_postfix.eml", ticket_id, SECRET)
    verdict = await intake.accept(raw, Envelope("", ("soporte@tienda.example",)))
    assert (verdict.outcome, verdict.ticket_id) == (Outcome.ACCEPTED, ticket_id)
    bounced = (await events_of(pool, ticket_id))[-1]
    assert isinstance(bounced, t.NotificationBounced)
    assert (bounced.data.recipient, bounced.data.status) == ("ana.garcia@gmail.example", "5.1.1")
    assert "does not exist" in bounced.data.diagnostic
    assert (await intake.accept(raw, Envelope("", ()))).outcome is Outcome.ACCEPTED  # the stored outcome again
    assert [e.type for e in await events_of(pool, ticket_id)].count("NotificationBounced") == 1


async def test_a_new_mail_opens_a_ticket_linked_to_the_senders_order_with_a_guessed_category(intake, pool):
    now = datetime.now(UTC)
    for number, email in (("300001", "peter.wood@mail.example"), ("300002", "someone@else.example")):
        order = t.OrderPlacedData(order_number=number, email=email, customer_name="P", items=[], placed_at=now)
        await PostgresOrders(pool).upsert(order)
    raw = fixture_mail("new_ticket_photo_en.eml").replace(b"order #300001", b"order #300002 or #300001")
    verdict = await intake.accept(raw, Envelope("peter.wood@mail.example", ("soporte@tienda.example",)))
    assert verdict.reason == "a new ticket"
    (submitted,) = await events_of(pool, verdict.ticket_id)
    data = submitted.data
    assert (data.order_number, data.category, data.channel) == ("300001", ev.Category.DAMAGED_ITEM, ev.Channel.EMAIL)
    assert (data.customer.email, data.customer.name, data.customer.language) == (
        "peter.wood@mail.example",
        "Peter Wood",
        ev.Language.EN,
    )
    assert [a.filename for a in data.attachments] == ["cracked corner ñ.jpg"]
    assert [(r.filename, r.reason) for r in data.refused_attachments] == [("invoice.exe", ev.FileRefusal.FILE_TYPE)]
    assert data.actionability.actionable  # an order and a photo: an agent can act at once
    assert submitted.actor.kind is ev.ActorKind.GUEST


async def test_a_windows_1252_html_only_mail_reads_right_on_its_ticket(intake, pool):
    verdict = await intake.accept(fixture_mail("html_only_windows1252_new.eml"), TO_DESK)
    (submitted,) = await events_of(pool, verdict.ticket_id)
    description = submitted.data.description
    assert description.startswith("Pantalla rota – pedido 100555\n\nBuenos días:\n\nCompré una pantalla")
    assert "89,90 €" in description and "“N156HGA-EA3”" in description
    assert submitted.data.customer.name == "Begoña Núñez" and submitted.data.order_number is None  # not hers


async def test_more_mails_than_the_hourly_limit_from_one_sender_are_dropped(intake, pool):
    verdicts = [
        await intake.accept(plain_mail("flood@example.com", f"hola {n}", "hola", message_id=f"f{n}@x"), TO_DESK)
        for n in range(7)
    ]
    assert [v.outcome for v in verdicts] == [Outcome.ACCEPTED] * 5 + [Outcome.DROPPED] * 2
    assert verdicts[-1].reason == "7 mails from flood@example.com within an hour"
    assert len(await all_events(pool)) == 5


async def test_a_mail_from_the_desks_own_address_is_a_loop(intake, pool):
    raw = plain_mail("Soporte <soporte@tienda.example>", "x", "x", message_id="own@tienda.example")
    assert (await intake.accept(raw, TO_DESK)).outcome is Outcome.DROPPED
    assert await all_events(pool) == []


async def test_a_failing_database_raises_so_the_mail_comes_again_and_leaves_no_file_behind(intake, pool, tmp_path):
    raw = fixture_mail("new_ticket_photo_en.eml")
    await pool.execute("ALTER TABLE intake.events RENAME TO events_away")  # the event store stops answering
    with pytest.raises(asyncpg.UndefinedTableError):
        await intake.accept(raw, TO_DESK)
    assert LocalFileStore(tmp_path / "files").stored_files() == []  # the photo stored for it went again
    await pool.execute("ALTER TABLE intake.events_away RENAME TO events")
    verdict = await intake.accept(raw, TO_DESK)  # the sender's retry
    assert verdict.outcome is Outcome.ACCEPTED
    assert len(LocalFileStore(tmp_path / "files").stored_files()) == 1
