"""The content-addressed store: a failed request removes its files, never one another request or a ticket uses."""

from __future__ import annotations

import pytest

from soporte.events import AttachmentRef
from soporte.intake.adapters.files import LocalFileStore
from soporte.intake.entrypoints.uploads import Upload
from soporte.intake.service_layer import views
from soporte.intake.service_layer.unit_of_work import PostgresUnitOfWork
from tests.support.intake import phone_ticket, postgres_bus

PHOTO = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256)) * 8


@pytest.fixture
def referenced(intake_pool):
    """Whether a committed event refers to a file, as the app asks it."""
    return lambda sha256: views.file_is_referenced(PostgresUnitOfWork(intake_pool), sha256)


def receive(store: LocalFileStore, content: bytes) -> Upload:
    """What read_multipart does with one file part."""
    upload, pending = Upload(), store.begin()
    pending.write(content)
    sha, created = pending.commit()
    upload.held.append(sha)
    if created:
        upload.created.append(sha)
    upload.attachments.append(
        AttachmentRef(sha256=sha, filename="foto.jpg", content_type="image/jpeg", size=len(content))
    )
    return upload


async def commit_ticket_with(pool, upload: Upload) -> None:
    await postgres_bus(pool).handle(phone_ticket(attachments=tuple(upload.attachments)))


async def test_a_failed_request_alone_leaves_nothing(referenced, tmp_path):
    store = LocalFileStore(tmp_path, is_referenced=referenced)
    upload = receive(store, PHOTO)
    await upload.discard(store)
    assert store.stored_files() == [] and not any((tmp_path / "tmp").iterdir()) and not store.holds


async def test_a_file_another_request_in_flight_holds_is_kept(referenced, intake_pool, tmp_path):
    store = LocalFileStore(tmp_path, is_referenced=referenced)
    failing, succeeding = receive(store, PHOTO), receive(store, PHOTO)  # same photo, double-clicked
    assert failing.created and not succeeding.created
    await failing.discard(store)
    assert len(store.stored_files()) == 1  # the other request still holds it
    await commit_ticket_with(intake_pool, succeeding)
    succeeding.release(store)
    assert len(store.stored_files()) == 1 and not store.holds


async def test_a_file_a_committed_ticket_references_is_kept(referenced, intake_pool, tmp_path):
    store = LocalFileStore(tmp_path, is_referenced=referenced)
    failing, succeeding = receive(store, PHOTO), receive(store, PHOTO)
    await commit_ticket_with(intake_pool, succeeding)
    succeeding.release(store)  # done and committed before the other one fails
    await failing.discard(store)
    (kept,) = store.stored_files()
    assert kept.read_bytes() == PHOTO and await referenced(kept.name)
