"""The staff API: sign-in and sign-out for the console, and the accounts leads manage.

Handlers are thin: who asks, the body, the command, the answer. The console (in
projections) signs people in here with their password and keeps the session
token it gets in an HttpOnly cookie; projections then asks ``whoami`` with that
token on every request. Passwords and tokens made by the desk are answered once.
"""

from __future__ import annotations

from aiohttp import web

from soporte.intake.adapters.agents import AccountSummary
from soporte.intake.domain import staff_commands as sc
from soporte.intake.domain.staff import Account
from soporte.intake.service_layer import views
from soporte.platform.http import FieldError, Problem
from soporte.platform.openapi import Doc, json_response

from . import bodies, keys
from .api import client_of
from .auth import SESSION_PREFIX, bearer_token
from .requests import parse
from .route_docs import listed

AGENT = "/api/v1/agents/{agent_id}"


def account_json(account: Account) -> dict:
    return {
        "id": account.agent_id,
        "name": account.name,
        "email": account.email,
        "role": account.role.value,
        "enabled": account.enabled,
    }


def summary_json(summary: AccountSummary) -> dict:
    last = summary.last_signed_in_at
    return account_json(summary.account) | {
        "created_at": summary.created_at.isoformat(),
        "last_signed_in_at": last.isoformat() if last else None,
        "tokens": [
            {
                "id": token.token_id,
                "label": token.label,
                "created_at": token.created_at.isoformat(),
                "revoked": token.revoked_at is not None,
            }
            for token in summary.tokens
        ],
    }


async def sign_in(request: web.Request) -> web.Response:
    """A session for an agent's email + password (the same 401 whatever was wrong; 429 + Retry-After after too
    many failures for the account or the address)."""
    body = await parse(request, bodies.SignInBody)
    command = sc.SignIn(email=body.email, password=body.password, client=client_of(request))
    signed_in: sc.SignedIn = await request.app[keys.BUS].handle(command)
    answer = {
        "session_token": signed_in.session_token,
        "expires_at": signed_in.expires_at.isoformat(),
        "agent": account_json(signed_in.account),
    }
    return web.json_response(answer, status=201)


async def sign_out(request: web.Request) -> web.Response:
    """End the session the request is signed in with."""
    await request.app[keys.AUTH].require(request, "agent")  # nobody signed in: 401
    token = bearer_token(request) or ""
    if not token.startswith(SESSION_PREFIX):
        # an API token is no session: it ends by being revoked (nothing to sign out of)
        raise Problem(
            422,
            "validation-error",
            "Send the session's token",
            errors=[FieldError("Authorization", "not a session token")],
        )
    await request.app[keys.BUS].handle(sc.SignOut(session_token=token))
    return web.Response(status=204)


async def change_password(request: web.Request) -> web.Response:
    """The signed-in agent's own new password (the current one proves it is them); their sessions end."""
    principal = await request.app[keys.AUTH].require(request, "agent")
    body = await parse(request, bodies.PasswordChangeBody)
    command = sc.ChangeOwnPassword(
        agent_id=principal.id, current_password=body.current_password, new_password=body.new_password
    )
    await request.app[keys.BUS].handle(command)
    return web.Response(status=204)


async def list_agents(request: web.Request) -> web.Response:
    """Every agent with their role, whether they are enabled, their last sign-in and their API tokens (leads)."""
    principal = await request.app[keys.AUTH].require(request, "agent")
    summaries = await views.accounts(request.app[keys.UOW](), principal.staff)
    return web.json_response({"items": [summary_json(s) for s in summaries]})


async def create_agent(request: web.Request) -> web.Response:
    """A new agent (or lead) with a password the desk makes, answered once."""
    principal = await request.app[keys.AUTH].require(request, "agent")
    body = await parse(request, bodies.NewAgentBody)
    command = sc.CreateAgent(actor=principal.staff, name=body.name, email=str(body.email), role=body.role)
    created: sc.AgentWithPassword = await request.app[keys.BUS].handle(command)
    return web.json_response({"agent": account_json(created.account), "password": created.password}, status=201)


def set_enabled(enabled: bool):
    async def handler(request: web.Request) -> web.Response:
        principal = await request.app[keys.AUTH].require(request, "agent")
        command = sc.SetAgentEnabled(actor=principal.staff, who=request.match_info["agent_id"], enabled=enabled)
        return web.json_response({"agent": account_json(await request.app[keys.BUS].handle(command))})

    handler.__name__ = "enable_agent" if enabled else "disable_agent"
    handler.__doc__ = (
        "Enable the agent again (a new password or token is needed to get in)."
        if enabled
        else "Disable the agent: their sessions end and their API tokens stop working at once."
    )
    return handler


async def reset_password(request: web.Request) -> web.Response:
    """A new password for the agent, made by the desk and answered once; their sessions end."""
    principal = await request.app[keys.AUTH].require(request, "agent")
    command = sc.ResetPassword(actor=principal.staff, who=request.match_info["agent_id"])
    reset: sc.AgentWithPassword = await request.app[keys.BUS].handle(command)
    return web.json_response({"agent": account_json(reset.account), "password": reset.password})


async def issue_token(request: web.Request) -> web.Response:
    """An API token for an integration acting as the agent, answered once (listed by its label)."""
    principal = await request.app[keys.AUTH].require(request, "agent")
    body = await parse(request, bodies.ApiTokenBody)
    command = sc.IssueApiToken(actor=principal.staff, who=request.match_info["agent_id"], label=body.label)
    issued: sc.ApiTokenIssued = await request.app[keys.BUS].handle(command)
    return web.json_response({"token_id": issued.token_id, "token": issued.token}, status=201)


async def revoke_token(request: web.Request) -> web.Response:
    """Revoke an API token: it stops working at once."""
    principal = await request.app[keys.AUTH].require(request, "agent")
    command = sc.RevokeApiToken(actor=principal.staff, token_id=request.match_info["token_id"])
    await request.app[keys.BUS].handle(command)
    return web.Response(status=204)


STAFF_ROUTES = [
    ("POST", "/api/v1/agent-sessions", sign_in),
    ("DELETE", "/api/v1/agent-sessions/current", sign_out),
    ("PUT", "/api/v1/me/password", change_password),
    ("GET", "/api/v1/agents", list_agents),
    ("POST", "/api/v1/agents", create_agent),
    ("POST", f"{AGENT}/disable", set_enabled(False)),
    ("POST", f"{AGENT}/enable", set_enabled(True)),
    ("POST", f"{AGENT}/password-reset", reset_password),
    ("POST", f"{AGENT}/tokens", issue_token),
    ("POST", "/api/v1/agent-tokens/{token_id}/revoke", revoke_token),
]
_AGENT_ANSWER = {"200": json_response("AgentAnswer")}
STAFF_DOCS: dict[tuple[str, str], Doc] = {
    ("POST", "/api/v1/agent-sessions"): Doc(
        body=bodies.SignInBody, responses={"201": json_response("AgentSession")}, public=True
    ),
    ("DELETE", "/api/v1/agent-sessions/current"): Doc(responses={"204": {"description": "signed out"}}),
    ("PUT", "/api/v1/me/password"): Doc(body=bodies.PasswordChangeBody, responses={"204": {"description": "changed"}}),
    ("GET", "/api/v1/agents"): Doc(responses={"200": json_response("Agents")}),
    ("POST", "/api/v1/agents"): Doc(body=bodies.NewAgentBody, responses={"201": json_response("AgentAnswer")}),
    ("POST", f"{AGENT}/disable"): Doc(responses=_AGENT_ANSWER),
    ("POST", f"{AGENT}/enable"): Doc(responses=_AGENT_ANSWER),
    ("POST", f"{AGENT}/password-reset"): Doc(responses=_AGENT_ANSWER),
    ("POST", f"{AGENT}/tokens"): Doc(body=bodies.ApiTokenBody, responses={"201": json_response("ApiToken")}),
    ("POST", "/api/v1/agent-tokens/{token_id}/revoke"): Doc(responses={"204": {"description": "revoked"}}),
}
_ACCOUNT = {
    "type": "object",
    "properties": {
        "id": {"type": "string"},
        "name": {"type": "string"},
        "email": {"type": "string"},
        "role": {"enum": ["agent", "lead"]},
        "enabled": {"type": "boolean"},
    },
    "required": ["id", "name", "email", "role", "enabled"],
}
STAFF_SCHEMAS = {
    "AgentSession": {
        "type": "object",
        "properties": {
            "session_token": {"type": "string", "description": "send as a bearer token; only its hash is kept"},
            "expires_at": {"type": "string", "format": "date-time"},
            "agent": _ACCOUNT,
        },
        "required": ["session_token", "expires_at", "agent"],
    },
    "AgentAnswer": {
        "type": "object",
        "properties": {"agent": _ACCOUNT, "password": {"type": "string", "description": "made by the desk, once"}},
        "required": ["agent"],
    },
    "Agents": listed(_ACCOUNT),
    "ApiToken": {
        "type": "object",
        "properties": {"token_id": {"type": "string"}, "token": {"type": "string", "description": "shown once"}},
        "required": ["token_id", "token"],
    },
}
