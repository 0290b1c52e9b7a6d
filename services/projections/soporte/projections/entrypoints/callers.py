"""Who is calling the query API: the caller intake's ``whoami`` names, or a problem answered at the edge."""

from __future__ import annotations

from aiohttp import web

from soporte.platform.http import FieldError, Problem
from soporte.projections import keys
from soporte.projections.domain.access import Principal

# Problems are made afresh for every request: an exception raised again keeps every earlier traceback.


def unauthorized() -> Problem:
    return Problem(401, "unauthorized", "A valid token is needed")


def agents_only() -> Problem:
    return Problem(403, "agents-only", "Only agents can read this")


def leads_only() -> Problem:
    return Problem(403, "leads-only", "Only leads can read reports")


def validation_error(*errors: FieldError) -> Problem:
    return Problem(422, "validation-error", "The request has invalid fields", errors=list(errors))


async def authenticated(request: web.Request) -> Principal:
    """The caller, or 401."""
    principal = await request.app[keys.PRINCIPALS].resolve(request.headers.get("Authorization"))
    if principal is None:
        raise unauthorized()
    return principal


async def agent(request: web.Request) -> Principal:
    """The calling agent, or 401 / 403."""
    principal = await authenticated(request)
    if not principal.is_agent:
        raise agents_only()
    return principal


async def lead(request: web.Request) -> Principal:
    """The calling lead, or 401 / 403."""
    principal = await agent(request)
    if not principal.is_lead:
        raise leads_only()
    return principal
