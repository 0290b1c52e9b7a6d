"""Server-sent events for open consoles (``/agent/live``): tickets that changed, and who is replying where.

A console opens one stream; the queue page refetches its rows when tickets
change, a ticket's page says that its ticket changed and who else is replying on
it (``?ticket=``). Nothing polls while the stream is open. The stream is for a
signed-in agent only, and asks intake again at every heartbeat: a disabled agent's
or an ended session's stream ends with ``signed-out`` within ``HEARTBEAT_SECONDS``,
and the page, reloading, gets the sign-in page. Events:

- ``tickets``: ``{"tickets": [[id, version], ...]}`` (read models changed);
- ``presence``: ``{"ticket_id": ..., "replying": [names]}`` (others than the viewer);
- ``resync``: changes may have been missed (the hub reconnected): reload what you show;
- ``signed-out``: the session no longer stands for an agent.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from aiohttp import web

from soporte.platform.http import Problem
from soporte.projections import keys
from soporte.projections.domain.access import Principal
from soporte.projections.entrypoints.staff_session import bare_401, for_agents, signed_in_agent

HEARTBEAT_SECONDS = 15.0


async def live(request: web.Request, principal: Principal, _token: str) -> web.StreamResponse:
    """The console's stream of server-sent events."""
    me, ticket_id = principal.id, request.query.get("ticket")
    hub = request.app[keys.LIVE]
    response = web.StreamResponse(
        headers={"Content-Type": "text/event-stream", "Cache-Control": "no-store", "X-Accel-Buffering": "no"}
    )
    await response.prepare(request)
    queue = hub.subscribe()

    async def send(event: str, data: dict[str, Any]) -> None:
        await response.write(f"event: {event}\ndata: {json.dumps(data)}\n\n".encode())

    def replying() -> dict[str, Any]:
        return {"ticket_id": ticket_id, "replying": [p.name for p in hub.replying(ticket_id) if p.agent_id != me]}

    try:
        await send("ready", replying() if ticket_id else {})
        while True:
            try:
                message = await asyncio.wait_for(queue.get(), HEARTBEAT_SECONDS)
            except TimeoutError:
                if await _still_signed_in(request) is False:
                    await send("signed-out", {})
                    break
                await response.write(b": still here\n\n")
                if ticket_id:
                    await send("presence", replying())  # someone's announcement may have lapsed since
                continue
            event = message["event"]
            if event == "bye":
                break
            if event == "presence":
                if message["ticket_id"] == ticket_id:
                    await send("presence", replying())
            else:
                await send(event, {k: v for k, v in message.items() if k != "event"})
    except ConnectionResetError:
        pass  # the console went away
    finally:
        hub.unsubscribe(queue)
    return response


async def _still_signed_in(request: web.Request) -> bool | None:
    """Whether the stream's session still stands for an agent (None: intake did not say; the stream goes on)."""
    try:
        return await signed_in_agent(request) is not None
    except Problem:
        return None


def add_live_routes(app: web.Application) -> None:
    app.router.add_get("/agent/live", for_agents(live, refused=bare_401))
