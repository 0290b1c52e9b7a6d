"""Wiring the SLA worker from settings: calendar, policies, the faust app, topics, producer and the HTTP side."""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from aiohttp import web
from prometheus_client import CollectorRegistry, Counter, Gauge

from soporte.businesstime import load_calendar
from soporte.events import DEAD_LETTERS, SLA_ESCALATIONS, SLA_KPIS, TICKET_EVENTS, Event
from soporte.platform.clock import utc_now
from soporte.platform.guards import health_app
from soporte.platform.http import add_health_routes
from soporte.platform.kafka import ensure_topics, make_producer
from soporte.platform.lifecycle import serve_app
from soporte.platform.startup import retry_until
from soporte.ticketrules import SlaRules, load_policies

from .domain.kpis import FirstResponseKpis
from .entrypoints.faust_app import create_app, internal_topics
from .settings import SlaSettings


class SlaWorker:
    """The faust app plus its HTTP side (/healthz, /readyz, /metrics, /kpis). ``run(stop)`` until stopped.

    Built inside the event loop (its Kafka producer needs one).
    """

    def __init__(self, settings: SlaSettings, clock: Callable[[], datetime] = utc_now) -> None:
        self.settings = settings
        self.kpis = FirstResponseKpis()
        self.registry = CollectorRegistry()
        self._escalations = Counter(
            "sla_escalations_total", "Escalations raised", ["type", "clock"], registry=self.registry
        )
        calendar = load_calendar(Path(settings.calendar_file) if settings.calendar_file else None)
        policies = load_policies(Path(settings.sla_policy_file) if settings.sla_policy_file else None)
        self._datadir = tempfile.TemporaryDirectory(prefix="soporte-sla-")  # faust wants one; state is in Kafka
        self.producer = make_producer(settings.kafka_bootstrap, client_id=settings.sla_app_id)  # started by run()
        sla = create_app(
            settings,
            SlaRules(calendar, policies),
            self.producer,
            clock=clock,
            kpis=self.kpis,
            on_escalation=self._counted,
            datadir=Path(self._datadir.name),
        )
        self.app, self.streams = sla.faust, sla.streams
        figures = Gauge(
            "sla_first_response_business_minutes", "First response time (rolling)", ["stat"], registry=self.registry
        )
        figures.labels("average").set_function(self.kpis.average)
        figures.labels("p50").set_function(lambda: self.kpis.percentile(0.5))
        figures.labels("p90").set_function(lambda: self.kpis.percentile(0.9))
        Gauge("sla_tickets_tracked", "Tickets in this worker's partitions", registry=self.registry).set_function(
            lambda: len(self.streams.engine.records)
        )

    def _counted(self, escalation: Event) -> None:
        self._escalations.labels(escalation.type, str(escalation.data.clock)).inc()

    def web_app(self) -> web.Application:
        app = health_app()

        async def processor_caught_up() -> None:
            if not self.streams.ready:
                raise RuntimeError("still recovering the clocks table")
            # Not ready until faust has resumed the partitions after a rebalance (its flag drops last):
            # until then the partitions are moving and no event is processed.
            if self.app.rebalancing:
                raise RuntimeError("rebalancing: partitions are moving between workers")

        async def kpis(_: web.Request) -> web.Response:
            return web.json_response({**self.kpis.summary(), "per_ticket_minutes": dict(self.kpis.minutes_by_ticket)})

        add_health_routes(app, self.registry, [("processor", processor_caught_up)])
        app.router.add_get("/kpis", kpis)
        return app

    async def run(self, stop: asyncio.Event) -> None:
        """Create the topics if needed, read back what was published, then run the app until ``stop``. Kafka being
        away at start is waited out (health answers meanwhile, not ready)."""
        s = self.settings
        specs = [TICKET_EVENTS, SLA_ESCALATIONS, SLA_KPIS, DEAD_LETTERS, *internal_topics(s)]
        producer = self.producer
        web_stop = asyncio.Event()
        http = (
            asyncio.create_task(serve_app(self.web_app(), s.sla_host, s.sla_port, web_stop), name="sla-http")
            if s.sla_web_enabled
            else None
        )
        try:
            await retry_until(
                stop, "Kafka (sla topics)", lambda: ensure_topics(s.kafka_bootstrap, specs, s.topic_prefix)
            )
            if await retry_until(stop, "Kafka (sla producer)", lambda: _started(producer)) is None:
                return  # stopped while waiting
            await self.streams.read_back_published()
            await self.app.start()
            crashed = asyncio.create_task(self.app.wait_until_stopped())
            stopped = asyncio.create_task(stop.wait())
            await asyncio.wait([crashed, stopped], return_when=asyncio.FIRST_COMPLETED)
            for task in (crashed, stopped):
                task.cancel()
            if self.app.crash_reason is not None:
                raise RuntimeError("the faust app crashed") from self.app.crash_reason
        finally:
            await self.app.stop()
            web_stop.set()
            if http is not None:
                await http
            await producer.stop()
            if self.streams.http is not None:
                await self.streams.http.close()
            self._datadir.cleanup()


async def _started(producer) -> bool:
    await producer.start()
    return True


def create_worker(settings: SlaSettings, clock: Callable[[], datetime] = utc_now) -> SlaWorker:
    """Build the SLA worker from settings (calendar and policy files, or the packaged defaults)."""
    return SlaWorker(settings, clock)
