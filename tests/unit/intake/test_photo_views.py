"""Photos as agents see them: upright by their EXIF orientation, stripped of every metadata (no GPS), HEIC from
phones read and recognised by its bytes, anything else no view at all."""

from __future__ import annotations

import io

from PIL import Image

from soporte.intake.adapters.images import render_view
from soporte.intake.domain.files import sniff
from tests.support.photos import GPS_INFO, heic_photo, is_blue, sideways_jpeg_with_gps, top_colour


def test_a_sideways_phone_photo_is_shown_upright_and_without_its_position(tmp_path):
    original = tmp_path / "photo"
    original.write_bytes(sideways_jpeg_with_gps())
    with Image.open(original) as stored:
        assert stored.size == (80, 120) and stored.getexif().get_ifd(GPS_INFO)  # as the phone stored it
    data, content_type = render_view(original, 320)
    assert content_type == "image/jpeg"
    with Image.open(io.BytesIO(data)) as shown:
        assert shown.size == (120, 80) and not shown.getexif() and "exif" not in shown.info
    assert is_blue(top_colour(data))


def test_a_heic_photo_is_recognised_by_its_bytes_and_shown_as_a_small_jpeg(tmp_path):
    heic = heic_photo(1600, 1200)
    assert sniff(heic[:512]) == "image/heic"
    original = tmp_path / "photo"
    original.write_bytes(heic)
    data, content_type = render_view(original, 320)
    with Image.open(io.BytesIO(data)) as shown:
        assert (content_type, shown.format, shown.size) == ("image/jpeg", "JPEG", (320, 240))
    assert is_blue(top_colour(data))


def test_a_file_that_is_no_photo_has_no_view(tmp_path):
    original = tmp_path / "video"
    original.write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes(200))
    assert sniff(original.read_bytes()[:512]) == "video/mp4"
    assert render_view(original, 320) is None
