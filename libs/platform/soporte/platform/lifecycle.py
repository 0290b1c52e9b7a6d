"""Running a service until SIGTERM/SIGINT, then stopping it cleanly."""

from __future__ import annotations

import asyncio
import signal
import sys
from collections.abc import Awaitable, Callable

from aiohttp import web

from .settings import CommonSettings, InsecureSettings


def refuse_unsafe_start(settings: CommonSettings, host: str | None) -> None:
    """Stop here, with one line on stderr and exit status 78 (EX_CONFIG), when ``settings`` would serve on ``host``
    with a secret that is unset, a development default or short (``CommonSettings.check_secrets``)."""
    try:
        settings.check_secrets(host)
    except InsecureSettings as refused:
        print(f"soporte: {refused}", file=sys.stderr, flush=True)
        raise SystemExit(78) from None


def stop_event_on_signals(loop: asyncio.AbstractEventLoop | None = None) -> asyncio.Event:
    """An event set by the first SIGTERM or SIGINT (the caller then shuts down in order)."""
    loop = loop or asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    return stop


async def serve_app(app: web.Application, host: str, port: int, stop: asyncio.Event) -> None:
    """Serve ``app`` until ``stop`` is set; cleanup contexts run on the way out."""
    runner = web.AppRunner(app, handle_signals=False, access_log=None)
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port)
        await site.start()
        await stop.wait()
    finally:
        await runner.cleanup()


def run(main: Callable[[asyncio.Event], Awaitable[None]]) -> None:
    """``asyncio.run`` a service's main coroutine, handing it the stop event."""

    async def _main() -> None:
        await main(stop_event_on_signals())

    asyncio.run(_main())


async def sleep_unless(stop: asyncio.Event, seconds: float) -> None:
    """Wait ``seconds``, or less when ``stop`` is set meanwhile (a pause that does not hold up a shutdown)."""
    try:
        await asyncio.wait_for(stop.wait(), timeout=seconds)
    except TimeoutError:
        pass
