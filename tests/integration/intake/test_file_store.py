"""The content-addressed store: a failed request removes its files, never one another request or a ticket uses."""

from __future__ import annotations

from datetime import UTC, datetime

import asyncpg
import pytest

from soporte.events import Actor, ActorKind, AttachmentRef, Category, Channel, new_ticket_id
from soporte.events import types as t
from soporte.intake.adapters.files import LocalFileStore
from soporte.intake.adapters.store import EventStore
from soporte.intake.bootstrap import migrate
from soporte.intake.domain import tickets as domain
from soporte.intake.entrypoints.uploads import Upload
from soporte.intake.service import TicketService

PHOTO = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256)) * 8
AGENT = Actor(kind=ActorKind.AGENT, id="agent-1")


@pytest.fixture
async def events(pg_dsn):
    await migrate(pg_dsn)
    pool = await asyncpg.create_pool(pg_dsn, min_size=1, max_size=2)
    yield EventStore(pool)
    await pool.close()


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


async def commit_ticket_with(events: EventStore, upload: Upload) -> None:
    await TicketService(events, lambda: datetime.now(UTC)).execute(
        new_ticket_id(),
        AGENT,
        lambda s: domain.decide_submit(
            s,
            category=Category.DAMAGED_ITEM,
            description="Rota",
            customer=t.CustomerRef(name="Ana", email="ana@example.com"),
            order_number=None,
            attachments=upload.attachments,
            channel=Channel.PHONE,
            actor=AGENT,
        ),
    )


async def test_a_failed_request_alone_leaves_nothing(events, tmp_path):
    store = LocalFileStore(tmp_path, events.references_file)
    upload = receive(store, PHOTO)
    await upload.discard(store)
    assert store.stored_files() == [] and not any((tmp_path / "tmp").iterdir()) and not store.holds


async def test_a_file_another_request_in_flight_holds_is_kept(events, tmp_path):
    store = LocalFileStore(tmp_path, events.references_file)
    failing, succeeding = receive(store, PHOTO), receive(store, PHOTO)  # same photo, double-clicked
    assert failing.created and not succeeding.created
    await failing.discard(store)
    assert len(store.stored_files()) == 1  # the other request still holds it
    await commit_ticket_with(events, succeeding)
    succeeding.release(store)
    assert len(store.stored_files()) == 1 and not store.holds


async def test_a_file_a_committed_ticket_references_is_kept(events, tmp_path):
    store = LocalFileStore(tmp_path, events.references_file)
    failing, succeeding = receive(store, PHOTO), receive(store, PHOTO)
    await commit_ticket_with(events, succeeding)
    succeeding.release(store)  # done and committed before the other one fails
    await failing.discard(store)
    (kept,) = store.stored_files()
    assert kept.read_bytes() == PHOTO and await events.references_file(kept.name)
