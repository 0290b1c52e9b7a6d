"""The SMTP/LMTP listener over loopback, smtplib as the sending server: 250 only once the pipeline is done."""

from __future__ import annotations

import asyncio
import smtplib
from email.message import EmailMessage

import pytest

from soporte.intake.adapters.smtp_listener import SmtpListener
from soporte.intake.domain.inbound_mail import Envelope
from tests.support.mailin import RecordingPipeline, eventually


def a_mail(body: str = "La pantalla llegó rota.") -> bytes:
    message = EmailMessage()
    message["From"] = "Ana García <ana@example.com>"
    message["To"] = "soporte@tienda.example"
    message["Subject"] = "Pantalla rota"
    message["Message-ID"] = "<m1@example.com>"
    message.set_content(body)
    return message.as_bytes(policy=message.policy.clone(linesep="\r\n"))  # as a mail server sends it


@pytest.fixture
async def pipeline() -> RecordingPipeline:
    return RecordingPipeline()


@pytest.fixture
async def listener(pipeline):
    listener = SmtpListener(pipeline, "127.0.0.1", 0, max_bytes=64 * 1024)
    await listener.start()
    yield listener
    await listener.stop()


def send(port: int, raw: bytes, sender: str = "ana@example.com", recipients=("soporte@tienda.example",)):
    """One SMTP transaction as a sending server runs it; DATA's (code, text)."""
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as client:
        client.ehlo("mx.example.com")
        code, text = client.mail(sender)
        assert code == 250, text
        for recipient in recipients:
            code, text = client.rcpt(recipient)
            assert code == 250, text
        return client.data(raw)


async def test_a_mail_is_answered_250_only_after_the_pipeline_returned(listener, pipeline):
    pipeline.hold()
    sending = asyncio.create_task(asyncio.to_thread(send, listener.bound_port, a_mail()))
    await asyncio.wait_for(pipeline.entered.wait(), 20)
    assert not sending.done()  # the pipeline holds the mail: the sender has no answer yet
    pipeline.release()
    code, text = await sending
    assert code == 250
    assert b"accepted" in text
    (raw, envelope), *_ = pipeline.accepted
    assert raw == a_mail()
    assert envelope == Envelope("ana@example.com", ("soporte@tienda.example",))


async def test_a_failing_pipeline_answers_451_and_the_senders_retry_is_accepted(listener, pipeline):
    pipeline.fail_next()
    code, text = await asyncio.to_thread(send, listener.bound_port, a_mail())
    assert (code, text[:5]) == (451, b"4.3.0")
    assert pipeline.accepted == []
    code, _ = await asyncio.to_thread(send, listener.bound_port, a_mail())
    assert code == 250
    assert len(pipeline.accepted) == 1


async def test_a_connection_cut_while_the_pipeline_works_gets_no_250_and_the_retry_is_accepted(pipeline):
    listener = SmtpListener(pipeline, "127.0.0.1", 0, max_bytes=64 * 1024)
    await listener.start()
    pipeline.hold()
    sending = asyncio.create_task(asyncio.to_thread(send, listener.bound_port, a_mail()))
    await asyncio.wait_for(pipeline.entered.wait(), 20)
    await listener.stop()  # as if the process died in the middle of the pipeline
    with pytest.raises(smtplib.SMTPServerDisconnected):
        await sending
    assert pipeline.accepted == []

    again = SmtpListener(pipeline, "127.0.0.1", 0, max_bytes=64 * 1024)
    await again.start()
    try:
        pipeline.release()
        code, _ = await asyncio.to_thread(send, again.bound_port, a_mail())
    finally:
        await again.stop()
    assert code == 250
    assert len(pipeline.accepted) == 1


async def test_an_oversized_mail_is_refused_with_552_and_never_reaches_the_pipeline(listener, pipeline):
    big = a_mail("x" * 100 * 1024)

    def send_with_declared_size():
        with smtplib.SMTP("127.0.0.1", listener.bound_port, timeout=30) as client:
            client.sendmail("ana@example.com", ["soporte@tienda.example"], big)  # declares SIZE= at MAIL FROM

    with pytest.raises(smtplib.SMTPSenderRefused) as refused:
        await asyncio.to_thread(send_with_declared_size)
    assert refused.value.smtp_code == 552
    code, _ = await asyncio.to_thread(send, listener.bound_port, big)  # no SIZE: counted while it streams in
    assert code == 552
    assert pipeline.calls == 0


async def test_the_null_sender_of_a_bounce_reaches_the_pipeline_as_empty(listener, pipeline):
    code, _ = await asyncio.to_thread(send, listener.bound_port, a_mail(), "", ("soporte@tienda.example",))
    assert code == 250
    assert pipeline.accepted[0][1].sender == ""


async def test_lmtp_answers_data_once_per_recipient(pipeline):
    listener = SmtpListener(pipeline, "127.0.0.1", 0, max_bytes=64 * 1024, lmtp=True)
    await listener.start()
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", listener.bound_port)
        replies = []

        async def say(line: bytes) -> None:
            writer.write(line + b"\r\n")
            await writer.drain()

        async def reply() -> bytes:
            while (line := await reader.readline())[3:4] == b"-":
                pass  # continuation lines of a multi-line reply
            return line

        replies.append(await reply())  # greeting
        for line in (b"LHLO mx.example.com", b"MAIL FROM:<ana@example.com>", b"RCPT TO:<a@tienda.example>"):
            await say(line)
            replies.append(await reply())
        await say(b"RCPT TO:<b@tienda.example>")
        replies.append(await reply())
        await say(b"DATA")
        replies.append(await reply())
        writer.write(a_mail() + b".\r\n")
        replies += [await reply(), await reply()]
        await say(b"QUIT")
        writer.close()
        await writer.wait_closed()
    finally:
        await listener.stop()
    assert [r[:3] for r in replies] == [b"220", b"250", b"250", b"250", b"250", b"354", b"250", b"250"]
    assert pipeline.accepted[0][1].recipients == ("a@tienda.example", "b@tienda.example")


async def test_lmtp_refuses_smtp_greetings_and_works_with_smtplibs_lmtp_client(pipeline):
    listener = SmtpListener(pipeline, "127.0.0.1", 0, max_bytes=64 * 1024, lmtp=True)
    await listener.start()

    def deliver() -> dict:
        with smtplib.LMTP("127.0.0.1", listener.bound_port) as client:
            assert client.docmd("EHLO", "mx.example.com")[0] == 500  # EHLO is SMTP's; smtplib's LMTP sends LHLO
            return client.sendmail("ana@example.com", ["soporte@tienda.example"], a_mail())

    try:
        assert await asyncio.to_thread(deliver) == {}
    finally:
        await listener.stop()
    await eventually(lambda: len(pipeline.accepted) == 1)
