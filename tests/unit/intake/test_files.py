"""Uploaded files are judged by their bytes, never their names; names are for display only."""

from __future__ import annotations

import pytest

from soporte.events import FileRefusal
from soporte.intake.domain.files import FileLimits, check_filename, judge_files, shown_name, sniff

MP4_HEAD = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2"
QUICKTIME_HEAD = b"\x00\x00\x00\x14ftypqt  \x00\x00\x00\x00qt  "


@pytest.mark.parametrize(
    ("head", "kind"),
    [
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "image/jpeg"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "image/png"),
        (b"GIF89a\x01\x00", "image/gif"),
        (b"RIFF\x24\x00\x00\x00WEBPVP8 ", "image/webp"),
        (b"%PDF-1.7\n", "application/pdf"),
        (MP4_HEAD, "video/mp4"),
        (QUICKTIME_HEAD, "video/quicktime"),
        (b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81", "video/webm"),
        (b"Registro: la pantalla parpadea\n", "text/plain"),
        ("á".encode() * 255 + "é".encode()[:1], "text/plain"),  # a character cut at the end of the sample
    ],
)
def test_accepted_kinds_are_recognised_from_their_first_bytes(head, kind):
    assert sniff(head) == kind


@pytest.mark.parametrize(
    "head",
    [
        b"MZ\x90\x00\x03\x00\x00\x00",  # a Windows executable, whatever it is called
        b"\x7fELF\x02\x01\x01\x00",
        b"PK\x03\x04\x14\x00\x06\x00",  # zip (and office documents)
        b"",
        b"caf\xe9 con leche",  # Latin-1, not UTF-8
    ],
)
def test_anything_else_is_refused(head):
    assert sniff(head) is None


@pytest.mark.parametrize("name", ["pantalla rota.JPG", "factura_100234.pdf", "vídeo (1).mp4", "log.txt"])
def test_plain_names_are_kept_for_display(name):
    assert check_filename(name) == name


@pytest.mark.parametrize(
    "name",
    [
        "../../etc/passwd.jpg",
        "..\\..\\boot.ini",
        "/etc/shadow",
        "sub/dir.png",
        "C:\\temp\\a.png",
        ".htaccess",
        "a..b.jpg",
        "foto\x00.jpg",
        "line\nbreak.txt",
        "photo\u202egpj.exe",
        "zero\u200bwidth.png",
        " leading.jpg",
        "",
        None,
        "x" * 256 + ".jpg",
    ],
)
def test_names_that_could_act_as_paths_or_disguise_themselves_are_refused(name):
    assert check_filename(name) is None


LIMITS = FileLimits(max_file_bytes=1000, max_total_bytes=1000, max_files=2)
JPEG = b"\xff\xd8\xff\xe0" + b"j" * 600
PNG = b"\x89PNG\r\n\x1a\n" + b"p" * 600


def test_files_that_came_by_mail_are_kept_or_refused_one_by_one_with_the_forms_reasons():
    kept, refused = judge_files(
        [
            ("foto.jpg", JPEG),
            ("foto-otra-vez.jpg", JPEG),  # the same bytes: kept once, not refused
            ("factura.exe", b"MZ\x90\x00"),
            ("enorme.png", b"\x89PNG\r\n\x1a\n" + b"x" * 2000),
            ("photo\u202egpj.exe", PNG),
            ("grafico.png", PNG),  # fits the count, not the total
            ("tercera.png", b"\x89PNG\r\n\x1a\n" + b"q" * 10),  # over the count
        ],
        LIMITS,
    )
    assert [(k.filename, k.content_type) for k in kept] == [("foto.jpg", "image/jpeg"), ("tercera.png", "image/png")]
    assert [(r.filename, r.reason) for r in refused] == [
        ("factura.exe", FileRefusal.FILE_TYPE),
        ("enorme.png", FileRefusal.FILE_TOO_LARGE),
        ("photogpj.exe", FileRefusal.FILE_NAME),  # shown without the invisible override that reversed it
        ("grafico.png", FileRefusal.TOTAL_TOO_LARGE),
    ]


def test_over_the_count_a_file_is_refused_as_one_too_many():
    files = [(f"{n}.png", b"\x89PNG\r\n\x1a\n" + bytes([n])) for n in range(3)]
    kept, refused = judge_files(files, LIMITS)
    assert len(kept) == 2 and [(r.filename, r.reason) for r in refused] == [("2.png", FileRefusal.TOO_MANY_FILES)]


def test_a_refused_name_is_made_safe_to_show():
    assert shown_name("../../etc/passwd") == ".. .. etc passwd"
    assert shown_name("\x00\x07") == "?"
    assert len(shown_name("a" * 400)) == 255
