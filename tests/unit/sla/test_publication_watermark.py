"""The timers never outrun an answer still waiting in intake's outbox: they run up to what intake vouches for.

Intake here is a small HTTP server answering ``GET /api/v1/publication`` as intake does; the real one is tested in
``tests/integration/intake/test_outages.py`` and the whole path by ``make chaos`` (the broker killed under load).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from aiohttp import web
from aiohttp.test_utils import TestServer

from soporte.businesstime import BusinessCalendar
from soporte.sla.domain.kpis import FirstResponseKpis
from soporte.sla.entrypoints.streams import SlaStreams
from soporte.sla.settings import SlaSettings
from soporte.ticketrules import SlaRules, load_policies

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def streams(intake_url: str) -> SlaStreams:
    rules = SlaRules(BusinessCalendar.always_open(), load_policies())
    settings = SlaSettings(sla_app_id="unit", sla_intake_url=intake_url)
    return SlaStreams(settings, rules, None, lambda: NOW, FirstResponseKpis(), lambda _: None)


async def intake_saying(unpublished_since: str | None) -> TestServer:
    async def publication(_: web.Request) -> web.Response:
        return web.json_response({"unpublished_since": unpublished_since})

    app = web.Application()
    app.router.add_get("/api/v1/publication", publication)
    server = TestServer(app)
    await server.start_server()
    return server


async def test_an_event_waiting_in_the_outbox_holds_the_timers_before_it_occurred():
    waiting_since = NOW - timedelta(seconds=10)
    server = await intake_saying(waiting_since.isoformat())
    sla = streams(str(server.make_url("/")))
    try:
        assert await sla.vouched_until(NOW - timedelta(seconds=3)) == waiting_since - timedelta(microseconds=1)
        assert await sla.vouched_until(NOW - timedelta(seconds=30)) == NOW - timedelta(seconds=30)
    finally:
        await sla.http.close()
        await server.close()


async def test_nothing_waiting_lets_the_timers_run_up_to_now_minus_the_lateness():
    server = await intake_saying(None)
    sla = streams(str(server.make_url("/")))
    try:
        assert await sla.vouched_until(NOW - timedelta(seconds=3)) == NOW - timedelta(seconds=3)
    finally:
        await sla.http.close()
        await server.close()


async def test_intake_unreachable_holds_every_timer_and_no_intake_configured_holds_none():
    server = await intake_saying(None)
    url = str(server.make_url("/"))
    await server.close()  # nothing listens there any more
    sla = streams(url)
    try:
        assert await sla.vouched_until(NOW) is None
    finally:
        await sla.http.close()
    assert await streams("").vouched_until(NOW) == NOW
