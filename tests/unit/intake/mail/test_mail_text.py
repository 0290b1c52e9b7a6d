"""Cutting a reply: the history and signature go, every sentence of the customer stays."""

from __future__ import annotations

import pytest

from soporte.intake.domain.mail_text import cut_reply, decode_text, html_charset, html_to_text, unflow

QUOTE = "> Hemos recibido su consulta.\n> Un saludo,\n> Soporte"


@pytest.mark.parametrize(
    "separator",
    [
        "El lun, 2 mar 2026 a las 10:15, Soporte <soporte@tienda.example> escribió:",
        # Gmail wraps the long line; "escribió:" can land alone on the next one.
        "El lun, 2 mar 2026 a las 10:15, Soporte Tienda Pantallas (<soporte@tienda.example>)\nescribió:",
        "El 2 mar 2026, a las 10:15, Soporte <soporte@tienda.example> escribió:",  # Apple Mail
        "El 2/3/26 a las 10:15, Soporte Tienda Pantallas escribió:",  # Thunderbird
        "On Mon, Mar 2, 2026 at 10:15 AM Soporte <soporte@tienda.example> wrote:",
        "On Mon, Mar 2, 2026 at 10:15 AM Soporte Tienda Pantallas <soporte@tienda.example>\nwrote:",
        "On 3/2/26 10:15 AM, Soporte wrote:",
        "-----Mensaje original-----\nDe: Soporte <soporte@tienda.example>\nEnviado el: lunes, 2 de marzo de 2026",
        "-----Original Message-----\nFrom: Soporte <soporte@tienda.example>\nSent: Monday, March 2, 2026 10:15 AM",
        "De: Soporte <soporte@tienda.example>\nEnviado: lunes, 2 de marzo de 2026 10:15\nPara: Ana\nAsunto: x",
        "________________________________\nFrom: Soporte <soporte@tienda.example>\nSent: Monday, March 2, 2026",
        "De: Soporte <soporte@tienda.example>\nFecha: lunes, 2 de marzo de 2026, 10:15\nPara: Ana",  # Outlook Mac
    ],
)
def test_the_quoted_history_is_cut_after_every_clients_separator(separator):
    text = f"La pantalla sigue sin encender.\n\n{separator}\n\n{QUOTE}\n"
    assert cut_reply(text) == "La pantalla sigue sin encender."


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("No enciende.\n\n-- \nAna García\nTel. 600 123 456", "No enciende."),
        ("No enciende.\n\nSaludos,\nAna", "No enciende."),
        ("No enciende.\n\nUn cordial saludo,\nJosé Martínez\nCompras | Empresa S.L.", "No enciende."),
        ("It flickers.\n\nBest regards,\nMark Jones\nPurchasing", "It flickers."),
        ("Va la foto\n\nEnviado desde mi iPhone", "Va la foto"),
        ("Photo attached\n\nSent from my iPhone", "Photo attached"),
    ],
)
def test_a_signature_is_cut(text, kept):
    assert cut_reply(text) == kept


@pytest.mark.parametrize(
    "text",
    [
        # The library would take these for signatures and drop them.
        "Hola,\nGracias, pero la pantalla sigue rota.\nNo sé qué más probar.",
        "Hola,\nThanks, it works now but the colours are off.",
        "Lo que veo:\n- una línea blanca\n- la esquina rota\n- no enciende",
        # A valediction followed by more than a signature is the customer still writing.
        "Gracias\n\nPD: la pantalla sigue rota y no sé qué hacer con ella, ¿me mandan otra por favor?",
        # "El … escribió:" inside a sentence, with no date, is the customer quoting someone.
        "El técnico me escribió:\nque la pantalla es compatible.",
    ],
)
def test_nothing_the_customer_wrote_is_cut(text):
    assert cut_reply(text) == text


def test_a_reply_that_is_nothing_but_history_is_empty():
    assert cut_reply(f"On Mon, Mar 2, 2026 at 10:15 AM Soporte <soporte@tienda.example> wrote:\n{QUOTE}") == ""


def test_html_becomes_text_with_lines_where_blocks_break():
    html = (
        "<html><head><title>t</title><style>p {color: red}</style><script>alert(1)</script></head><body>"
        "<p>Hola&nbsp;equipo,<br>la pantalla   <b>no</b>\nenciende.</p>"
        "<ul><li>uno</li><li>dos</li></ul><table><tr><td>Modelo</td><td>N156</td></tr></table>"
        "<pre>línea 1\n  línea 2</pre></body></html>"
    )
    expected = "Hola equipo,\nla pantalla no enciende.\n\n- uno\n- dos\n\nModelo N156\n\nlínea 1\nlínea 2"
    assert html_to_text(html) == expected


def test_an_html_quote_is_marked_and_then_cut():
    html = (
        '<div dir="ltr">Adjunto la foto.</div><div class="gmail_quote">'
        "El lun, 2 mar 2026 a las 10:15, Soporte escribió:<br>"
        '<blockquote class="gmail_quote">Hemos recibido<br>su consulta</blockquote></div>'
    )
    text = html_to_text(html)
    assert text.endswith("> Hemos recibido\n> su consulta")
    assert cut_reply(text) == "Adjunto la foto."


@pytest.mark.parametrize(
    ("payload", "charset", "text"),
    [
        ("Begoña “pedido” – 89,90 €".encode("cp1252"), "windows-1252", "Begoña “pedido” – 89,90 €"),
        # Labelled ISO-8859-1 but written by Windows: read as Windows-1252, as browsers do.
        ("“pedido” – €".encode("cp1252"), "iso-8859-1", "“pedido” – €"),
        ("Begoña".encode("latin-1"), "ISO-8859-1", "Begoña"),
        ("Begoña".encode(), "utf-8", "Begoña"),
        ("Begoña".encode(), None, "Begoña"),
        ("Begoña".encode(), "us-ascii", "Begoña"),
        ("Begoña".encode("cp1252"), "utf-8", "Begoña"),  # a wrong label does not garble it
        ("Begoña".encode(), "x-no-such-charset", "Begoña"),
        (b"\x81\x8d", "windows-1252", "\x81\x8d"),  # bytes Windows-1252 leaves undefined: Latin-1, never an error
    ],
)
def test_text_is_decoded_in_the_charset_it_is_really_in(payload, charset, text):
    assert decode_text(payload, charset) == text


def test_an_html_part_without_a_charset_says_it_in_a_meta_tag():
    assert html_charset(b'<html><head><meta charset="windows-1252"></head>') == "windows-1252"
    assert html_charset(b'<meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1">') == "iso-8859-1"
    assert html_charset(b"<p>hola</p>") is None


def test_format_flowed_soft_breaks_are_joined_and_hard_ones_kept():
    flowed = "Hola, la pantalla que me \nenviaron no enciende.\n\n> cita que \n> sigue\n-- \nAna"
    assert unflow(flowed) == "Hola, la pantalla que me enviaron no enciende.\n\n> cita que sigue\n-- \nAna"
    assert unflow("pala \nbra", delsp=True) == "palabra"
