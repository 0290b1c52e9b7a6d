"""What a tracked reader is given: a projection (what each record does), where to read, and a transaction.

A projection names itself (``name``: logs, metrics, dead letters) and says what
one record does inside the reader's transaction (``handle``); the loop, the
positions, retries and dead letters are the reader's (``reader.TrackedReader``).
A minimal projection::

    class OrdersProjection:
        name = "intake-orders"

        async def handle(self, conn, event, record) -> None:
            if isinstance(event, t.OrderPlaced):
                await PostgresOrders(conn).upsert(event.data)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from typing import Any, Protocol

import asyncpg
from aiokafka.errors import KafkaError

from soporte.events import Event

# The database or the network being away: waited out, never the record's fault.
UNAVAILABLE: tuple[type[BaseException], ...] = (
    OSError,  # DatabaseUnavailable among them: a session the server would not open
    TimeoutError,
    KafkaError,
    asyncpg.InterfaceError,
    asyncpg.exceptions.InternalClientError,  # a connection cut in the middle of an operation
    asyncpg.PostgresConnectionError,
    asyncpg.CannotConnectNowError,
    asyncpg.OperatorInterventionError,
    asyncpg.InsufficientResourcesError,
    asyncpg.TooManyConnectionsError,
)

Transaction = Callable[[], AbstractAsyncContextManager[Any]]  # opens a connection in a transaction


class DatabaseUnavailable(ConnectionError):
    """The server refused to open a session or a transaction (database closed to connections, dropped,
    shutting down, a role without access...): whatever the reason, it is never the record's fault."""


class ReseekRequired(Exception):
    """Raised by a projection when its stored positions changed under it (a rebuild swapped its tables)."""


class Projection(Protocol):
    """What a reader does with the records of its topics.

    Optional hooks, looked up by name: ``handle_batch(conn, items)`` applies a
    fetch's records (``[(event, record), ...]`` of one partition, in order) in one
    transaction; ``on_seek(conn)`` runs when positions are about to be read;
    ``on_idle()`` runs after a fetch that returned nothing; ``after_commit(count)``
    runs after records were committed. Any of them may raise ``ReseekRequired``.
    """

    name: str  # names the reader in logs, metrics and dead letters

    async def handle(self, conn: Any, event: Event, record: Any) -> None:
        """The effect of one record, inside the reader's transaction (which also stores the position)."""
        ...


def transaction_on(pool: asyncpg.Pool) -> Transaction:
    """A connection from ``pool`` inside a transaction, for each call."""

    class _InTransaction:
        async def __aenter__(self) -> asyncpg.Connection:
            try:
                self.conn = await pool.acquire()
            except asyncpg.PostgresError as exc:
                raise DatabaseUnavailable(f"{exc.__class__.__name__}: {exc}") from exc
            self.tx = self.conn.transaction()
            try:
                await self.tx.start()
            except BaseException as exc:
                await pool.release(self.conn)
                if isinstance(exc, asyncpg.PostgresError):
                    raise DatabaseUnavailable(f"{exc.__class__.__name__}: {exc}") from exc
                raise
            return self.conn

        async def __aexit__(self, kind, exc, tb) -> None:
            try:
                if kind is None:
                    await self.tx.commit()
                else:
                    await self.tx.rollback()
            finally:
                await pool.release(self.conn)

    return _InTransaction


@dataclass
class ReaderSettings:
    """Where a reader reads, and how hard it tries before it gives a record up."""

    bootstrap: str
    topics: Sequence[str]
    dead_letter_topic: str
    group_id: str | None = None  # None: no consumer group (a replay assigns its partitions itself)
    max_records: int = 500
    record_attempts: int = 3
    retry_base_seconds: float = 0.1
    outage_pause_seconds: float = 1.0
    consumer_options: dict[str, Any] = field(default_factory=dict)
