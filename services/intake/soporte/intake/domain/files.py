"""What an uploaded file is, judged by its bytes (never its name), and which names are acceptable."""

from __future__ import annotations

import re
import unicodedata

SNIFF_BYTES = 512
_UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f/\\]|^\.|\.\.")


def sniff(head: bytes) -> str | None:
    """The content type of a file from its first bytes, or None when it is not an accepted kind."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head[4:8] == b"ftyp":
        return "video/quicktime" if head[8:10] == b"qt" else "video/mp4"
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "video/webm"
    if head and b"\x00" not in head:
        try:
            head.decode("utf-8")
        except UnicodeDecodeError as exc:
            # A multi-byte character cut at the end of the sample is still text.
            if exc.start < len(head) - 3:
                return None
        return "text/plain"
    return None


def check_filename(name: str | None) -> str | None:
    """The name (NFC) if it is a plain display name; None for path tricks.

    Refused: traversal (``..``), separators, a leading dot, control characters and
    invisible format characters such as the right-to-left override that makes
    ``photo\u202egpj.exe`` look like ``photoexe.jpg``. The name is only ever shown,
    never used as a path.
    """
    if not name:
        return None
    name = unicodedata.normalize("NFC", name)
    if len(name) > 255 or name.strip() != name or _UNSAFE_NAME.search(name):
        return None
    if any(unicodedata.category(c) in ("Cc", "Cf", "Cs", "Co", "Zl", "Zp") for c in name):
        return None
    return name
