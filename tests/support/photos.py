"""Photos as phones send them, made in the test: a JPEG lying on its side with a GPS position in its EXIF, and a
HEIC (encoded with pillow-heif), each with a coloured band that shows which way up it is."""

from __future__ import annotations

import io

import pillow_heif
from PIL import Image

pillow_heif.register_heif_opener()
ORIENTATION, GPS_INFO = 0x0112, 0x8825
RED, BLUE = (220, 30, 30), (30, 30, 220)


def band_photo(width: int = 120, height: int = 80) -> Image.Image:
    """A landscape picture, red with a blue band along its top edge."""
    image = Image.new("RGB", (width, height), RED)
    image.paste(BLUE, (0, 0, width, height // 4))
    return image


def sideways_jpeg_with_gps() -> bytes:
    """A phone's JPEG: the pixels stored on their side, EXIF orientation 6 (turn 90° clockwise), and a position."""
    exif = Image.Exif()
    exif[ORIENTATION] = 6
    exif.get_ifd(GPS_INFO).update({1: "N", 2: (40.0, 25.0, 0.0), 3: "W", 4: (3.0, 42.0, 0.0)})
    out = io.BytesIO()
    band_photo().rotate(90, expand=True).save(out, format="JPEG", exif=exif.tobytes(), quality=95)
    return out.getvalue()


def heic_photo(width: int = 120, height: int = 80) -> bytes:
    """A HEIC photo, as an iPhone sends it."""
    out = io.BytesIO()
    band_photo(width, height).save(out, format="HEIF", quality=90)
    return out.getvalue()


def top_colour(data: bytes) -> tuple[int, int, int]:
    """The colour in the middle of the top edge of a picture (blue when it is upright)."""
    with Image.open(io.BytesIO(data)) as image:
        rgb = image.convert("RGB")
        return rgb.getpixel((rgb.width // 2, 2))


def is_blue(colour: tuple[int, int, int]) -> bool:
    return colour[2] > 150 and colour[0] < 100
