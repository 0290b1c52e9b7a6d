"""Named cases people ask about: DST in Madrid and Mexico City, Christmas, 17:59 on a Friday, leap day."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from soporte.businesstime import (
    BusinessCalendar,
    CalendarError,
    SpecialDay,
    calendar_from_dict,
    load_calendar,
    parse_interval,
)

from .oracle import oracle_between

MADRID = ZoneInfo("Europe/Madrid")
MEXICO = ZoneInfo("America/Mexico_City")


def at(tz, *args) -> datetime:
    return datetime(*args, tzinfo=tz)


def weekdays(tz: str, interval: str) -> BusinessCalendar:
    hours = (parse_interval(interval),)
    return BusinessCalendar(tz, (hours,) * 5 + ((), ()))


def test_the_shop_calendar_opens_at_midnight_and_closes_at_six_pm_madrid_time():
    shop = load_calendar()
    assert shop.timezone == "Europe/Madrid"
    assert shop.is_open(at(MADRID, 2026, 11, 25, 0, 0))
    assert shop.is_open(at(MADRID, 2026, 11, 25, 17, 59))
    assert not shop.is_open(at(MADRID, 2026, 11, 25, 18, 0))
    assert not shop.is_open(at(MADRID, 2026, 11, 28, 12, 0))  # Saturday


def test_a_ticket_opened_at_1759_on_a_friday_is_due_monday_morning():
    shop = load_calendar()
    due = shop.add_business_time(at(MADRID, 2026, 11, 27, 17, 59), timedelta(minutes=15))
    assert due == at(MADRID, 2026, 11, 30, 0, 14)


def test_christmas_is_closed_and_christmas_eve_closes_at_two():
    shop = load_calendar()
    assert shop.holiday_name(date(2026, 12, 25)) == "Natividad del Señor"  # the holidays package's Spanish name
    assert not shop.is_open(at(MADRID, 2026, 12, 25, 10, 0))
    assert shop.is_open(at(MADRID, 2026, 12, 24, 13, 59))
    assert not shop.is_open(at(MADRID, 2026, 12, 24, 14, 0))
    # 13:50 on Christmas Eve + 15 min: 10 min that day, then Monday 28th (25th holiday, weekend) 00:05.
    assert shop.add_business_time(at(MADRID, 2026, 12, 24, 13, 50), timedelta(minutes=15)) == at(
        MADRID, 2026, 12, 28, 0, 5
    )


def test_spring_forward_in_madrid_loses_an_hour_of_business_time():
    always = BusinessCalendar.always_open("Europe/Madrid")
    day_start, day_end = at(MADRID, 2026, 3, 29, 0, 0), at(MADRID, 2026, 3, 30, 0, 0)
    assert always.business_time_between(day_start, day_end) == timedelta(hours=23)
    # open 01:00-04:00 wall time on the change night: 02:00-03:00 does not exist, so 2 real hours
    night = BusinessCalendar("Europe/Madrid", ((),) * 6 + ((parse_interval("01:00-04:00"),),))
    assert night.business_time_between(day_start, day_end) == timedelta(hours=2)
    assert night.add_business_time(at(MADRID, 2026, 3, 29, 1, 30), timedelta(minutes=45)) == at(
        MADRID, 2026, 3, 29, 3, 15
    )


def test_fall_back_in_madrid_gains_an_hour_both_passes_counted():
    night = BusinessCalendar("Europe/Madrid", ((),) * 6 + ((parse_interval("01:00-04:00"),),))
    day_start = at(MADRID, 2026, 10, 25, 0, 0)
    assert night.business_time_between(day_start, day_start + timedelta(days=1)) == timedelta(hours=4)
    first_pass = datetime(2026, 10, 25, 2, 30, tzinfo=MADRID, fold=0)
    second_pass = datetime(2026, 10, 25, 2, 30, tzinfo=MADRID, fold=1)
    assert night.is_open(first_pass) and night.is_open(second_pass)
    assert night.business_time_between(first_pass, second_pass) == timedelta(hours=1)


def test_mexico_city_has_had_no_dst_since_2022():
    office = weekdays("America/Mexico_City", "09:00-18:00")
    # US DST starts 8 Mar 2026; Mexico City keeps UTC-6 all year.
    assert office.next_opening(datetime(2026, 3, 9, 14, 0, tzinfo=UTC)) == datetime(2026, 3, 9, 15, 0, tzinfo=UTC)
    assert office.next_opening(datetime(2026, 11, 2, 14, 0, tzinfo=UTC)) == datetime(2026, 11, 2, 15, 0, tzinfo=UTC)
    week = office.business_time_between(at(MEXICO, 2026, 4, 6, 0, 0), at(MEXICO, 2026, 4, 13, 0, 0))
    assert week == timedelta(hours=45)


def test_mexico_city_dst_before_2022_is_honoured():
    always = BusinessCalendar.always_open("America/Mexico_City")
    # DST began on 3 April 2022 in Mexico City (the last time): that day had 23 hours.
    assert always.business_time_between(at(MEXICO, 2022, 4, 3, 0, 0), at(MEXICO, 2022, 4, 4, 0, 0)) == timedelta(
        hours=23
    )


def test_midnight_and_overnight_hours():
    night_shift = BusinessCalendar("UTC", ((parse_interval("22:00-02:00"),),) * 7)
    assert night_shift.is_open(datetime(2026, 5, 5, 23, 59, tzinfo=UTC))
    assert night_shift.is_open(datetime(2026, 5, 6, 0, 0, tzinfo=UTC))
    assert not night_shift.is_open(datetime(2026, 5, 6, 2, 0, tzinfo=UTC))
    assert night_shift.add_business_time(datetime(2026, 5, 5, 23, 30, tzinfo=UTC), timedelta(hours=3)) == datetime(
        2026, 5, 6, 22, 30, tzinfo=UTC
    )


def test_leap_day_is_an_ordinary_tuesday():
    office = weekdays("Europe/Madrid", "09:00-17:00")
    assert office.is_open(at(MADRID, 2028, 2, 29, 10, 0))
    # Monday 16:00 + 10 h: 1 h on Monday, 8 h on the 29th, 1 h on 1 March.
    assert office.add_business_time(at(MADRID, 2028, 2, 28, 16, 0), timedelta(hours=10)) == at(
        MADRID, 2028, 3, 1, 10, 0
    )


def test_overlapping_hours_are_counted_once():
    overlapping = BusinessCalendar("UTC", ((parse_interval("08:00-12:00"), parse_interval("10:00-14:00")),) * 7)
    day = datetime(2026, 6, 1, tzinfo=UTC)
    assert overlapping.business_time_between(day, day + timedelta(days=1)) == timedelta(hours=6)


def test_special_days_with_hours_of_their_own():
    cal = BusinessCalendar(
        "UTC",
        ((parse_interval("09:00-17:00"),),) * 7,
        {date(2026, 6, 2): SpecialDay(date(2026, 6, 2), "Inventario", ((600, 660),))},
    )
    assert cal.business_time_between(datetime(2026, 6, 2, tzinfo=UTC), datetime(2026, 6, 3, tzinfo=UTC)) == timedelta(
        hours=1
    )


def test_results_are_utc_and_inputs_must_be_aware():
    shop = load_calendar()
    due = shop.add_business_time(at(MADRID, 2026, 11, 25, 10, 0), timedelta(minutes=15))
    assert due.tzinfo is UTC
    with pytest.raises(ValueError):
        shop.is_open(datetime(2026, 11, 25, 10, 0))
    with pytest.raises(ValueError):
        shop.add_business_time(due, timedelta(minutes=-1))


def test_bad_calendars_are_refused_with_a_reason():
    with pytest.raises(CalendarError, match="timezone"):
        calendar_from_dict({"timezone": "Mars/Olympus"})
    with pytest.raises(CalendarError, match="HH:MM"):
        calendar_from_dict({"timezone": "UTC", "weekly": {"monday": ["9-5"]}})
    with pytest.raises(CalendarError, match="weekdays"):
        calendar_from_dict({"timezone": "UTC", "weekly": {"funday": ["09:00-10:00"]}})


def test_a_calendar_that_is_never_open_is_refused_when_it_is_built():
    with pytest.raises(CalendarError, match="no business time"):
        calendar_from_dict({"timezone": "UTC"})
    with pytest.raises(CalendarError, match="no business time"):
        BusinessCalendar("UTC", ((),) * 7, {date(2026, 6, 2): SpecialDay(date(2026, 6, 2), "Cerrado")})
    every_day_of_the_year = [
        {"month_day": f"{day:%m-%d}", "name": "Cerrado"} for day in _days(date(2028, 1, 1), date(2029, 1, 1))
    ]
    with pytest.raises(CalendarError, match="no business time"):
        calendar_from_dict({"weekly": {"monday": ["09:00-17:00"]}, "recurring": every_day_of_the_year})


def test_a_calendar_open_on_one_date_only_says_when_its_hours_are_over():
    fair = date(2026, 6, 2)
    one_day = BusinessCalendar("UTC", ((),) * 7, {fair: SpecialDay(fair, "Feria", ((600, 660),))})
    assert one_day.add_business_time(datetime(2026, 1, 1, tzinfo=UTC), timedelta(minutes=30)) == datetime(
        2026, 6, 2, 10, 30, tzinfo=UTC
    )
    twenty_years = (datetime(2016, 1, 1, tzinfo=UTC), datetime(2036, 1, 1, tzinfo=UTC))
    assert one_day.business_time_between(*twenty_years) == timedelta(hours=1)
    with pytest.raises(CalendarError, match="no business time after"):
        one_day.add_business_time(datetime(2026, 6, 2, 10, 30, tzinfo=UTC), timedelta(minutes=31))
    with pytest.raises(CalendarError, match="no business time after"):
        one_day.next_opening(datetime(2026, 6, 2, 11, 0, tzinfo=UTC))


def test_fall_back_night_counts_both_days_when_one_ends_in_the_repeated_hour():
    # New York falls back on Sunday 1 November 2026: 01:00-02:00 is lived twice (05:00Z EDT, then 06:00Z EST).
    # Saturday's overnight hours end at 01:30 (05:30Z, and again 06:30Z); Sunday's begin at 01:00 (05:00Z).
    cal = BusinessCalendar(
        "America/New_York", ((),) * 5 + ((parse_interval("16:00-01:30"),), (parse_interval("01:00-09:00"),))
    )
    five = datetime(2026, 11, 1, 5, 0, tzinfo=UTC)
    assert cal.add_business_time(five, timedelta(minutes=31)) == datetime(2026, 11, 1, 5, 31, tzinfo=UTC)
    assert cal.business_time_between(five, five + timedelta(hours=1)) == timedelta(hours=1)
    # Saturday 16:00 EDT to Sunday 09:00 EST is one unbroken stretch of 18 hours, as the oracle says.
    saturday, sunday = datetime(2026, 10, 31, 20, 0, tzinfo=UTC), datetime(2026, 11, 1, 14, 0, tzinfo=UTC)
    assert cal.business_time_between(saturday, sunday) == oracle_between(cal, saturday, sunday) == timedelta(hours=18)
    assert cal.add_business_time(saturday, timedelta(hours=18)) == sunday
    assert all(cal.is_open(five + timedelta(minutes=m)) for m in range(0, 90, 5))


def test_a_reply_three_years_later_is_measured_not_refused():
    shop = load_calendar(today=date(2026, 11, 25))
    submitted, replied = at(MADRID, 2026, 11, 25, 0, 0), at(MADRID, 2029, 11, 26, 0, 0)
    assert shop.business_time_between(submitted, replied) == _hours_by_day(shop, date(2026, 11, 25), date(2029, 11, 26))


def test_ten_years_are_measured_and_added_exactly():
    shop = load_calendar(today=date(2026, 11, 25))
    start, end = at(MADRID, 2027, 1, 1, 0, 0), at(MADRID, 2037, 1, 1, 0, 0)
    total = shop.business_time_between(start, end)
    assert total == _hours_by_day(shop, date(2027, 1, 1), date(2037, 1, 1))
    # The last opening of the decade: Nochevieja 2036, a Wednesday, closes at 14:00.
    assert shop.add_business_time(start, total) == at(MADRID, 2036, 12, 31, 14, 0)
    assert shop.business_time_between(end, start) == -total


def _days(first: date, last: date):
    """The dates in [first, last)."""
    return (first + timedelta(days=n) for n in range((last - first).days))


def _hours_by_day(calendar: BusinessCalendar, first: date, last: date) -> timedelta:
    """Business time in [first, last) by adding up each date's intervals.

    Only right for calendars whose intervals neither cross midnight nor meet a DST change (the shop's:
    Madrid changes at 02:00/03:00 on Sundays, when it is closed).
    """
    return sum(
        (timedelta(minutes=end - start) for d in _days(first, last) for start, end in calendar.intervals_on(d)),
        timedelta(0),
    )
