"""The IMAP poller against a real Dovecot: a message is marked done only after the pipeline accepted it."""

from __future__ import annotations

import asyncio
import contextlib

import pytest

from soporte.intake.adapters.imap_poller import ImapPoller, Mailbox
from tests.support.imap import ImapServer, start_imap_server
from tests.support.mailin import RecordingPipeline, eventually


def a_mail(n: int) -> bytes:
    return (
        f"From: Ana <ana@example.com>\r\nTo: soporte@tienda.example\r\nSubject: consulta {n}\r\n"
        f"Message-ID: <imap-{n}@example.com>\r\n\r\nLa pantalla {n} no enciende.\r\n"
    ).encode()


def mailbox_of(server: ImapServer, **overrides) -> Mailbox:
    return Mailbox(
        **{
            "host": server.host,
            "port": server.port,
            "user": server.user,
            "password": server.password,
            "tls": False,
            "poll_seconds": 0.2,
            "first_retry_seconds": 0.1,
            **overrides,
        }
    )


@contextlib.asynccontextmanager
async def polling(poller: ImapPoller):
    stop = asyncio.Event()
    task = asyncio.create_task(poller.run(stop))
    try:
        yield
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)


def seen(server: ImapServer, folder: str = "INBOX") -> list[bool]:
    return ["\\Seen" in flags for flags, _ in server.messages(folder)]


async def test_waiting_mail_is_accepted_then_flagged_seen(imap_server):
    imap_server.deliver(a_mail(1))
    imap_server.deliver(a_mail(2))
    pipeline = RecordingPipeline()
    async with polling(ImapPoller(mailbox_of(imap_server), pipeline)):
        await eventually(lambda: len(pipeline.accepted) == 2)
        await eventually(lambda: seen(imap_server) == [True, True])
    assert [raw for raw, _ in pipeline.accepted] == [a_mail(1), a_mail(2)]
    assert pipeline.calls == 2  # a seen message is not read again


async def test_mail_arriving_while_the_poller_idles_is_picked_up(imap_server):
    pipeline = RecordingPipeline()
    poller = ImapPoller(mailbox_of(imap_server, poll_seconds=3600), pipeline)  # only IDLE can wake it in time
    async with polling(poller):
        await eventually(lambda: poller.passes >= 1)
        imap_server.deliver(a_mail(3))
        await eventually(lambda: len(pipeline.accepted) == 1)
        await eventually(lambda: seen(imap_server) == [True])


async def test_a_message_stays_unseen_until_the_pipeline_accepts_it(imap_server):
    imap_server.deliver(a_mail(4))
    pipeline = RecordingPipeline()
    pipeline.fail_next()  # the first attempt fails: the message must stay as it was
    pipeline.hold()  # and the second waits, so the mailbox can be looked at in between
    async with polling(ImapPoller(mailbox_of(imap_server), pipeline)):
        await eventually(lambda: pipeline.calls == 2)
        assert seen(imap_server) == [False]
        pipeline.release()
        await eventually(lambda: seen(imap_server) == [True])
    assert [raw for raw, _ in pipeline.accepted] == [a_mail(4)]


async def test_with_a_done_folder_accepted_mail_is_moved_there(imap_server):
    imap_server.deliver(a_mail(5))
    imap_server.deliver(a_mail(6))
    pipeline = RecordingPipeline()
    async with polling(ImapPoller(mailbox_of(imap_server, done_folder="Soporte"), pipeline)):
        await eventually(lambda: len(imap_server.messages("Soporte")) == 2)
        await eventually(lambda: imap_server.messages("INBOX") == [])
    assert [raw for raw, _ in pipeline.accepted] == [a_mail(5), a_mail(6)]


@pytest.fixture
def plain_imap_server():
    """A Dovecot that offers neither IDLE nor MOVE, as some providers' servers do."""
    server = start_imap_server(extra_config="imap_capability = IMAP4rev1 LITERAL+ UIDPLUS")
    yield server
    server.stop()


async def test_without_idle_and_move_the_poller_polls_and_copies_then_deletes(plain_imap_server):
    server = plain_imap_server
    pipeline = RecordingPipeline()
    poller = ImapPoller(mailbox_of(server, done_folder="Soporte"), pipeline)
    async with polling(poller):
        await eventually(lambda: poller.passes >= 1)
        server.deliver(a_mail(7))  # found by the next poll, with no IDLE to announce it
        await eventually(lambda: [raw for _, raw in server.messages("Soporte")] == [a_mail(7)])
        await eventually(lambda: server.messages("INBOX") == [])
    assert [raw for raw, _ in pipeline.accepted] == [a_mail(7)]


async def test_a_wrong_password_is_retried_without_giving_up(imap_server):
    pipeline = RecordingPipeline()
    poller = ImapPoller(mailbox_of(imap_server, password="wrong"), pipeline)
    async with polling(poller):
        await eventually(lambda: poller.failed_sessions >= 2)
    assert poller.passes == 0
    assert pipeline.calls == 0
