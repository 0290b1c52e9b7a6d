"""Automatic mail is recognised as such; tokens, ticket ids and order numbers are read out of a mail; a new
ticket's category and language are guessed from it."""

from __future__ import annotations

from pathlib import Path

import pytest

from soporte.events import Category, Language
from soporte.intake.domain.inbound_mail import Envelope, parse_mail
from soporte.intake.domain.mail_triage import (
    guess_category,
    guess_language,
    is_own_address,
    noise_reason,
    order_number_candidates,
    plus_tokens,
    ticket_ids_in,
)

HERE = Path(__file__).resolve().parent
OWN = ("soporte@tienda.example", "notificaciones@tienda.example")


def mail(headers: str, envelope: Envelope | None = None):
    return parse_mail(f"{headers}\r\nSubject: hola\r\n\r\nhola\r\n".encode(), envelope)


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ("From: ana@example.com\r\nAuto-Submitted: auto-replied", "Auto-Submitted: auto-replied"),
        ("From: ana@example.com\r\nAuto-Submitted: auto-generated; owner-email=x@y", "Auto-Submitted: auto-generated"),
        ("From: ana@example.com\r\nX-Autoreply: yes", "x-autoreply: yes"),
        ("From: ana@example.com\r\nX-Autorespond: Out of office", "x-autorespond: Out of office"),
        ("From: ana@example.com\r\nPrecedence: bulk", "Precedence: bulk"),
        ("From: ana@example.com\r\nPrecedence: junk", "Precedence: junk"),
        ("From: ana@example.com\r\nPrecedence: list", "Precedence: list"),
        (
            "From: news@shop.example\r\nList-Id: <offers.shop.example>\r\nList-Unsubscribe: <mailto:u@shop.example>",
            "mailing list <offers.shop.example>",
        ),
        ("From: MAILER-DAEMON@mx.example.com", "sent by mailer-daemon@mx.example.com"),
        ("From: postmaster@example.com", "sent by postmaster@example.com"),
        ("From: Soporte <soporte@tienda.example>", "sent by the desk's own address soporte@tienda.example"),
        ("From: soporte+abc@tienda.example", "sent by the desk's own address soporte+abc@tienda.example"),
        ("From: ana@example.com\r\nX-Soporte-Notification: 1234", "one of the desk's own notifications came back"),
        ("From: ana@example.com\r\nX-Loop: soporte@tienda.example", "X-Loop: soporte@tienda.example"),
        ("From: ana@example.com\r\nReturn-Path: <>", "null envelope sender (automatic mail)"),
    ],
)
def test_automatic_mail_and_loops_are_noise_and_say_why(headers, reason):
    assert noise_reason(mail(headers), OWN) == reason


@pytest.mark.parametrize(
    "headers",
    [
        "From: ana@example.com",
        "From: ana@example.com\r\nAuto-Submitted: no",
        "From: ana@example.com\r\nX-Autoreply: no",
        "From: ana@example.com\r\nPrecedence: normal",
        # A person writing through a group alias: List-Id without the list's unsubscribe header.
        "From: ana@example.com\r\nList-Id: <compras.empresa.example>",
        "From: soporte@otra-tienda.example",
        "From: ana@example.com\r\nX-Loop: ana@example.com",
    ],
)
def test_mail_a_person_wrote_is_not_noise(headers):
    assert noise_reason(mail(headers), OWN) is None


def test_the_envelopes_null_sender_counts_over_a_missing_return_path():
    assert noise_reason(mail("From: ana@example.com", Envelope("", ("soporte@tienda.example",))), OWN)


@pytest.mark.parametrize("name", ["auto_reply_es.eml", "bounce_postfix.eml", "bounce_delayed.eml"])
def test_the_fixture_auto_reply_and_bounces_are_noise(name):
    assert noise_reason(parse_mail((HERE / name).read_bytes()), OWN) is not None


@pytest.mark.parametrize(
    "name",
    ["gmail_reply_es_photo.eml", "outlook_reply_es.eml", "html_only_windows1252_new.eml", "new_ticket_photo_en.eml"],
)
def test_the_fixture_replies_and_new_mail_are_not_noise(name):
    assert noise_reason(parse_mail((HERE / name).read_bytes()), OWN) is None


def test_own_addresses_are_recognised_with_any_plus_tag_and_letter_case():
    assert is_own_address("Soporte+7F3K@Tienda.Example", OWN)
    assert not is_own_address("soporte@tienda.example.evil", OWN)
    assert not is_own_address("ana@tienda.example", OWN)


def test_plus_tokens_come_from_the_desks_own_address_only():
    recipients = [
        "soporte+7f3k2m9qxaabcdefghijklmnop@tienda.example",
        "SOPORTE+OTHER@TIENDA.EXAMPLE",
        "soporte+elsewhere@otra.example",
        "ventas+x@tienda.example",
        "soporte+@tienda.example",
        "soporte@tienda.example",
    ]
    assert plus_tokens(recipients, "soporte@tienda.example") == ["7f3k2m9qxaabcdefghijklmnop", "other"]


@pytest.mark.parametrize(
    ("subject", "ids"),
    [
        ("Re: [T-7F3K2M9QXA] Hemos recibido su consulta", ["T-7F3K2M9QXA"]),
        ("RE: RE: t-7f3k2m9qxa", ["T-7F3K2M9QXA"]),
        ("Fwd: T-7F3K2M9QXA y T-0000000001", ["T-7F3K2M9QXA", "T-0000000001"]),
        ("T-7F3K2M9QXAB is too long", []),
        ("T-7F3K2M9QX is too short", []),
        ("Pantalla rota", []),
    ],
)
def test_ticket_ids_are_read_from_a_subject(subject, ids):
    assert ticket_ids_in(subject) == ids


@pytest.mark.parametrize(
    ("texts", "first"),
    [
        (("Pantalla rota – pedido 100555",), "100555"),
        (("Broken screen on arrival, order #300001",), "300001"),
        (("Consulta", "Mi nº de pedido: 100234, gracias"), "100234"),
        (("Consulta", "Order number A-100234 arrived broken"), "A-100234"),
        (("Consulta", "Le escribo por la compra 100777."), "100777"),
        (("Hola", "el 100234 llegó roto"), "100234"),
    ],
)
def test_order_numbers_are_read_from_subject_and_body(texts, first):
    assert order_number_candidates(*texts)[0] == first


def test_order_numbers_after_a_word_come_before_bare_numbers_and_ticket_ids_are_not_orders():
    found = order_number_candidates("Re: [T-7F3K2M9QXA] 12345678", "llamé al 600123456 por el pedido 100234")
    assert found[0] == "100234"
    assert "600123456" in found and "12345678" in found
    assert not any("7F3K2M9QXA" in candidate for candidate in found)


def test_words_without_digits_are_not_order_numbers():
    assert order_number_candidates("Order status please", "Sobre mi pedido anterior") == []


@pytest.mark.parametrize(
    ("subject", "text", "category"),
    [
        ("Pantalla rota – pedido 100555", "", Category.DAMAGED_ITEM),
        ("Broken screen on arrival", "it does not turn on either", Category.DAMAGED_ITEM),  # the subject first
        ("Consulta", "Me enviaron otro modelo", Category.WRONG_ITEM),
        ("Quiero hacer una devolución", "", Category.RETURN_REQUEST),
        ("Where is my order?", "", Category.ORDER_STATUS),
        ("Ayuda", "La pantalla parpadea al abrir la tapa", Category.TROUBLESHOOTING),
        ("Which screen fits my laptop?", "", Category.LCD_DIAGNOSIS),
        ("Precio del N156HGA", "", Category.PRE_SALES),
        ("Hola", "Una pregunta sobre la factura", Category.OTHER),
    ],
)
def test_a_new_tickets_category_is_guessed_from_its_words_or_left_other(subject, text, category):
    assert guess_category(subject, text) is category


@pytest.mark.parametrize(
    ("texts", "language"),
    [
        (("Broken screen on arrival", "The screen I ordered arrived with a cracked corner."), Language.EN),
        (("Pantalla rota", "Compré una pantalla y llegó con la esquina rota."), Language.ES),
        (("", ""), Language.ES),  # nothing to go by: the desk's language
    ],
)
def test_a_new_tickets_language_is_the_one_its_mail_reads_as(texts, language):
    assert guess_language(*texts) is language
