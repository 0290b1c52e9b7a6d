"""Delivery status notifications: the original mail, who failed and why; a delay is not a failure."""

from __future__ import annotations

from pathlib import Path

from soporte.intake.domain.inbound_mail import parse_mail

HERE = Path(__file__).resolve().parent
SENT_ID = "n.0b5e1f52-8d0c-5a3e-9a1d-2f6c3b7e4d10.7f3k2m9qxaabcdefghijklmnop@tienda.example"


def test_a_bounce_names_the_mail_we_sent_the_address_and_the_reason():
    report = parse_mail((HERE / "bounce_postfix.eml").read_bytes()).delivery_report
    assert report is not None
    assert report.original_message_id == SENT_ID
    (failure,) = report.failures
    assert failure.recipient == "ana.garcia@gmail.example"
    assert failure.status == "5.1.1"
    assert failure.diagnostic.startswith("smtp; 550-5.1.1 The email account that you tried to reach does not exist.")


def test_a_delay_report_has_no_failure():
    report = parse_mail((HERE / "bounce_delayed.eml").read_bytes()).delivery_report
    assert report is not None
    assert report.original_message_id.startswith("n.4d2c8a10-")  # read from the returned message/rfc822
    assert [r.action for r in report.recipients] == ["delayed"]
    assert report.failures == ()


def test_a_bounce_has_no_attachments_to_file_on_a_ticket():
    assert parse_mail((HERE / "bounce_postfix.eml").read_bytes()).attachments == ()


def test_mail_that_is_not_a_report_has_none():
    assert parse_mail((HERE / "auto_reply_es.eml").read_bytes()).delivery_report is None
    raw = b"From: a@b.example\r\nContent-Type: multipart/report; report-type=disposition-notification; b=x\r\n\r\n"
    assert parse_mail(raw).delivery_report is None


def test_a_report_with_several_recipients_lists_each():
    raw = (
        b"From: MAILER-DAEMON@mx.example\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/report; report-type=delivery-status; boundary="b"\r\n\r\n'
        b"--b\r\nContent-Type: text/plain\r\n\r\nfailed\r\n"
        b"--b\r\nContent-Type: message/delivery-status\r\n\r\n"
        b"Reporting-MTA: dns; mx.example\r\n\r\n"
        b"Final-Recipient: rfc822; <A@Example.com>\r\nAction: failed\r\nStatus: 5.2.2\r\n"
        b"Diagnostic-Code: smtp; 552 mailbox full\r\n\r\n"
        b"Original-Recipient: rfc822; b@example.com\r\nAction: delivered\r\nStatus: 2.0.0\r\n\r\n"
        b"--b--\r\n"
    )
    report = parse_mail(raw).delivery_report
    assert report.original_message_id is None
    assert [(r.recipient, r.action, r.status) for r in report.recipients] == [
        ("a@example.com", "failed", "5.2.2"),
        ("b@example.com", "delivered", "2.0.0"),
    ]
    assert [r.diagnostic for r in report.failures] == ["smtp; 552 mailbox full"]
