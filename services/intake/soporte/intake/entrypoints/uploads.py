"""Reading multipart requests: form fields plus files, counted and sniffed while they stream in."""

from __future__ import annotations

from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError

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
    held: list[str] = field(default_factory=list)  # hashes this request holds in the store (stored or found)
    created: list[str] = field(default_factory=list)  # hashes this request added to the store
    files_sent: int = 0  # file parts the request carried (kept or not): a refused form asks for them again

    def hold(self, sha256: str, created: bool, ref: AttachmentRef) -> None:
        """A file this request stored (or found stored): it now holds it, and the command will reference it."""
        self.held.append(sha256)
        if created:
            self.created.append(sha256)
        self.attachments.append(ref)

    def release(self, store: FileStore) -> None:
        """The request is over and its events are committed: the files now belong to the ticket."""
        for sha in self.held:
            store.let_go(sha)
        self.held.clear()
        self.created.clear()

    async def discard(self, store: FileStore) -> None:
        """Undo what this request stored (on any failure: nothing left behind that nobody references)."""
        created = list(self.created)
        self.release(store)
        for sha in created:
            await store.drop(sha)


@asynccontextmanager
async def files_kept_on_success(upload: Upload, store: FileStore):
    """Run a command with an upload: on success its files stay (referenced), on any failure they go."""
    try:
        yield upload
    except BaseException:
        await upload.discard(store)
        raise
    upload.release(store)


MAX_FIELDS = 50  # form fields (not files) in one request
MAX_FIELD_BYTES = 40_000  # one form field's value; a description is far shorter
MAX_FORM_FIELD_BYTES = MAX_FIELDS * MAX_FIELD_BYTES  # what the fields of one request may add to its files


def _too_large(what: str, reason: str) -> Problem:
    # ``reason`` is a stable code for clients (the form shows its own words for it).
    return Problem(
        413,
        "payload-too-large",
        "Upload too large",
        detail=what,
        errors=[FieldError("files", what)],
        extra={"reason": reason},
    )


def _invalid(field_name: str, message: str, reason: str) -> Problem:
    return Problem(
        422,
        "validation-error",
        "The request has invalid fields",
        errors=[FieldError(field_name, message)],
        extra={"reason": reason},
    )


async def _read_field(part) -> str:
    """A form field's text, read with a cap (``part.text()`` would take any size into memory)."""
    raw = bytearray()
    while chunk := await part.read_chunk(8192):
        raw += chunk
        if len(raw) > MAX_FIELD_BYTES:
            raise Problem(
                413,
                "payload-too-large",
                "Form field too large",
                detail=f"{part.name}: at most {MAX_FIELD_BYTES} bytes",
                errors=[FieldError(part.name or "?", f"at most {MAX_FIELD_BYTES} bytes")],
                extra={"reason": "field-too-large"},
            )
    try:
        return part.decode(bytes(raw)).decode(part.get_charset(default="utf-8"))
    except (UnicodeDecodeError, LookupError) as exc:
        raise _invalid(part.name or "?", "not valid text in the declared charset", "field-encoding") from exc


async def read_multipart(
    request: web.Request, store: FileStore, limits: UploadLimits, into: Upload | None = None
) -> Upload:
    """Fields and files of a multipart/form-data request; on a refused file nothing stays stored.

    With ``into`` (a form that shows itself again after a refusal) the fields read before a refusal are kept
    there, and a body too large in all is refused only when a file takes it over the limit (after the fields).
    """
    if (
        into is None
        and request.content_length is not None
        and request.content_length > limits.max_total_bytes + MAX_FORM_FIELD_BYTES
    ):
        raise _too_large(f"at most {limits.max_total_bytes} bytes in all", "total-too-large")
    if request.content_type != "multipart/form-data":
        raise Problem(415, "unsupported-media-type", "Send multipart/form-data", extra={"reason": "not-multipart"})
    upload = into or Upload()
    try:
        await _read_parts(request, store, limits, upload)
    except (ValueError, HttpProcessingError) as exc:
        await upload.discard(store)
        raise Problem(
            400,
            "bad-request",
            "The multipart body cannot be read",
            detail=str(exc)[:200],
            extra={"reason": "malformed"},
        ) from exc
    except BaseException:
        await upload.discard(store)
        raise
    return upload


async def _read_parts(request: web.Request, store: FileStore, limits: UploadLimits, upload: Upload) -> None:
    """Each part into ``upload``: fields as text, files stored while they are counted and sniffed."""
    total = 0
    reader = await request.multipart()
    while (part := await reader.next()) is not None:
        if part.filename is None:
            if len(upload.fields) >= MAX_FIELDS:
                raise _invalid(part.name or "?", f"at most {MAX_FIELDS} form fields", "too-many-fields")
            upload.fields[part.name or ""] = await _read_field(part)
            continue
        if part.filename == "":
            await part.release()  # an empty file input of a form
            continue
        upload.files_sent += 1
        if part.name != "files":
            raise _invalid(part.name or "?", "files go in 'files'", "files-field")
        name = check_filename(part.filename)
        if name is None:
            raise _invalid("files", f"unacceptable file name {part.filename!r}", "file-name")
        if len(upload.attachments) >= limits.max_files:
            raise _invalid("files", f"at most {limits.max_files} files", "too-many-files")
        pending = store.begin()
        try:
            head = b""
            while chunk := await part.read_chunk(64 * 1024):
                if len(head) < SNIFF_BYTES:
                    head += chunk[: SNIFF_BYTES - len(head)]
                total += len(chunk)
                if pending.size + len(chunk) > limits.max_file_bytes:
                    raise _too_large(f"{name}: at most {limits.max_file_bytes} bytes per file", "file-too-large")
                if total > limits.max_total_bytes:
                    raise _too_large(f"at most {limits.max_total_bytes} bytes in all", "total-too-large")
                pending.write(chunk)
            content_type = sniff(head)
            if content_type is None:
                raise Problem(
                    415,
                    "unsupported-media-type",
                    "Unsupported file type",
                    detail=f"{name}: photos, PDF, plain text or video only (judged by content)",
                    errors=[FieldError("files", f"{name}: not an accepted kind of file")],
                    extra={"reason": "file-type"},
                )
            sha, created = pending.commit()
        except BaseException:
            pending.discard()
            raise
        upload.hold(
            sha, created, AttachmentRef(sha256=sha, filename=name, content_type=content_type, size=pending.size)
        )
