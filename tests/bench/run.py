"""`make bench`: speed figures with their targets. Printed, never asserted in tests.

Each benchmark reports operations per second and whether it meets its target on
this 2-core machine; the exit code is 0 either way (a benchmark informs, a test decides).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from soporte.events import decode, encode
from tests.support.samples import sample_events


def measure(name: str, fn: Callable[[], object], target_per_s: float, seconds: float = 1.5, ops_per_call: int = 1) -> None:
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
    measure("codec: decode an event (validated)", lambda: [decode(p) for p in payloads], 10_000, ops_per_call=len(events))


def bench_calendar() -> None:
    try:
        from soporte.businesstime import load_calendar
    except ImportError:
        print("calendar: soporte.businesstime.load_calendar is not available yet")
        return
    calendar = load_calendar()
    start = datetime(2026, 12, 23, 17, 59, tzinfo=UTC)
    measure("calendar: add 15 business minutes", lambda: calendar.add_business_time(start, timedelta(minutes=15)), 20_000)
    measure("calendar: add 40 business hours (holidays)", lambda: calendar.add_business_time(start, timedelta(hours=40)), 2_000)
    end = start + timedelta(days=30)
    measure("calendar: business time over 30 days", lambda: calendar.business_time_between(start, end), 2_000)


def main() -> None:
    print("Soporte benchmarks (higher is better)")
    bench_codec()
    bench_calendar()


if __name__ == "__main__":
    main()
