"""What every server checks before a handler reads a byte of the body: its size, its pace, and where a post came from.

- **Sizes.** A route takes at most ``SMALL_BODY`` unless its handler is marked
  with ``body_limit(size)``, a size the app names (an authenticated caller's
  files, a command's text). A declared length over the limit is refused (413)
  before anything is read; a body without one is cut at the limit while it
  streams. Handlers of large routes authenticate before they read, so nobody
  unknown gets a large body in.
- **Pace.** A body that stops arriving for ``idle_seconds`` is answered 408 and
  the connection closed: a client dribbling bytes holds a request for a
  bounded time only. Once the body is in, the handler takes as long as it needs.
- **Cross-site posts.** ``refuse_cross_site`` answers 403 to a form a browser
  sent from another site (``Sec-Fetch-Site``, else ``Origin``): a sign-in or an
  action cannot be planted from elsewhere. Clients that are not browsers send
  neither header and are not affected.
- **Page headers.** ``page_security_headers`` for HTML: no framing, no sniffing,
  no referrer.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web

from .http import Problem, problem_middleware

SMALL_BODY = 16 * 1024  # a sign-in, a guest's email + order number, a request for links
_SIZE = "_soporte_body_size"
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def body_limit(size: str) -> Callable[[Any], Any]:
    """Mark a handler as taking bodies of the app's ``size`` (e.g. "upload"): it authenticates before it reads."""

    def mark(handler: Any) -> Any:
        setattr(handler, _SIZE, size)
        return handler

    return mark


def too_large(limit: int) -> Problem:
    return Problem(
        413, "payload-too-large", "Request body too large", detail=f"at most {limit} bytes", extra={"limit": limit}
    )


def body_guard(sizes: Mapping[str, int] | None = None, *, default: int = SMALL_BODY, idle_seconds: float = 30.0):
    """The middleware applying each route's size limit (``sizes`` by the names handlers are marked with; unmarked
    or unknown: ``default``) and the idle deadline to request bodies."""
    sizes = dict(sizes or {})

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        if not request.body_exists:
            return await handler(request)
        limit = sizes.get(getattr(request.match_info.handler, _SIZE, ""), default)
        if request.content_length is not None and request.content_length > limit:
            raise too_large(limit)
        if request.client_max_size != limit:
            request = request.clone(client_max_size=limit)
        return await _while_the_body_arrives(request, handler, idle_seconds)

    return middleware


async def _while_the_body_arrives(request: web.Request, handler: Handler, idle_seconds: float) -> web.StreamResponse:
    """Run ``handler``, cut off when the body stops arriving for ``idle_seconds`` before its end."""
    loop = asyncio.get_running_loop()
    body = request.content
    seen, check = -1, None
    try:
        async with asyncio.timeout(idle_seconds) as deadline:

            def watch() -> None:
                nonlocal seen, check
                if body.is_eof() or body.exception() is not None:
                    deadline.reschedule(None)  # all in (or gone): the handler's own time is not limited here
                    return
                if body.total_bytes != seen:
                    seen = body.total_bytes
                    deadline.reschedule(loop.time() + idle_seconds)
                check = loop.call_later(min(1.0, idle_seconds / 4), watch)

            watch()
            return await handler(request)
    except TimeoutError:
        if not deadline.expired():
            raise  # a dependency's timeout, not ours
        raise Problem(
            408, "request-timeout", "The request body stopped arriving", headers={"Connection": "close"}
        ) from None
    finally:
        if check is not None:
            check.cancel()


def refuse_cross_site(request: web.Request) -> None:
    """403 for a post a browser sent from another site (a login or an action planted by someone else's page)."""
    fetch_site = request.headers.get("Sec-Fetch-Site")
    if fetch_site is not None:
        cross = fetch_site not in ("same-origin", "none")
    else:
        origin = request.headers.get("Origin")
        cross = origin is not None and (origin == "null" or urlsplit(origin).netloc.lower() != request.host.lower())
    if cross:
        raise Problem(403, "cross-site-request", "Forms are only taken from this site's own pages")


def same_site_only(handler: Handler) -> Handler:
    """``handler`` behind ``refuse_cross_site`` (its marks, such as ``body_limit``, kept)."""

    async def guarded(request: web.Request) -> web.StreamResponse:
        refuse_cross_site(request)
        return await handler(request)

    guarded.__name__, guarded.__doc__ = handler.__name__, handler.__doc__
    guarded.__dict__.update(handler.__dict__)
    return guarded


def page_security_headers(content_security_policy: str) -> dict[str, str]:
    """Headers for an HTML page: its CSP (never framed), no MIME sniffing, no referrer, no caching."""
    return {
        "Content-Security-Policy": f"{content_security_policy}; frame-ancestors 'none'; base-uri 'none'",
        "X-Frame-Options": "DENY",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "Cache-Control": "no-store",
    }


def health_app() -> web.Application:
    """The HTTP side of a service that only answers ``/healthz``, ``/readyz`` and ``/metrics``: problems as
    problem+json, any body refused by size before it is read."""
    return web.Application(middlewares=[problem_middleware(), body_guard()], client_max_size=SMALL_BODY)
