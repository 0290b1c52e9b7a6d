"""Intake over HTTP: who a token belongs to (``whoami``), the commands pages forward, and what the console reads
from intake (canned replies, callers and orders, staff accounts, photos).

``whoami`` answers about customers and ticket links are kept for a short while
(``ttl``); an agent's never: staff are asked about on every request, so a
disabled agent, an ended session or a revoked token is refused on the very next
one (intake answers from one indexed lookup).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import quote

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
    """``GET {intake}/api/v1/whoami`` with the caller's header; answers are kept for ``ttl`` seconds, except that
    an agent is never taken from the cache."""

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
        if principal is not None and principal.is_agent:
            return principal  # staff: asked again next time (a disable must take effect at once)
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
        return await self.call(
            "POST", path, token, json_body=json_body, form=form, idempotency_key=idempotency_key, client=client
        )

    async def get(self, path: str, token: str, params: dict[str, str] | None = None) -> IntakeAnswer:
        """Intake's JSON answer to a read (canned replies, callers, an order, accounts)."""
        return await self.call("GET", path, token, params=params)

    async def call(
        self,
        method: str,
        path: str,
        token: str | None,
        *,
        json_body: dict[str, Any] | None = None,
        form: aiohttp.FormData | None = None,
        params: dict[str, str] | None = None,
        idempotency_key: str | None = None,
        client: str | None = None,
    ) -> IntakeAnswer:
        """Any request to intake with the caller's token; its status and JSON body ({} when it has none)."""
        headers = {"Authorization": f"Bearer {token}"} if token else {}  # no token: a guest session, a link
        if idempotency_key:
            headers["Idempotency-Key"] = idempotency_key
        if client:
            headers[FORWARDED_FOR] = client
        try:
            async with self.session.request(
                method,
                f"{self.url}{path}",
                json=json_body if form is None and method != "GET" else None,
                data=form,
                params=params,
                headers=headers,
                timeout=aiohttp.ClientTimeout(total=30),
            ) as response:
                try:
                    body = await response.json(content_type=None)
                except ValueError:
                    body = {}
                return IntakeAnswer(response.status, body if isinstance(body, dict) else {})
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise intake_unavailable() from exc  # nothing was sent

    async def items(self, path: str, token: str, params: dict[str, str] | None = None) -> list[Any]:
        """The ``items`` intake lists at ``path`` (empty when it says nothing: a page shows what it can)."""
        try:
            answer = await self.get(path, token, params)
        except Problem:
            return []
        items = answer.body.get("items") if answer.status == 200 else None
        return items if isinstance(items, list) else []

    async def carriers(self, token: str) -> list[str]:
        """The carriers intake offers for return labels (empty when it does not say: the form takes any)."""
        return [str(item) for item in await self.items("/api/v1/carriers", token)]

    async def order(self, order_number: str, token: str) -> dict[str, Any] | None:
        """An order of the shop as intake knows it (date, items), or None."""
        try:
            answer = await self.get(f"/api/v1/orders/{quote(order_number, safe='')}", token)
        except Problem:
            return None
        return answer.body if answer.status == 200 else None

    async def attachment(
        self, ticket_id: str, sha256: str, token: str, *, view: str | None = None, inline: bool = False
    ) -> aiohttp.ClientResponse:
        """Intake's response streaming a stored file, or a photo's ``view`` (thumb, full); ``inline``: a PDF to
        open in the page (the caller releases the response)."""
        path = f"/api/v1/tickets/{ticket_id}/attachments/{sha256}" + (f"/views/{view}" if view else "")
        try:
            return await self.session.get(
                f"{self.url}{path}",
                params={"disposition": "inline"} if inline else None,
                headers={"Authorization": f"Bearer {token}"},
                timeout=aiohttp.ClientTimeout(total=60),
            )
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise unavailable("intake did not answer") from exc
