"""The slow, obvious oracle: walk minute by minute and ask the schedule about each local wall time."""

from __future__ import annotations

from datetime import datetime, timedelta

from soporte.businesstime import BusinessCalendar

MINUTE = timedelta(minutes=1)


def oracle_is_open(calendar: BusinessCalendar, instant: datetime) -> bool:
    local = instant.astimezone(calendar.tz)
    minute_of_day = local.hour * 60 + local.minute
    today, yesterday = local.date(), local.date() - timedelta(days=1)
    if any(start <= minute_of_day < end for start, end in calendar.intervals_on(today)):
        return True
    # an overnight interval of yesterday reaches into today
    return any(minute_of_day < end - 1440 for _start, end in calendar.intervals_on(yesterday))


def oracle_between(calendar: BusinessCalendar, a: datetime, b: datetime) -> timedelta:
    total, t = timedelta(0), a
    while t < b:
        if oracle_is_open(calendar, t):
            total += MINUTE
        t += MINUTE
    return total


def oracle_add(calendar: BusinessCalendar, start: datetime, duration: timedelta, limit_days: int = 30) -> datetime:
    remaining, t = duration, start
    end = start + timedelta(days=limit_days)
    while remaining > timedelta(0):
        if t > end:
            raise AssertionError("oracle gave up")
        if oracle_is_open(calendar, t):
            remaining -= MINUTE
        t += MINUTE
    return t
