"""Reading multipart requests: form fields plus files, counted and sniffed while they stream in."""

from __future__ import annotations

from dataclasses import dataclass, field

from aiohttp import web

from soporte.events import AttachmentRef
from soporte.intake.adapters.files import FileStore
from soporte.intake.domain.files import SNIFF_BYTES, check_filename, sniff
from soporte.platform.http import FieldError, Problem


@dataclass(frozen=True)
class UploadLimits:
    max_file_bytes: int = 10 * 1024 * 1024
    max_total_bytes: int = 25 * 1024 * 1024
    max_files: int = 5


@dataclass
class Upload:
    fields: dict[str, str] = field(default_factory=dict)
    attachments: list[AttachmentRef] = field(default_factory=list)
    created: list[str] = field(default_factory=list)  # hashes this request added to the store

    def discard(self, store: FileStore) -> None:
        """Undo the files this request stored (on any failure: nothing left behind)."""
        for sha in self.created:
            store.remove(sha)
        self.created.clear()


def _too_large(what: str) -> Problem:
    return Problem(413, "payload-too-large", "Upload too large", detail=what)


async def read_multipart(request: web.Request, store: FileStore, limits: UploadLimits) -> Upload:
    """Fields and files of a multipart/form-data request; on a refused file nothing stays stored."""
    if request.content_length is not None and request.content_length > limits.max_total_bytes + 1024 * 1024:
        raise _too_large(f"at most {limits.max_total_bytes} bytes in all")
    upload, total = Upload(), 0
    try:
        reader = await request.multipart()
        while (part := await reader.next()) is not None:
            if part.filename is None:
                value = await part.text()
                if len(value) > 40_000:
                    raise Problem(422, "validation-error", "The request has invalid fields", errors=[FieldError(part.name or "?", "too long")])
                upload.fields[part.name or ""] = value
                continue
            if part.filename == "":
                await part.release()  # an empty file input of a form
                continue
            if part.name != "files":
                raise Problem(422, "validation-error", "The request has invalid fields", errors=[FieldError(part.name or "?", "files go in 'files'")])
            name = check_filename(part.filename)
            if name is None:
                raise Problem(422, "validation-error", "The request has invalid fields",
                              errors=[FieldError("files", f"unacceptable file name {part.filename!r}")])
            if len(upload.attachments) >= limits.max_files:
                raise Problem(422, "validation-error", "The request has invalid fields",
                              errors=[FieldError("files", f"at most {limits.max_files} files")])
            pending = store.begin()
            try:
                head = b""
                while chunk := await part.read_chunk(64 * 1024):
                    if len(head) < SNIFF_BYTES:
                        head += chunk[: SNIFF_BYTES - len(head)]
                    total += len(chunk)
                    if pending.size + len(chunk) > limits.max_file_bytes:
                        raise _too_large(f"{name}: at most {limits.max_file_bytes} bytes per file")
                    if total > limits.max_total_bytes:
                        raise _too_large(f"at most {limits.max_total_bytes} bytes in all")
                    pending.write(chunk)
                content_type = sniff(head)
                if content_type is None:
                    raise Problem(415, "unsupported-media-type", "Unsupported file type",
                                  detail=f"{name}: photos, PDF, plain text or video only (judged by content)",
                                  errors=[FieldError("files", f"{name}: not an accepted kind of file")])
                sha, created = pending.commit()
            except BaseException:
                pending.discard()
                raise
            if created:
                upload.created.append(sha)
            upload.attachments.append(AttachmentRef(sha256=sha, filename=name, content_type=content_type, size=pending.size))
    except BaseException:
        upload.discard(store)
        raise
    return upload
