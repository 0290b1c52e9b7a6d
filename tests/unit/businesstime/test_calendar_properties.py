"""The fast calendar agrees with the minute-walking oracle, across DST, holidays and overnight hours."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from soporte.businesstime import BusinessCalendar, PublicHolidays, RecurringDay, SpecialDay

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


# Wall times where these zones change offset: quarter hours from 00:00 to 03:00. Intervals that
# start or end there, overnight ones too, meet the gaps and the repeated hours.
DST_MINUTES = list(range(0, 181, 15))
# Fall-back nights: the local date and the repeated wall hour (minutes past midnight).
FALL_BACKS = [
    ("Europe/Madrid", date(2026, 10, 25), (120, 180)),
    ("America/New_York", date(2026, 11, 1), (60, 120)),
    ("Australia/Lord_Howe", date(2026, 4, 5), (90, 120)),
]
# Days near the anchors, for dated and recurring special days.
SPECIAL_DATES = [date(2026, 3, 29) + timedelta(days=n) for n in range(-2, 7)] + [
    date(2026, 10, 25),
    date(2026, 11, 1),
    date(2026, 10, 4),
    date(2026, 12, 24),
    date(2028, 2, 29),
]
# Built once: they are immutable, and each computes its holidays per calendar, per year.
PUBLIC_HOLIDAYS = [None, PublicHolidays("ES", "MD"), PublicHolidays("US", "NY")]


@st.composite
def intervals(draw, dense=False):
    """0-2 intervals a day on quarter hours, sometimes overnight, often starting or ending in the DST hours.

    Dense calendars (at least one interval of an hour or more a day) keep the oracle's walk short.
    """
    count = draw(st.integers(1 if dense else 0, 2))
    shortest = 60 if dense else 15
    result = []
    for _ in range(count):
        start = draw(st.sampled_from(DST_MINUTES)) if draw(st.booleans()) else draw(st.integers(0, 95)) * 15
        if draw(st.booleans()):
            ends = [m + d for m in DST_MINUTES for d in (0, 1440) if shortest <= m + d - start <= 1440]
            end = ends[draw(st.integers(0, len(ends) - 1))]
        else:
            end = start + draw(st.integers(shortest // 15, 96)) * 15
        result.append((start, end))
    return tuple(result)


@st.composite
def calendars(draw, dense=False):
    if draw(st.booleans()):
        weekly = tuple(draw(intervals(dense)) for _ in range(7))
    else:  # the same hours every day, so the days on both sides of each DST change have them
        weekly = (draw(intervals(dense)),) * 7
    if not any(weekly):
        weekly = (((0, 8 * 60),),) + weekly[1:]
    special = {}
    for day in draw(st.lists(st.sampled_from(SPECIAL_DATES), max_size=3, unique=True)):
        special[day] = SpecialDay(day, "special", draw(intervals()))
    recurring = tuple(
        RecurringDay(day.month, day.day, "every year", draw(intervals()))
        for day in draw(st.lists(st.sampled_from(SPECIAL_DATES), max_size=2, unique=True))
    )
    public = draw(st.sampled_from(PUBLIC_HOLIDAYS))
    return BusinessCalendar(draw(st.sampled_from(ZONES)), weekly, special, recurring, public)


@st.composite
def fall_back_nights(draw):
    """A calendar whose hours of the eve end inside the repeated hour, after the next day's hours began.

    The two days' UTC spans then overlap and interleave: the eve's hours are open in both passes of
    the repeated hour up to their end, the next day's from their start in the first pass. Returns the
    calendar and the UTC instant of the eve's local noon.
    """
    zone, day, (repeated_start, repeated_end) = draw(st.sampled_from(FALL_BACKS))
    eve_end = 1440 + draw(st.integers(repeated_start + 1, repeated_end - 1))
    eve_start = draw(st.integers(eve_end - 1440, 1439))
    next_start = draw(st.integers(0, eve_end - 1441))
    next_end = draw(st.integers(next_start + 1, next_start + 1440))
    weekly = [draw(intervals()) for _ in range(7)]
    weekly[day.weekday() - 1] = ((eve_start, eve_end),)
    weekly[day.weekday()] = ((next_start, next_end),)
    calendar = BusinessCalendar(zone, tuple(weekly))
    noon = datetime.combine(day - timedelta(days=1), time(12), calendar.tz)
    return calendar, noon.astimezone(UTC)


@st.composite
def instants(draw):
    anchor = draw(st.sampled_from(ANCHORS))
    return anchor + timedelta(minutes=draw(st.integers(0, 3 * 24 * 60)))


# About 2,600 generated cases in all; the oracle is slow by design, so its windows stay within a day or two.
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


@cases(200)
@given(fall_back_nights(), st.integers(0, 36 * 60), st.integers(0, 24 * 60))
def test_fall_back_nights_match_the_oracle(night, offset, minutes):
    calendar, noon = night
    a = noon + timedelta(minutes=offset)
    b = a + timedelta(minutes=minutes)
    assert calendar.business_time_between(a, b) == oracle_between(calendar, a, b)
    duration = timedelta(minutes=minutes)
    added = calendar.add_business_time(a, duration)
    if added - a <= timedelta(days=30):  # as far as the minute walk goes
        assert added == oracle_add(calendar, a, duration)
    else:  # a calendar open a few minutes a week: beyond the oracle, it must agree with itself
        assert calendar.business_time_between(a, added) == duration


# Long ranges have no oracle (a minute walk over years is too slow); they must agree with themselves.
# Lengths are drawn in whole years and fractions of them, or hypothesis would mostly try short ones.


@cases(40)
@given(calendars(), instants(), st.integers(366, 10 * 366), st.integers(0, 24 * 60), st.floats(0, 1))
def test_long_ranges_add_up_wherever_they_are_split(calendar, a, days, minutes, fraction):
    b = a + timedelta(days=days, minutes=minutes)
    middle = a + timedelta(minutes=round((b - a) / timedelta(minutes=1) * fraction))
    whole = calendar.business_time_between(a, b)
    assert whole == calendar.business_time_between(a, middle) + calendar.business_time_between(middle, b)
    assert timedelta(0) < whole <= b - a  # equal for a calendar open every minute


@cases(40)
@given(calendars(), instants(), st.floats(0.5, 3))
def test_adding_years_of_business_time_then_measuring_gives_it_back(calendar, start, years):
    a_year = calendar.business_time_between(start, start + timedelta(days=365))
    duration = timedelta(minutes=round(a_year / timedelta(minutes=1) * years))
    end = calendar.add_business_time(start, duration)
    assert calendar.business_time_between(start, end) == duration
    assert calendar.is_open(end - timedelta(seconds=1))
