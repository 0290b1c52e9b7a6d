"""`make bench`: speed figures with their targets. Printed, never asserted in tests.

Each benchmark reports operations per second and whether it meets its target on
this 2-core machine; the exit code is 0 either way (a benchmark informs, a test decides).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from soporte.events import decode, encode
from tests.bench.dashboard import bench_dashboard
from tests.support.samples import sample_events


def measure(
    name: str, fn: Callable[[], object], target_per_s: float, seconds: float = 1.5, ops_per_call: int = 1
) -> None:
    count, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        fn()
        count += 1
    rate = count * ops_per_call / (time.perf_counter() - start)
    verdict = "ok" if rate >= target_per_s else "BELOW TARGET"
    print(f"{name:<48} {rate:>12,.0f}/s   target {target_per_s:>10,.0f}/s   {verdict}", flush=True)


def bench_codec() -> None:
    events = sample_events()
    payloads = [encode(e) for e in events]
    # Targets: the relay and every reader must keep up with far more than a shop's ticket traffic.
    measure("codec: encode an event", lambda: [encode(e) for e in events], 20_000, ops_per_call=len(events))
    measure(
        "codec: decode an event (validated)", lambda: [decode(p) for p in payloads], 10_000, ops_per_call=len(events)
    )


def bench_calendar() -> None:
    try:
        from soporte.businesstime import load_calendar
    except ImportError:
        print("calendar: soporte.businesstime.load_calendar is not available yet")
        return
    calendar = load_calendar()
    start = datetime(2026, 12, 23, 17, 59, tzinfo=UTC)
    measure(
        "calendar: add 15 business minutes", lambda: calendar.add_business_time(start, timedelta(minutes=15)), 20_000
    )
    measure(
        "calendar: add 40 business hours (holidays)",
        lambda: calendar.add_business_time(start, timedelta(hours=40)),
        2_000,
    )
    end = start + timedelta(days=30)
    measure("calendar: business time over 30 days", lambda: calendar.business_time_between(start, end), 2_000)


async def _bench_projections(bootstrap: str, admin_url: str) -> None:
    """Kafka-to-queue latency of the live reader, and the rebuild's replay rate, on the real stack."""
    import asyncpg
    from aiohttp import web

    from soporte import events as ev
    from soporte.businesstime import load_calendar
    from soporte.events import TICKET_EVENTS, event_key
    from soporte.events import types as t
    from soporte.platform.clock import utc_now
    from soporte.platform.kafka import make_producer
    from soporte.projections.bootstrap import create_app
    from soporte.projections.entrypoints.rebuild import rebuild
    from soporte.projections.settings import ProjectionsSettings
    from soporte.ticketrules import load_policies
    from tests.support.isolation import create_database, create_topics, delete_topics, drop_database, new_topic_prefix

    dsn, prefix = await create_database(admin_url), new_topic_prefix()
    await create_topics(bootstrap, prefix)
    settings = ProjectionsSettings(
        database_url=dsn, kafka_bootstrap=bootstrap, topic_prefix=prefix, group_id=f"bench-{prefix}"
    )

    runner = web.AppRunner(create_app(settings))
    await runner.setup()
    producer = make_producer(bootstrap)
    await producer.start()
    conn = await asyncpg.connect(dsn)
    try:

        def submitted() -> ev.Event:
            return t.TicketSubmitted.create(
                data=t.TicketSubmittedData(
                    category=ev.Category.PRE_SALES,
                    description="¿Es compatible con mi portátil?",
                    customer=t.CustomerRef(name="Bench", email="bench@example.com"),
                    actionability=t.Actionability(actionable=True),
                ),
                actor=ev.Actor(kind=ev.ActorKind.GUEST, id="bench@example.com"),
                occurred_at=utc_now(),
                ticket_id=ev.new_ticket_id(),
                version=1,
            )

        latencies = []
        for _ in range(40):
            event = submitted()
            start = time.perf_counter()
            await producer.send_and_wait(TICKET_EVENTS.name(prefix), encode(event), key=event_key(event))
            while not await conn.fetchval("SELECT 1 FROM projections.tickets WHERE ticket_id = $1", event.ticket_id):
                if time.perf_counter() - start > 30:
                    break
                await asyncio.sleep(0.005)
            latencies.append(time.perf_counter() - start)
        latencies.sort()
        p50, p95 = latencies[len(latencies) // 2], latencies[int(len(latencies) * 0.95) - 1]
        verdict = "ok" if p95 <= 1.0 else "BELOW TARGET"
        print(
            f"{'projections: event to agent queue (p50 / p95)':<48} {p50 * 1000:>8.0f} ms / {p95 * 1000:.0f} ms"
            f"   target p95 1000 ms   {verdict}"
        )
        for _ in range(2000):  # a backlog for the rebuild to replay
            event = submitted()
            await producer.send(TICKET_EVENTS.name(prefix), encode(event), key=event_key(event))
        await producer.flush()
        lines: list[str] = []
        start = time.perf_counter()
        replayed = await rebuild(settings, load_calendar(), load_policies(), utc_now, out=lines.append)
        rate = replayed / (time.perf_counter() - start)
        # Target: a year of a busy shop (~500k events) rebuilt within a quarter of an hour.
        verdict = "ok" if rate >= 500 else "BELOW TARGET"
        print(
            f"{'projections: rebuild (replay, swap, with start-up)':<48} {rate:>12,.0f}/s"
            f"   target {500:>10,}/s   {verdict}"
        )
    finally:
        await conn.close()
        await producer.stop()
        await runner.cleanup()
        await delete_topics(bootstrap, prefix)
        await drop_database(admin_url, dsn)


def bench_projections() -> None:
    from tests.support.infra import discover

    infra = discover()
    try:
        asyncio.run(_bench_projections(infra.kafka_bootstrap, infra.database_url))
    finally:
        infra.stop()


def main() -> None:
    print("Soporte benchmarks (higher is better)")
    bench_codec()
    bench_calendar()
    bench_projections()
    bench_dashboard()


if __name__ == "__main__":
    main()
