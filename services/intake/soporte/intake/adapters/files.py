"""Content-addressed file storage on disk (an S3-compatible store can sit behind the same interface)."""

from __future__ import annotations

import hashlib
import os
import secrets
from pathlib import Path
from typing import Protocol


class FileStore(Protocol):
    def begin(self) -> "PendingFile": ...
    def path_of(self, sha256: str) -> Path | None: ...
    def remove(self, sha256: str) -> None: ...


class PendingFile:
    """A file being received: bytes go to a temporary name; ``commit`` moves them under their hash."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.temp = root / "tmp" / secrets.token_hex(16)
        self.temp.parent.mkdir(parents=True, exist_ok=True)
        self.handle = open(self.temp, "wb")
        self.digest = hashlib.sha256()
        self.size = 0

    def write(self, chunk: bytes) -> None:
        self.digest.update(chunk)
        self.handle.write(chunk)
        self.size += len(chunk)

    def commit(self) -> tuple[str, bool]:
        """Returns (sha256, created): created is False when identical content was stored already."""
        self.handle.close()
        sha = self.digest.hexdigest()
        final = self.root / sha[:2] / sha[2:4] / sha
        if final.exists():
            self.temp.unlink(missing_ok=True)
            return sha, False
        final.parent.mkdir(parents=True, exist_ok=True)
        os.replace(self.temp, final)
        return sha, True

    def discard(self) -> None:
        self.handle.close()
        self.temp.unlink(missing_ok=True)


class LocalFileStore:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def begin(self) -> PendingFile:
        return PendingFile(self.root)

    def path_of(self, sha256: str) -> Path | None:
        if len(sha256) != 64 or not all(c in "0123456789abcdef" for c in sha256):
            return None
        path = self.root / sha256[:2] / sha256[2:4] / sha256
        return path if path.exists() else None

    def remove(self, sha256: str) -> None:
        path = self.path_of(sha256)
        if path:
            path.unlink(missing_ok=True)

    def stored_files(self) -> list[Path]:
        return [p for p in self.root.rglob("*") if p.is_file() and p.parent.name != "tmp"]
