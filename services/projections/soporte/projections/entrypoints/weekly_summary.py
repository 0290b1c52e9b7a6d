"""Each desk week's SLA summary, published once the week is over: ``SlaWeekSummarized`` on ``tickets.sla.reports.v1``.

Why projections publishes the figures and the notifier mails them (and not the
notifier adding up the KPI and escalation topics itself): the weekly mail must
say what the dashboard says for that week, so it is made by the same report
math over the same read models (``entrypoints.reports``); the notifier stays a
mailer that plans from events, needs no projection logic of its own, and does
not import projections. The summary is itself an event: kept on its topic,
replayable, and the notifier's once-only ledger keys its mails by the week.

What can happen where, and why each week is mailed once:

- A week is summarized once it ended ``delay`` ago (the desk's timezone), and
  only when the read models hold every record the source topics had when this
  round began (the live reader's positions reached the end offsets read then):
  a reader that is behind after a restart does not make a summary miss the
  week's last events; the round is tried again later.
- The event's id is derived from the week (``domain.weekly``): published again
  (a crash before the mark, two projections instances, a mark lost), it is the
  same event, and the notifier's mails for it have ids derived from the week,
  which its ledger keeps once.
- The mark (``projections.weekly_summaries``) only spares the work of
  publishing again; failures are logged and the next round tries again.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

import asyncpg
from aiohttp import web
from aiokafka import AIOKafkaProducer

from soporte.events import SLA_REPORTS, Event, encode
from soporte.platform.kafka import ensure_topics
from soporte.platform.lifecycle import sleep_unless
from soporte.platform.logging import get_logger
from soporte.projections import keys
from soporte.projections.adapters.tables import LIVE, SCHEMA
from soporte.projections.domain.weekly import WORST, Week, week_due, week_summarized
from soporte.projections.entrypoints.rebuild import source_partitions
from soporte.projections.entrypoints.reports import build_report, report_queries, target_minutes

log = get_logger(__name__)
MARKS = f"{SCHEMA}.weekly_summaries"


class WeeklySummaries:
    """Publishes the summary of the last desk week that is over, once (run beside the live reader)."""

    def __init__(self, app: web.Application, producer: AIOKafkaProducer) -> None:
        self.app, self.producer = app, producer
        settings = app[keys.SETTINGS]
        self.settings, self.topic = settings, SLA_REPORTS.name(settings.topic_prefix)
        self.delay = timedelta(minutes=settings.weekly_summary_delay_minutes)
        self.topic_ready = False

    @property
    def pool(self) -> asyncpg.Pool:
        return self.app[keys.POOL]

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self.publish_due()
            except Exception as exc:  # noqa: BLE001 - the next round tries again; the week is not lost
                log.warning("weekly summary not published yet", error=f"{exc.__class__.__name__}: {exc}")
            await sleep_unless(stop, self.settings.weekly_summary_check_seconds)

    async def publish_due(self) -> Event | None:
        """The summary of the week due, published now; None when it was already or cannot be yet."""
        now, calendar = self.app[keys.CLOCK](), self.app[keys.CALENDAR]
        week = week_due(now, calendar.tz, self.delay)
        if await self.pool.fetchval(f"SELECT 1 FROM {MARKS} WHERE week = $1", week.name):
            return None
        if not await self.read_models_caught_up():
            log.info("weekly summary waits for the reader to catch up", week=week.name)
            return None
        event = await self.summary(week)
        if not self.topic_ready:  # a broker set up before the topic existed
            await ensure_topics(self.settings.kafka_bootstrap, [SLA_REPORTS], self.settings.topic_prefix)
            self.topic_ready = True
        await self.producer.send_and_wait(self.topic, encode(event), key=week.name.encode())
        await self.pool.execute(
            f"INSERT INTO {MARKS} VALUES ($1, $2, $3) ON CONFLICT (week) DO NOTHING", week.name, event.event_id, now
        )
        log.info("weekly summary published", week=week.name, event_id=str(event.event_id))
        return event

    async def summary(self, week: Week) -> Event:
        """The week's ``SlaWeekSummarized``: the report's totals over its days, and its worst tickets."""
        app = self.app
        report = await build_report(app, week.query())
        worst = await report_queries(app).worst_tickets(week.query(), WORST)
        target = round(target_minutes(app) * 60)
        return week_summarized(week, report.totals, target, worst, app[keys.CALENDAR].timezone, app[keys.CLOCK]())

    async def read_models_caught_up(self) -> bool:
        """Whether the live reader has gone past every record the source topics hold now."""
        _, starts, ends = await source_partitions(self.settings)
        rows = await self.pool.fetch(f"SELECT topic, partition, next_offset FROM {LIVE.positions}")
        stored = {(r["topic"], r["partition"]): r["next_offset"] for r in rows}
        return all(stored.get((tp.topic, tp.partition), starts[tp]) >= end for tp, end in ends.items())
