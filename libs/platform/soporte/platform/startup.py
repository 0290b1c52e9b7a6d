"""Starting while PostgreSQL or Kafka is not up yet (or goes away): wait with backoff, never exit for an outage.

``retry_until`` runs one step of a start (apply migrations, open a pool, start a
producer) until it works, pausing longer after each failure (up to ``longest``),
or until the service is told to stop (then ``None``). Only a dependency being
away is retried (``projection.UNAVAILABLE``); any other error is a fault of the
service and ends it, as it should.

``Startup`` is the same for a web app: its preparation starts with the app, and
the app starts serving once it is done, or as soon as it waits for a dependency
(then it goes on in the background). Until it is done every route but the
health routes answers 503 + Retry-After (nothing was done, the client may send
the same request again), and ``/readyz`` says what it is waiting for.
"""

from __future__ import annotations

import asyncio
import warnings
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar

from aiohttp import web

from .http import unavailable
from .lifecycle import sleep_unless
from .logging import get_logger
from .projection import UNAVAILABLE

log = get_logger(__name__)
T = TypeVar("T")
HEALTH_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})


async def retry_until(
    stop: asyncio.Event,
    what: str,
    step: Callable[[], Awaitable[T]],
    *,
    first: float = 0.5,
    longest: float = 10.0,
    on_failure: Callable[[], None] | None = None,
) -> T | None:
    """``await step()`` until it works (its result) or ``stop`` is set (None); an outage is logged and waited out."""
    pause, failures = first, 0
    while not stop.is_set():
        try:
            result = await step()
        except UNAVAILABLE as exc:
            failures += 1
            if on_failure is not None:
                on_failure()
            log.warning("waiting for a dependency", step=what, failures=failures, error=f"{type(exc).__name__}: {exc}")
            await sleep_unless(stop, pause)
            pause = min(pause * 2, longest)
            continue
        if failures:
            log.info("dependency reached", step=what, after_failures=failures)
        return result
    return None


class Startup:
    """A web app's preparation, run in the background; until it is done only the health routes answer."""

    def __init__(self) -> None:
        self.done = asyncio.Event()
        self.waiting = asyncio.Event()  # a step failed once: the rest goes on in the background
        self.waiting_for = "starting"

    async def begin(self, prepare: Callable[[], Awaitable[None]]) -> asyncio.Task:
        """Start ``prepare``; return its task once it is done or waits for a dependency. A fault that is not an
        outage is raised here (the service does not start)."""
        task = asyncio.create_task(prepare())
        waiting = asyncio.create_task(self.waiting.wait())
        await asyncio.wait({task, waiting}, return_when=asyncio.FIRST_COMPLETED)
        waiting.cancel()
        if task.done():
            task.result()
        return task

    async def attempt(self, stop: asyncio.Event, what: str, step: Callable[[], Awaitable[T]]) -> T | None:
        """One step of the preparation, retried while its dependency is away (None: stopped meanwhile)."""
        self.waiting_for = what
        return await retry_until(stop, what, step, on_failure=self.waiting.set)

    @staticmethod
    def wire(app: web.Application, values: Mapping[web.AppKey, Any]) -> None:
        """Put what the preparation made into the app. aiohttp deprecates changing a started app's state because a
        handler could see it half-made; here the gate keeps handlers out until ``finished``."""
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            for key, value in values.items():
                app[key] = value

    def finished(self) -> None:
        self.done.set()

    @property
    def middleware(self):
        @web.middleware
        async def until_started(request: web.Request, handler) -> web.StreamResponse:
            if not self.done.is_set() and request.path not in HEALTH_PATHS:
                raise unavailable(f"starting: waiting for {self.waiting_for}")
            return await handler(request)

        return until_started

    async def check(self) -> None:
        """A readiness check: fails (saying on what) until the preparation is done."""
        if not self.done.is_set():
            raise RuntimeError(f"starting: waiting for {self.waiting_for}")
