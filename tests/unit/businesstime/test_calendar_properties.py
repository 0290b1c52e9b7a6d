"""The fast calendar agrees with the minute-walking oracle, across DST, holidays and overnight hours."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from soporte.businesstime import BusinessCalendar, SpecialDay

from .oracle import oracle_add, oracle_between, oracle_is_open

ZONES = ["Europe/Madrid", "America/Mexico_City", "America/New_York", "Australia/Lord_Howe", "UTC", "Asia/Kolkata"]
# Windows around DST changes (2026: EU 29 Mar / 25 Oct, US 8 Mar / 1 Nov, Lord Howe 5 Apr / 4 Oct) and a leap day.
ANCHORS = [
    datetime(2026, 3, 28, tzinfo=UTC),
    datetime(2026, 10, 24, tzinfo=UTC),
    datetime(2026, 3, 7, tzinfo=UTC),
    datetime(2026, 10, 31, tzinfo=UTC),
    datetime(2026, 4, 4, tzinfo=UTC),
    datetime(2026, 10, 3, tzinfo=UTC),
    datetime(2028, 2, 28, tzinfo=UTC),
    datetime(2026, 12, 23, tzinfo=UTC),
]


@st.composite
def intervals(draw, dense=False):
    """0-2 intervals a day on quarter hours, sometimes overnight, sometimes touching the DST hours.

    Dense calendars (at least one interval of an hour or more a day) keep the oracle's walk short.
    """
    count = draw(st.integers(1 if dense else 0, 2))
    result = []
    for _ in range(count):
        start = draw(st.integers(0, 95)) * 15
        length = draw(st.integers(4 if dense else 1, 96)) * 15
        result.append((start, start + length))
    return tuple(result)


@st.composite
def calendars(draw, dense=False):
    weekly = tuple(draw(intervals(dense)) for _ in range(7))
    if not any(weekly):
        weekly = (((0, 8 * 60),),) + weekly[1:]
    special = {}
    for offset in draw(st.lists(st.integers(-2, 6), max_size=3, unique=True)):
        day = date(2026, 3, 29) + timedelta(days=offset)
        special[day] = SpecialDay(
            day, "holiday", draw(st.sampled_from([(), ((9 * 60, 14 * 60),), ((22 * 60, 26 * 60),)]))
        )
    return BusinessCalendar(draw(st.sampled_from(ZONES)), weekly, special)


@st.composite
def instants(draw):
    anchor = draw(st.sampled_from(ANCHORS))
    return anchor + timedelta(minutes=draw(st.integers(0, 3 * 24 * 60)))


# About 2,300 generated cases in all; the oracle is slow by design, so windows stay within a day or two.
def cases(n: int) -> settings:
    return settings(max_examples=n, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@cases(800)
@given(calendars(), instants())
def test_is_open_matches_the_oracle(calendar, instant):
    assert calendar.is_open(instant) == oracle_is_open(calendar, instant)


@cases(400)
@given(calendars(), instants(), st.integers(0, 24 * 60))
def test_business_time_between_matches_the_oracle(calendar, a, minutes):
    b = a + timedelta(minutes=minutes)
    assert calendar.business_time_between(a, b) == oracle_between(calendar, a, b)


@cases(300)
@given(calendars(dense=True), instants(), st.integers(0, 4 * 60))
def test_add_business_time_matches_the_oracle(calendar, start, minutes):
    assert calendar.add_business_time(start, timedelta(minutes=minutes)) == oracle_add(
        calendar, start, timedelta(minutes=minutes)
    )


@cases(400)
@given(calendars(), instants(), st.integers(1, 3 * 24 * 60))
def test_adding_then_measuring_gives_back_the_duration(calendar, start, minutes):
    duration = timedelta(minutes=minutes)
    end = calendar.add_business_time(start, duration)
    assert calendar.business_time_between(start, end) == duration
    assert calendar.is_open(end - timedelta(seconds=1))  # the deadline closes an open stretch


@cases(400)
@given(calendars(), instants())
def test_next_opening_is_open_and_nothing_before_it_is(calendar, instant):
    opening = calendar.next_opening(instant)
    assert opening >= instant
    assert calendar.is_open(opening)
    assert calendar.business_time_between(instant, opening) == timedelta(0)
