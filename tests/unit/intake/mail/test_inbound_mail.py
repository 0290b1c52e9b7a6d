"""Real clients' mails read right: the new words only, every file, the right charset, the thread's ids."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from soporte.intake.domain.files import sniff
from soporte.intake.domain.inbound_mail import Envelope, InboundMail, parse_mail

HERE = Path(__file__).resolve().parent
SENT_ID = "n.0b5e1f52-8d0c-5a3e-9a1d-2f6c3b7e4d10.7f3k2m9qxaabcdefghijklmnop@tienda.example"
PLUS_ADDRESS = "soporte+7f3k2m9qxaabcdefghijklmnop@tienda.example"


def fixture(name: str, envelope: Envelope | None = None) -> InboundMail:
    return parse_mail((HERE / name).read_bytes(), envelope)


@pytest.mark.parametrize(
    ("name", "new_words"),
    [
        (
            "gmail_reply_es_photo.eml",
            "Hola, les adjunto la foto de la pantalla: tiene una línea blanca en\ndiagonal desde que llegó.",
        ),
        (
            "outlook_reply_es.eml",
            "Buenos días:\n\nLa pantalla sigue sin encender después de cambiar el cable. "
            "¿Pueden enviarme una de repuesto?",
        ),
        (
            "outlook_reply_en.eml",
            "Hi,\n\nThe replacement screen arrived but it flickers – I’ve attached nothing yet, I’ll send a video "
            "tomorrow.\n\n- it flickers after 10 minutes\n- the backlight is fine",
        ),
        (
            "thunderbird_reply_es.eml",
            "Hola:\n\nEl modelo exacto es el LP156WF6-SPB1; lo compré para un portátil de 15,6 pulgadas y la "
            "conexión es de 30 pines.",
        ),
        (
            "apple_mail_reply_en_inline_image.eml",
            "Here is where the pixels are dead (marked in red):\n\nThe rest of the panel looks fine.",
        ),
        ("gmail_reply_en.eml", "The model number on the label is B156XTN07.1, and the connector has 30\npins."),
        (
            "thunderbird_reply_en.eml",
            "Hi,\n\nYes, the backlight works: I can see a faint picture with a torch, so it must be the panel itself.",
        ),
        ("apple_mail_reply_es.eml", "Ya la he probado en otro portátil y tampoco funciona."),
    ],
)
def test_a_reply_keeps_only_its_new_words(name, new_words):
    mail = fixture(name)
    assert mail.text == new_words
    assert "Hemos recibido" not in mail.text and "We have received" not in mail.text
    assert len(mail.full_text) > len(mail.text)  # the history is still there for whoever needs it


def test_a_gmail_reply_names_the_thread_sender_and_plus_address():
    mail = fixture("gmail_reply_es_photo.eml")
    assert mail.message_id == "CAF3xq7Yw1h2Jd9kLp0vQm_4b8x2u=Rz0s5TgH+Oa1c@mail.gmail.example"
    assert mail.in_reply_to == (SENT_ID,)
    assert mail.references == (SENT_ID,)
    assert (mail.sender, mail.sender_name) == ("ana.garcia@gmail.example", "Ana García")
    assert mail.subject == "Re: [T-7F3K2M9QXA] Hemos recibido su consulta"
    assert mail.date == datetime(2026, 3, 2, 10, 30, 55, tzinfo=UTC)
    assert mail.recipients == (PLUS_ADDRESS,)
    assert mail.dedupe_key == mail.message_id


def test_an_attached_photo_comes_with_its_name_and_bytes():
    (photo,) = fixture("gmail_reply_es_photo.eml").attachments
    assert (photo.filename, photo.content_type, photo.inline) == ("IMG_20260302_112801.jpg", "image/jpeg", False)
    assert sniff(photo.data) == "image/jpeg"


def test_an_inline_image_is_a_file_too_and_says_it_was_inline():
    (image,) = fixture("apple_mail_reply_en_inline_image.eml").attachments
    assert (image.filename, image.content_type, image.inline) == ("IMG_0412.png", "image/png", True)
    assert image.content_id == "5B0F8A2E-1C3D-4E5F-9A8B-7C6D5E4F3A2B"
    assert sniff(image.data) == "image/png"


def test_every_attachment_is_listed_even_one_intake_will_refuse():
    files = fixture("new_ticket_photo_en.eml").attachments
    assert [(f.filename, f.content_type) for f in files] == [
        ("cracked corner ñ.jpg", "image/jpeg"),  # RFC 2231 name
        ("invoice.exe", "application/x-msdownload"),
    ]
    assert files[1].data.startswith(b"MZ")


@pytest.mark.parametrize("name", ["html_only_windows1252_new.eml", "html_only_meta_charset.eml"])
def test_a_windows_1252_html_only_mail_reads_right(name):
    mail = fixture(name)
    assert mail.subject == "Pantalla rota – pedido 100555"
    assert mail.sender_name == "Begoña Núñez"
    assert mail.text.startswith("Buenos días:\n\nCompré una pantalla el mes pasado (pedido nº 100555)")
    assert "89,90 €" in mail.text
    assert "- Modelo: “N156HGA-EA3”\n- Daño: esquina inferior – cristal partido" in mail.text
    assert "font-family" not in mail.full_text and "<" not in mail.full_text
    assert mail.attachments == ()


def test_an_iso_8859_1_outlook_mail_reads_right_in_headers_and_body():
    mail = fixture("outlook_reply_es.eml")
    assert mail.sender_name == "José Martínez Peña"
    assert "después" in mail.text and "¿Pueden" in mail.text


def test_a_utf8_header_sent_raw_reads_right():
    assert fixture("thunderbird_reply_es.eml").subject == "Re: [T-7F3K2M9QXA] Le pedimos una aclaración"


def test_format_flowed_lines_are_joined():
    assert "portátil de 15,6 pulgadas" in fixture("thunderbird_reply_es.eml").text


def test_the_envelope_comes_first_among_the_recipients():
    mail = fixture("outlook_reply_es.eml", Envelope("jose.martinez@empresa.example", (PLUS_ADDRESS.upper(),)))
    assert mail.recipients == (PLUS_ADDRESS, "soporte@tienda.example")
    assert mail.envelope_sender == "jose.martinez@empresa.example"


def test_the_null_sender_of_a_bounce_is_kept_apart_from_a_missing_one():
    assert fixture("bounce_postfix.eml").envelope_sender == ""
    assert fixture("gmail_reply_es_photo.eml").envelope_sender == "ana.garcia@gmail.example"
    assert parse_mail(b"From: a@b.example\r\n\r\nhola").envelope_sender is None


def test_a_mail_without_message_id_is_still_deduplicated_by_its_bytes():
    raw = b"From: a@b.example\r\nSubject: hola\r\n\r\nhola\r\n"
    assert parse_mail(raw).message_id is None
    assert parse_mail(raw).dedupe_key == parse_mail(raw).dedupe_key
    assert parse_mail(raw).dedupe_key != parse_mail(raw + b"otra\r\n").dedupe_key


def test_nothing_read_from_a_header_can_start_another_header():
    raw = b"From: a@b.example\r\nSubject: =?utf-8?q?hola=0D=0ABcc:_x@evil.example=00?=\r\n\r\nhola"
    subject = parse_mail(raw).subject
    assert "\r" not in subject and "\n" not in subject and "\x00" not in subject
    assert subject == "hola Bcc: x@evil.example"


def test_broken_mail_is_read_as_far_as_it_goes():
    mail = parse_mail(b"From: <<<\r\nDate: yesterday\r\nSubject: =?bogus?Q?x?=\r\nMessage-ID: nonsense\r\n\r\n\xff\xfe")
    assert mail.date is None
    assert mail.subject == "=?bogus?Q?x?="
    assert mail.message_id == "nonsense"
    assert mail.text == "ÿþ"
