"""Photos as agents look at them: a thumbnail and a full-size view of an uploaded image (Pillow, pillow-heif).

What is shown is drawn anew from the stored original: turned upright as its
EXIF orientation says, and saved as a JPEG (PNG when it has transparency) with
no metadata at all, so a phone's GPS position never leaves the desk with it;
the original stays untouched for download. HEIC/HEIF photos from phones open
through pillow-heif. Views are kept beside the files (``previews/``), made once
per photo and size; a file that is no image Pillow can read gives ``None``.
Decoding runs in a thread, off the event loop, and refuses images so large they
would be a decompression bomb.
"""

from __future__ import annotations

import asyncio
import io
import os
import secrets
from pathlib import Path

import pillow_heif
from PIL import Image, ImageOps, UnidentifiedImageError

pillow_heif.register_heif_opener()
Image.MAX_IMAGE_PIXELS = 60_000_000  # a 60-megapixel photo is more than any phone takes; more is refused
SIZES = {"thumb": 320, "full": 2048}  # the longest side of each view, in pixels


def render_view(original: Path, longest_side: int) -> tuple[bytes, str] | None:
    """The view of the photo at ``original`` no larger than ``longest_side``: bytes and content type."""
    try:
        with Image.open(original) as image:
            image.draft("RGB", (longest_side, longest_side))  # JPEG decodes at a reduced scale: faster
            upright = ImageOps.exif_transpose(image)
            upright.thumbnail((longest_side, longest_side), Image.Resampling.LANCZOS)
            transparent = upright.mode in ("RGBA", "LA") or "transparency" in upright.info
            shown = upright.convert("RGBA" if transparent else "RGB")
            out = io.BytesIO()
            if transparent:
                shown.save(out, format="PNG", optimize=True)
                return out.getvalue(), "image/png"
            shown.save(out, format="JPEG", quality=85, optimize=True)  # no exif=...: no metadata is written
            return out.getvalue(), "image/jpeg"
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, ValueError):
        return None


class ImageViews:
    """Views of stored photos, under ``root/previews`` (made once each, written atomically)."""

    def __init__(self, root: Path) -> None:
        self.folder = Path(root) / "previews"

    async def view(self, original: Path, sha256: str, size: str) -> tuple[Path, str] | None:
        """The path of the photo's view at ``size`` (``thumb`` or ``full``) and its content type, or None."""
        for content_type, suffix in (("image/jpeg", "jpg"), ("image/png", "png")):
            made = self.folder / f"{sha256}-{size}.{suffix}"
            if made.exists():
                return made, content_type
        rendered = await asyncio.to_thread(render_view, original, SIZES[size])
        if rendered is None:
            return None
        data, content_type = rendered
        made = self.folder / f"{sha256}-{size}.{'png' if content_type == 'image/png' else 'jpg'}"
        self.folder.mkdir(parents=True, exist_ok=True)
        temporary = self.folder / f".{secrets.token_hex(8)}"
        temporary.write_bytes(data)
        os.replace(temporary, made)
        return made, content_type
