"""What an uploaded file is, judged by its bytes (never its name), and which names are acceptable.

``judge_files`` applies the form's checks and limits to files that came all at
once (a mail's attachments): since a mail cannot be sent back for correction,
it keeps what passes and lists the rest with the reason, instead of refusing all.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from soporte.events import FileRefusal, RefusedFile

SNIFF_BYTES = 512
# The major brands of HEIF still images (HEVC-coded "heic"/"heix", image sequences, and the generic ones).
HEIF_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1"}
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
        if head[8:12] in HEIF_BRANDS:  # photos from phones (HEIC/HEIF) are ISO media files too
            return "image/heic" if head[8:11] in (b"hei", b"hev") else "image/heif"
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


@dataclass(frozen=True)
class FileLimits:
    max_file_bytes: int
    max_total_bytes: int
    max_files: int


@dataclass(frozen=True)
class KeptFile:
    filename: str
    content_type: str  # judged from the bytes
    data: bytes
    sha256: str


def judge_files(files: Iterable[tuple[str, bytes]], limits: FileLimits) -> tuple[list[KeptFile], list[RefusedFile]]:
    """The files to keep and the ones refused (name made safe to show, and why), in the order given.

    The same bytes twice are kept once. Put the files that matter most first: when the count or the total
    runs out, the later ones are the ones refused.
    """
    kept: list[KeptFile] = []
    refused: list[RefusedFile] = []
    total = 0
    for given_name, data in files:
        sha256 = hashlib.sha256(data).hexdigest()
        if any(k.sha256 == sha256 for k in kept):
            continue
        name = check_filename(given_name)
        content_type = sniff(data[:SNIFF_BYTES])
        if name is None:
            reason = FileRefusal.FILE_NAME
        elif content_type is None:
            reason = FileRefusal.FILE_TYPE
        elif len(data) > limits.max_file_bytes:
            reason = FileRefusal.FILE_TOO_LARGE
        elif len(kept) >= limits.max_files:
            reason = FileRefusal.TOO_MANY_FILES
        elif total + len(data) > limits.max_total_bytes:
            reason = FileRefusal.TOTAL_TOO_LARGE
        else:
            kept.append(KeptFile(name, content_type, data, sha256))
            total += len(data)
            continue
        refused.append(RefusedFile(filename=shown_name(given_name), reason=reason))
    return kept, refused


def shown_name(name: str | None) -> str:
    """A refused file's name, safe to show: control and invisible characters and path separators gone."""
    name = unicodedata.normalize("NFC", name or "")
    visible = "".join(
        " " if c in "/\\" else c for c in name if unicodedata.category(c) not in ("Cc", "Cf", "Cs", "Co", "Zl", "Zp")
    )
    return " ".join(visible.split())[:255] or "?"
