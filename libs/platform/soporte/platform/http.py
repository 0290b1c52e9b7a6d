"""The HTTP edge every service shares: problem+json errors, health and metrics endpoints.

Domain errors are mapped to problems once, in the middleware; handlers stay thin.
"""

from __future__ import annotations

import ipaddress
import json
import uuid
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import structlog
from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError
from multidict import MultiDictProxy
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from pydantic import ValidationError

from .projection import UNAVAILABLE

PROBLEM_CONTENT_TYPE = "application/problem+json"
PROBLEM_BASE = "https://soporte.dev/problems/"
# The correlation id of the request being handled (from X-Correlation-Id, or a new one).
CORRELATION_ID = web.RequestKey("correlation_id", str)

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class FieldError:
    field: str
    message: str


@dataclass
class Problem(Exception):
    """An error answered as RFC 9457 problem+json. ``kind`` becomes the stable ``type`` URI."""

    status: int
    kind: str
    title: str
    detail: str | None = None
    errors: list[FieldError] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)  # sent with the answer (e.g. Retry-After)

    def body(self, instance: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {"type": PROBLEM_BASE + self.kind, "title": self.title, "status": self.status}
        if self.detail:
            body["detail"] = self.detail
        if instance:
            body["instance"] = instance
        if self.errors:
            body["errors"] = [{"field": e.field, "message": e.message} for e in self.errors]
        body.update(self.extra)
        return body


def problem_response(problem: Problem, instance: str | None = None) -> web.Response:
    return web.Response(
        status=problem.status,
        text=json.dumps(problem.body(instance)),
        content_type=PROBLEM_CONTENT_TYPE,
        headers=problem.headers,
    )


# --- who is at the other end ---------------------------------------------------------------------

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
FORWARDED_FOR = "X-Forwarded-For"


def trusted_networks(text: str) -> tuple[Network, ...]:
    """``SOPORTE_TRUSTED_PROXIES``: addresses or networks, comma-separated (``127.0.0.1,10.0.0.0/8``)."""
    return tuple(ipaddress.ip_network(part.strip(), strict=False) for part in text.split(",") if part.strip())


def _trusted(address: str, trusted: Sequence[Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in trusted)


def client_address(request: web.Request, trusted: Sequence[Network]) -> str:
    """The address of the person asking: the peer's, unless the peer is a trusted proxy; then the last address in
    ``X-Forwarded-For`` that is not a trusted proxy (what is left of it was written by the client: never trusted)."""
    peer = request.remote or ""
    if not _trusted(peer, trusted):
        return peer
    hops = [hop.strip() for header in request.headers.getall(FORWARDED_FOR, []) for hop in header.split(",")]
    for hop in reversed([hop for hop in hops if hop]):
        if not _trusted(hop, trusted):
            return hop[:64]
    return peer


# Path parameters as the routers serve them: an id that cannot be one (a NUL, a slash...) is a 404 before any
# handler runs, so nothing malformed reaches a query. Documents show the plain path (``resource.canonical``).
_ID_PATTERNS = {"{ticket_id}": "{ticket_id:[A-Za-z0-9_-]{1,64}}", "{sha256}": "{sha256:[0-9a-f]{64}}"}


def routed(path: str) -> str:
    """``path`` with its ids constrained to what an id can be (``/tickets/{ticket_id}`` → ``{ticket_id:…}``)."""
    for plain, pattern in _ID_PATTERNS.items():
        path = path.replace(plain, pattern)
    return path


async def posted_form(request: web.Request) -> MultiDictProxy:
    """The fields of a posted form; a body that is no form (multipart without its boundary, a broken part) is a
    400 problem, never a 500."""
    try:
        return await request.post()
    except (ValueError, AssertionError, HttpProcessingError) as exc:
        raise Problem(400, "bad-request", "The form cannot be read", detail=str(exc)[:200]) from exc


def validation_problem(exc: ValidationError, title: str = "The request has invalid fields") -> Problem:
    """A 422 naming every field pydantic refused (``a.b.0.c`` dotted paths)."""
    errors = [
        FieldError(".".join(str(p) for p in err["loc"]) or "body", err["msg"]) for err in exc.errors(include_url=False)
    ]
    return Problem(422, "validation-error", title, errors=errors)


_STATUS_KINDS = {
    400: ("bad-request", "Bad request"),
    401: ("unauthorized", "Authentication required"),
    403: ("forbidden", "Not allowed"),
    404: ("not-found", "Not found"),
    405: ("method-not-allowed", "Method not allowed"),
    406: ("not-acceptable", "Not acceptable"),
    409: ("conflict", "Conflict"),
    413: ("payload-too-large", "Request body too large"),
    415: ("unsupported-media-type", "Unsupported media type"),
    429: ("too-many-requests", "Too many requests"),
}

ExceptionMapper = Callable[[Exception], Problem | None]
RETRY_AFTER_SECONDS = 5  # what a client is told to wait while a dependency (PostgreSQL, Kafka, intake) is away


def unavailable(detail: str | None = None) -> Problem:
    """503 + Retry-After: the desk cannot do it now, nothing was done, the same request can be sent again."""
    return Problem(
        503,
        "service-unavailable",
        "The desk cannot do this right now; try again shortly",
        detail=detail,
        extra={"retry_after_seconds": RETRY_AFTER_SECONDS},
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


def problem_middleware(*mappers: ExceptionMapper):
    """Answer every error as problem+json: ``Problem``, mapped domain errors, aiohttp's own, and 500s."""

    @web.middleware
    async def middleware(request: web.Request, handler):
        correlation_id = request.headers.get("X-Correlation-Id") or str(uuid.uuid4())
        request[CORRELATION_ID] = correlation_id
        structlog.contextvars.bind_contextvars(correlation_id=correlation_id)
        try:
            response = await handler(request)
        except Problem as problem:
            response = problem_response(problem, request.path)
            # A problem object may be raised again (a shared one): let it keep no request's frames alive.
            problem.__traceback__ = problem.__context__ = problem.__cause__ = None
        except ValidationError as exc:
            response = problem_response(validation_problem(exc), request.path)
        except web.HTTPException as exc:
            if exc.status < 400:
                raise
            kind, title = _STATUS_KINDS.get(exc.status, ("http-error", exc.reason))
            response = problem_response(Problem(exc.status, kind, title, detail=exc.text or None), request.path)
            for name in ("Allow", "Retry-After", "WWW-Authenticate"):
                if name in exc.headers:
                    response.headers[name] = exc.headers[name]
        except Exception as exc:
            mapped = next((p for p in (m(exc) for m in mappers) if p is not None), None)
            if mapped is None and isinstance(exc, UNAVAILABLE):
                log.warning("a dependency is away", path=request.path, error=f"{exc.__class__.__name__}: {exc}")
                mapped = unavailable()
            if mapped is None:
                log.exception("unhandled error", path=request.path)
                mapped = Problem(500, "internal-error", "Internal server error")
            response = problem_response(mapped, request.path)
        finally:
            structlog.contextvars.unbind_contextvars("correlation_id")
        response.headers.setdefault("X-Correlation-Id", correlation_id)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        return response

    return middleware


ReadinessCheck = Callable[[], Awaitable[None]]


def add_health_routes(
    app: web.Application,
    registry: CollectorRegistry,
    checks: Iterable[tuple[str, ReadinessCheck]] = (),
) -> None:
    """``/healthz`` (the process answers), ``/readyz`` (each dependency answers), ``/metrics``."""
    checks = list(checks)

    async def healthz(_: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def readyz(_: web.Request) -> web.Response:
        results, ready = {}, True
        for name, check in checks:
            try:
                await check()
                results[name] = "ok"
            except Exception as exc:  # noqa: BLE001 - a failing check is reported, not raised
                results[name] = f"error: {exc.__class__.__name__}: {exc}"[:300]
                ready = False
        return web.json_response(
            {"status": "ok" if ready else "unavailable", "checks": results}, status=200 if ready else 503
        )

    async def metrics(_: web.Request) -> web.Response:
        return web.Response(body=generate_latest(registry), headers={"Content-Type": CONTENT_TYPE_LATEST})

    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics)
