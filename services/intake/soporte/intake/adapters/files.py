"""Content-addressed file storage on disk (an S3-compatible store can sit behind the same interface).

Identical content is stored once, so a file one request wrote may be the file
another request is about to reference. A request that fails therefore removes
only what it created *and* what nobody else holds: no request in flight in this
process (``hold``/``let_go``) and no committed event (``is_referenced``).
"""

from __future__ import annotations

import hashlib
import os
import secrets
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Protocol


class FileStore(Protocol):
    def begin(self) -> PendingFile: ...
    def put(self, data: bytes) -> tuple[str, bool]: ...
    def path_of(self, sha256: str) -> Path | None: ...
    def let_go(self, sha256: str) -> None: ...
    async def drop(self, sha256: str) -> None: ...


class PendingFile:
    """A file being received: bytes go to a temporary name; ``commit`` moves them under their hash."""

    def __init__(self, store: LocalFileStore) -> None:
        self.store = store
        self.temp = store.root / "tmp" / secrets.token_hex(16)
        self.temp.parent.mkdir(parents=True, exist_ok=True)
        self.handle = open(self.temp, "wb")
        self.digest = hashlib.sha256()
        self.size = 0

    def write(self, chunk: bytes) -> None:
        self.digest.update(chunk)
        self.handle.write(chunk)
        self.size += len(chunk)

    def commit(self) -> tuple[str, bool]:
        """Store under the hash and hold it; returns (sha256, created) — False when the content was there already."""
        # Synchronous from check to hold: no other request of this event loop runs in between.
        self.handle.close()
        sha = self.digest.hexdigest()
        final = self.store.location(sha)
        created = not final.exists()
        if created:
            final.parent.mkdir(parents=True, exist_ok=True)
            os.replace(self.temp, final)  # atomic: a reader sees the whole file or none
        else:
            self.temp.unlink(missing_ok=True)
        self.store.hold(sha)
        return sha, created

    def discard(self) -> None:
        self.handle.close()
        self.temp.unlink(missing_ok=True)


class LocalFileStore:
    def __init__(self, root: Path, is_referenced: Callable[[str], Awaitable[bool]] | None = None) -> None:
        self.root = Path(root)
        self.is_referenced = is_referenced
        self.holds: Counter[str] = Counter()  # requests in flight that stored (or found) each file

    def begin(self) -> PendingFile:
        return PendingFile(self)

    def put(self, data: bytes) -> tuple[str, bool]:
        """Store ``data`` whole (a file the desk made, a return label) and hold it, as ``PendingFile.commit``."""
        pending = self.begin()
        try:
            pending.write(data)
            return pending.commit()
        except BaseException:
            pending.discard()
            raise

    def location(self, sha256: str) -> Path:
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def path_of(self, sha256: str) -> Path | None:
        if len(sha256) != 64 or not all(c in "0123456789abcdef" for c in sha256):
            return None
        path = self.location(sha256)
        return path if path.exists() else None

    def hold(self, sha256: str) -> None:
        self.holds[sha256] += 1

    def let_go(self, sha256: str) -> None:
        self.holds[sha256] -= 1
        if self.holds[sha256] <= 0:
            del self.holds[sha256]

    async def drop(self, sha256: str) -> None:
        """Remove a file a failed request created, unless a request in flight or a committed event still needs it."""
        if self.holds[sha256] > 0 or (self.is_referenced is not None and await self.is_referenced(sha256)):
            return
        path = self.path_of(sha256)
        if path:
            path.unlink(missing_ok=True)

    def stored_files(self) -> list[Path]:
        return [p for p in self.root.rglob("*") if p.is_file() and p.parent.name != "tmp"]


@asynccontextmanager
async def kept_if_committed(store: FileStore, data: bytes) -> AsyncIterator[str]:
    """``data`` stored (and held) while what runs inside commits what refers to it; removed again if that fails,
    unless it was there before or something else holds it or refers to it."""
    sha, created = store.put(data)
    try:
        yield sha
    except BaseException:
        store.let_go(sha)
        if created:
            await store.drop(sha)
        raise
    store.let_go(sha)
