"""The weekly summary, end to end on the real Kafka, PostgreSQL and an SMTP server: projections publishes the
week's figures once it is over, the notifier mails them to the lead once, and restarting either changes nothing."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime

import asyncpg
from aiohttp.test_utils import TestServer

from soporte import events as ev
from soporte.businesstime import load_calendar
from soporte.events import SLA_ESCALATIONS, SLA_REPORTS, encode, event_key
from soporte.events import types as t
from soporte.platform.kafka import make_producer
from soporte.projections.bootstrap import create_app
from soporte.projections.settings import ProjectionsSettings
from soporte.ticketrules import SlaRules, load_policies, replay_escalations
from tests.support.kafka import read_topic_until, records_on
from tests.support.language import assert_reads_as
from tests.support.scenario import MINUTE, Stream

TUESDAY = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)  # 10:00 in Madrid, in week 11 of 2026
NOW = datetime(2026, 3, 16, 1, 30, tzinfo=UTC)  # Monday 02:30 in Madrid: week 11 ended 2 h 30 min ago
SUBJECT = "Resumen de la semana 11 de 2026"


def week_history() -> tuple[list[ev.Event], str]:
    """Three tickets of the week: answered in 5 minutes, answered in 20 (a warning and a breach), a phone call."""
    quick, late, call = Stream(), Stream(), Stream()
    events = [quick.submitted(TUESDAY), quick.agent_replied(TUESDAY + 5 * MINUTE)]
    events += [late.submitted(TUESDAY + MINUTE), late.agent_replied(TUESDAY + 21 * MINUTE)]
    events += [call.submitted(TUESDAY, channel=ev.Channel.PHONE)]
    return events, late.ticket_id


async def start_projections(notifier_settings) -> TestServer:
    """A projections app on the notifier's database and topics, its clock on Monday night."""
    settings = ProjectionsSettings(
        database_url=notifier_settings.database_url,
        kafka_bootstrap=notifier_settings.kafka_bootstrap,
        topic_prefix=notifier_settings.topic_prefix,
        group_id=f"projections-test-{uuid.uuid4().hex[:8]}",
        weekly_summary_check_seconds=0.3,
    )
    server = TestServer(create_app(settings, now=lambda: NOW, calendar=load_calendar(), policies=load_policies()))
    await server.start_server()
    return server


def weekly(messages) -> list:
    return [m for m in messages if m["Subject"] == SUBJECT]


async def read_to_the_end(notifier_settings) -> None:
    """Until the notifier's positions reach the end of the summary topic (it has read every summary there)."""
    topic = SLA_REPORTS.name(notifier_settings.topic_prefix)
    records = await records_on(notifier_settings.kafka_bootstrap, topic)
    conn = await asyncpg.connect(notifier_settings.database_url)
    try:
        for _ in range(150):
            read = await conn.fetchval(
                "SELECT coalesce(sum(next_offset), 0) FROM notifier.positions WHERE topic = $1", topic
            )
            if read >= records:
                return
            await asyncio.sleep(0.2)
        raise AssertionError(f"the notifier read {read} of {records} summaries")
    finally:
        await conn.close()


async def weekly_mails(sink, timeout: float = 45.0) -> list:
    """The summary mails the sink holds, once there is one."""
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while loop.time() < end:
        if found := weekly(sink.messages()):
            return found
        await asyncio.sleep(0.2)
    raise AssertionError(f"no weekly summary among {[m['Subject'] for m in sink.messages()]}")


async def test_the_weeks_summary_is_mailed_to_the_lead_once_through_restarts_of_the_notifier_and_projections(
    notifier, shop, smtp_sink, notifier_settings
):
    events, late = week_history()
    rules = SlaRules(load_calendar(), load_policies())
    escalations = sorted(replay_escalations(events, rules, NOW).values(), key=lambda e: e.occurred_at)
    assert [e.type for e in escalations] == ["SlaWarning", "SlaBreached"]
    notifier.start()
    await shop.publish(*events)
    producer = make_producer(notifier_settings.kafka_bootstrap)
    await producer.start()
    for escalation in escalations:
        await producer.send_and_wait(
            SLA_ESCALATIONS.name(notifier_settings.topic_prefix), encode(escalation), key=event_key(escalation)
        )
    await producer.stop()

    projections = await start_projections(notifier_settings)
    try:
        messages = await weekly_mails(smtp_sink)
    finally:
        await projections.close()
    [mail] = messages
    assert mail["To"] == "lead@shop.test"  # the team-lead role's address; ops gets no summary
    text = mail.get_body(("plain",)).get_content()
    assert_reads_as("es", text, typed=(late,))
    assert "Primera respuesta media: 12,5 minutos laborables; la promesa es 15 de media. Promesa cumplida." in text
    assert "Respondidos a tiempo: 50 % (1 de 2)." in text and "Tickets recibidos: 3, 1 de ellos por teléfono" in text
    assert "Avisos de plazo: 1. Plazos incumplidos: 1." in text
    assert f"{late} (Artículo dañado): primera respuesta en 20,0 minutos laborables; plazos incumplidos: 1." in text

    # The notifier restarts and reads every topic again from the start: no mail goes twice.
    await notifier.halt()
    conn = await asyncpg.connect(notifier_settings.database_url)
    try:
        await conn.execute("UPDATE notifier.positions SET next_offset = 0")
        notifier.start()
        await read_to_the_end(notifier_settings)
        # Projections restarts without its mark (lost, or another instance): the same week is published again.
        await conn.execute("DELETE FROM projections.weekly_summaries")
    finally:
        await conn.close()
    projections = await start_projections(notifier_settings)
    try:
        topic = SLA_REPORTS.name(notifier_settings.topic_prefix)
        summaries = await read_topic_until(notifier_settings.kafka_bootstrap, topic, lambda seen: len(seen) >= 2)
    finally:
        await projections.close()
    assert len({s.event_id for s in summaries}) == 1 and all(isinstance(s, t.SlaWeekSummarized) for s in summaries)
    await read_to_the_end(notifier_settings)
    await notifier.halt()
    assert len(weekly(smtp_sink.messages())) == 1
    assert summaries[0].data.week == "2026-W11" and summaries[0].occurred_at == NOW
