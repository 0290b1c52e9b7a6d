"""Outages without touching the shared servers: a loopback TCP relay a test can cut and restore.

A service pointed at the relay instead of PostgreSQL sees, when the relay is
cut, what it sees when the server dies: every connection it had is closed and
new ones are refused. ``restore`` lets it through again (the same port), as a
restarted server would. Only for PostgreSQL: Kafka clients learn the broker's
own address from its metadata and would go around a relay (tests make Kafka
unreachable by pointing at a port nothing listens on).
"""

from __future__ import annotations

import asyncio
import contextlib
from urllib.parse import urlsplit, urlunsplit


class TcpRelay:
    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.port = 0
        self.server: asyncio.Server | None = None
        self.writers: set[asyncio.StreamWriter] = set()

    async def start(self) -> TcpRelay:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", self.port, reuse_address=True)
        self.port = self.server.sockets[0].getsockname()[1]
        return self

    async def cut(self) -> None:
        """The server is gone: no new connection is taken, the open ones are closed."""
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()
            self.server = None
        for writer in list(self.writers):
            writer.transport.abort()
        self.writers.clear()

    async def restore(self) -> None:
        """The server is back, on the same address."""
        await self.start()

    async def close(self) -> None:
        await self.cut()

    def dsn(self, dsn: str) -> str:
        """``dsn`` with its host and port replaced by the relay's."""
        parts = urlsplit(dsn)
        credentials = parts.netloc.rsplit("@", 1)[0] + "@" if "@" in parts.netloc else ""
        return urlunsplit(parts._replace(netloc=f"{credentials}127.0.0.1:{self.port}"))

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.transport.abort()
            return
        self.writers |= {writer, upstream_writer}
        try:
            await asyncio.gather(_pipe(reader, upstream_writer), _pipe(upstream_reader, writer))
        finally:
            for end in (writer, upstream_writer):
                self.writers.discard(end)
                end.transport.abort()


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(OSError, asyncio.IncompleteReadError):
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    writer.transport.abort()


async def relay_to(dsn: str) -> TcpRelay:
    """A started relay to the PostgreSQL server of ``dsn``."""
    parts = urlsplit(dsn)
    return await TcpRelay(parts.hostname or "127.0.0.1", parts.port or 5432).start()
