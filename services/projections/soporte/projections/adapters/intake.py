"""Intake over HTTP: who a token belongs to (``whoami``, cached briefly) and the commands pages forward."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import aiohttp

from soporte.platform.http import FORWARDED_FOR, Problem, unavailable
from soporte.projections.domain.access import Principal


def intake_unavailable() -> Problem:
    """503 + Retry-After, made afresh for each request (an exception raised again keeps every earlier traceback)."""
    return unavailable("intake did not answer")


class Principals(Protocol):
    """Turns an ``Authorization`` header into the caller, or None when the token is not valid."""

    async def resolve(self, authorization: str | None) -> Principal | None: ...


@dataclass
class _Cached:
    principal: Principal | None
    until: float


class IntakePrincipals:
    """``GET {intake}/api/v1/whoami`` with the caller's header; answers are kept for ``ttl`` seconds."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        intake_url: str,
        ttl: float = 30.0,
        monotonic: Callable[[], float] = time.monotonic,
        max_entries: int = 10_000,
    ) -> None:
        self.session, self.url, self.ttl, self.monotonic, self.max_entries = (
            session,
            intake_url.rstrip("/"),
            ttl,
            monotonic,
            max_entries,
        )
        self._cache: dict[str, _Cached] = {}

    async def resolve(self, authorization: str | None) -> Principal | None:
        if not authorization or not authorization.lower().startswith("bearer ") or not authorization[7:].strip():
            return None
        key = hashlib.sha256(authorization.encode()).hexdigest()  # tokens are not kept in memory as such
        now = self.monotonic()
        hit = self._cache.get(key)
        if hit and hit.until > now:
            return hit.principal
        principal = await self._ask(authorization)
        if len(self._cache) >= self.max_entries:
            self._cache = {k: v for k, v in self._cache.items() if v.until > now}
            if len(self._cache) >= self.max_entries:
                self._cache.clear()
        self._cache[key] = _Cached(principal, now + self.ttl)
        return principal

    async def _ask(self, authorization: str) -> Principal | None:
        try:
            async with self.session.get(
                f"{self.url}/api/v1/whoami",
                headers={"Authorization": authorization},
                timeout=aiohttp.ClientTimeout(total=5),
            ) as response:
                if response.status == 401:
                    return None
                if response.status != 200:
                    raise intake_unavailable()
                return Principal.from_whoami(await response.json())
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise intake_unavailable() from exc


@dataclass(frozen=True)
class IntakeAnswer:
    status: int
    body: dict[str, Any]


class IntakeCommands:
    """Forwards page actions to intake's command API with the caller's own token (intake decides)."""

    def __init__(self, session: aiohttp.ClientSession, intake_url: str) -> None:
        self.session, self.url = session, intake_url.rstrip("/")

    async def post(
        self,
        path: str,
        token: str | None,
        *,
        json_body: dict[str, Any] | None = None,
        form: aiohttp.FormData | None = None,
        idempotency_key: str | None = None,
        client: str | None = None,
    ) -> IntakeAnswer:
        """Intake's answer to a page's action; ``client`` is the person's address (intake's limits count it)."""
        headers = {"Authorization": f"Bearer {token}"} if token else {}  # no token: a guest session, a link
        if idempotency_key:
            headers["Idempotency-Key"] = idempotency_key
        if client:
            headers[FORWARDED_FOR] = client
        try:
            async with self.session.post(
                f"{self.url}{path}",
                json=json_body if form is None else None,
                data=form,
                headers=headers,
                timeout=aiohttp.ClientTimeout(total=30),
            ) as response:
                try:
                    body = await response.json(content_type=None)
                except ValueError:
                    body = {}
                return IntakeAnswer(response.status, body if isinstance(body, dict) else {})
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise unavailable("intake did not answer; nothing was sent") from exc

    async def carriers(self, token: str) -> list[str]:
        """The carriers intake offers for return labels (empty when it does not say: the form takes any)."""
        try:
            async with self.session.get(
                f"{self.url}/api/v1/carriers",
                headers={"Authorization": f"Bearer {token}"},
                timeout=aiohttp.ClientTimeout(total=5),
            ) as response:
                body = await response.json(content_type=None) if response.status == 200 else {}
        except (aiohttp.ClientError, TimeoutError, ValueError):
            return []
        items = body.get("items") if isinstance(body, dict) else None
        return [str(item) for item in items] if isinstance(items, list) else []

    async def attachment(self, ticket_id: str, sha256: str, token: str) -> aiohttp.ClientResponse:
        """Intake's response streaming a stored file (the caller releases it)."""
        try:
            return await self.session.get(
                f"{self.url}/api/v1/tickets/{ticket_id}/attachments/{sha256}",
                headers={"Authorization": f"Bearer {token}"},
                timeout=aiohttp.ClientTimeout(total=60),
            )
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise unavailable("intake did not answer") from exc
