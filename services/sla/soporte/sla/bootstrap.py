"""Wiring the SLA processor from settings: calendar, policies, Kafka, and the metrics server."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from aiohttp import web
from prometheus_client import CollectorRegistry, Counter, Gauge

from soporte.businesstime import BusinessCalendar, SlaPolicies, load_calendar, load_policies
from soporte.events import DEAD_LETTERS, SLA_ESCALATIONS, SLA_KPIS, TICKET_EVENTS, Event
from soporte.platform.http import add_health_routes
from soporte.platform.kafka import ensure_topics, make_producer
from soporte.platform.lifecycle import serve_app

from .adapters.state_store import SlaStateStore
from .domain.clocks import SlaEngine, utc_now
from .domain.kpis import FirstResponseKpis
from .entrypoints.processor import SlaProcessor
from .settings import SlaSettings


class SlaApp:
    """The processor plus its HTTP side (/healthz, /readyz, /metrics, /kpis). ``run(stop)`` until stopped."""

    def __init__(
        self,
        settings: SlaSettings,
        calendar: BusinessCalendar,
        policies: SlaPolicies,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.settings = settings
        self.engine = SlaEngine(calendar, policies)
        self.kpis = FirstResponseKpis()
        self.clock = clock
        self.registry = CollectorRegistry()
        self._escalations = Counter(
            "sla_escalations_total", "Escalations raised", ["type", "clock"], registry=self.registry
        )
        figures = Gauge(
            "sla_first_response_business_minutes", "First response time (rolling)", ["stat"], registry=self.registry
        )
        figures.labels("average").set_function(self.kpis.average)
        figures.labels("p50").set_function(lambda: self.kpis.percentile(0.5))
        figures.labels("p90").set_function(lambda: self.kpis.percentile(0.9))
        Gauge("sla_tickets_tracked", "Tickets in the SLA state", registry=self.registry).set_function(
            lambda: len(self.engine.tickets)
        )
        self.processor: SlaProcessor | None = None
        self.store: SlaStateStore | None = None

    def _counted(self, escalation: Event) -> None:
        self._escalations.labels(escalation.type, str(escalation.data.clock)).inc()

    def web_app(self) -> web.Application:
        app = web.Application()

        async def processor_caught_up() -> None:
            if self.processor is None or not self.processor.ready.is_set():
                raise RuntimeError("still replaying the ticket stream")

        async def kpis(_: web.Request) -> web.Response:
            return web.json_response(
                {**self.kpis.summary(), "per_ticket_minutes": dict(self.kpis.minutes_by_ticket)}
            )

        async def database() -> None:
            if self.store is None:
                raise RuntimeError("not connected yet")
            await self.store.ping()

        add_health_routes(app, self.registry, [("processor", processor_caught_up), ("postgres", database)])
        app.router.add_get("/kpis", kpis)
        return app

    async def run(self, stop: asyncio.Event) -> None:
        """Create the topics if needed, then process and serve until ``stop`` is set."""
        s = self.settings
        await ensure_topics(s.kafka_bootstrap, [TICKET_EVENTS, SLA_ESCALATIONS, SLA_KPIS, DEAD_LETTERS], s.topic_prefix)
        self.store = await SlaStateStore.open(s.database_url)
        producer = make_producer(s.kafka_bootstrap, client_id=s.sla_app_id)
        await producer.start()
        try:
            self.processor = SlaProcessor(
                self.engine,
                bootstrap=s.kafka_bootstrap,
                prefix=s.topic_prefix,
                producer=producer,
                client_id=s.sla_app_id,
                tick_seconds=s.sla_tick_seconds,
                kpis=self.kpis,
                clock=self.clock,
                on_escalation=self._counted,
                store=self.store,
            )
            tasks = [asyncio.create_task(self.processor.run(stop), name="sla-processor")]
            if s.sla_web_enabled:
                tasks.append(asyncio.create_task(serve_app(self.web_app(), s.sla_host, s.sla_port, stop), name="sla-http"))
            done, pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
            for task in pending:
                if not stop.is_set():
                    task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
            for task in done:
                task.result()  # re-raise a crash
        finally:
            await producer.stop()
            await self.store.close()


def create_app(settings: SlaSettings, clock: Callable[[], datetime] = utc_now) -> SlaApp:
    """Build the SLA app from settings (calendar and policy files, or the packaged defaults)."""
    calendar = load_calendar(Path(settings.calendar_file) if settings.calendar_file else None)
    policies = load_policies(Path(settings.sla_policy_file) if settings.sla_policy_file else None)
    return SlaApp(settings, calendar, policies, clock)
