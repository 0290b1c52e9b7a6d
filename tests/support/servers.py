"""Apps a test starts on real sockets and that all stop at its end (``aiohttp``'s own test server)."""

from __future__ import annotations

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer


class StartedApps:
    def __init__(self) -> None:
        self.clients: list[TestClient] = []

    async def client(self, app: web.Application) -> TestClient:
        """A started client of ``app``; ``await client.close()`` stops it early."""
        test_client = TestClient(TestServer(app))
        await test_client.start_server()
        self.clients.append(test_client)
        return test_client

    async def close(self) -> None:
        for test_client in self.clients:
            await test_client.close()
