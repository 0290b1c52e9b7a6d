"""Holidays from the holidays package, the shop's recurring and dated special days, and the calendar YAML."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import holidays
import pytest

from soporte.businesstime import CalendarError, calendar_from_dict, load_calendar

MADRID = ZoneInfo("Europe/Madrid")
TODAY = date(2026, 11, 25)
SHOP = {
    "timezone": "Europe/Madrid",
    "weekly": {day: ["00:00-18:00"] for day in ("monday", "tuesday", "wednesday", "thursday", "friday")},
    "holidays": {"country": "ES", "subdivision": "MD"},
    "recurring": [
        {"month_day": "12-24", "name": "Nochebuena", "hours": ["00:00-14:00"]},
        {"month_day": "12-31", "name": "Nochevieja", "hours": ["00:00-14:00"]},
    ],
}


def at(*args) -> datetime:
    return datetime(*args, tzinfo=MADRID)


def shop(**changes) -> dict:
    return {**SHOP, **changes}


def test_madrid_holidays_are_closed_and_named_in_spanish():
    cal = load_calendar(today=TODAY)
    assert cal.holiday_name(date(2027, 3, 19)) == "San José"  # Comunidad de Madrid in 2027
    assert not cal.is_open(at(2027, 3, 19, 10, 0))
    assert cal.holiday_name(date(2027, 5, 3)) == "Lunes siguiente a Fiesta de la Comunidad de Madrid"
    assert cal.holiday_name(date(2027, 5, 4)) is None and cal.is_open(at(2027, 5, 4, 10, 0))
    # Past the end of the old hand-kept list (2027): the package knows the years ahead.
    assert cal.holiday_name(date(2031, 1, 6)) == "Epifanía del Señor"


def test_nochebuena_and_nochevieja_close_at_two_every_year():
    cal = load_calendar(today=TODAY)
    for year in (2026, 2030, 2035):
        assert cal.is_open(at(year, 12, 24, 13, 59)) and not cal.is_open(at(year, 12, 24, 14, 0))
        assert cal.holiday_name(date(year, 12, 31)) == "Nochevieja"
        assert not cal.is_open(at(year, 12, 31, 14, 0))
    # A recurring day keeps its hours whatever the weekday: 24 December 2028 is a Sunday.
    assert cal.is_open(at(2028, 12, 24, 10, 0))


def test_a_dated_entry_wins_over_a_recurring_one_and_over_a_public_holiday():
    cal = calendar_from_dict(
        shop(
            special_days=[
                {"date": date(2027, 12, 24), "name": "Inventario", "hours": ["00:00-10:00"]},
                {"date": "2027-01-06", "name": "Rebajas", "hours": ["09:00-13:00"]},
                {"date": "2027-07-30", "name": "Cierre de verano"},
            ]
        ),
        today=TODAY,
    )
    assert cal.holiday_name(date(2027, 12, 24)) == "Inventario" and not cal.is_open(at(2027, 12, 24, 10, 0))
    assert cal.holiday_name(date(2028, 12, 24)) == "Nochebuena"
    assert cal.is_open(at(2027, 1, 6, 9, 0)) and not cal.is_open(at(2027, 1, 6, 8, 59))
    assert not cal.is_open(at(2027, 7, 30, 10, 0))  # a Friday: the shop's own closing day


def test_a_recurring_29_february_happens_in_leap_years_only():
    cal = calendar_from_dict(shop(recurring=[{"month_day": "02-29", "name": "Bisiesto"}]), today=TODAY)
    assert cal.holiday_name(date(2028, 2, 29)) == "Bisiesto" and not cal.is_open(at(2028, 2, 29, 10, 0))
    assert cal.holiday_name(date(2027, 2, 28)) is None


def test_names_in_another_language_when_asked():
    cal = calendar_from_dict(shop(holidays={"country": "ES", "subdivision": "MD", "language": "en_US"}), today=TODAY)
    assert cal.holiday_name(date(2026, 12, 25)) == "Christmas Day"


def test_years_the_package_does_not_cover_are_refused_at_load_and_later():
    with pytest.raises(CalendarError, match="2101"):
        calendar_from_dict(SHOP, today=date(2099, 6, 1))
    with pytest.raises(CalendarError, match="2007"):
        calendar_from_dict(SHOP, today=date(2008, 6, 1))
    cal = calendar_from_dict(SHOP, today=TODAY)
    with pytest.raises(CalendarError, match="no ES-MD holidays for 2005"):
        cal.is_open(datetime(2005, 6, 1, tzinfo=UTC))


def test_holidays_are_computed_lazily_once_per_year(monkeypatch):
    computed: list[int] = []
    real = holidays.country_holidays

    def counting(*args, **kwargs):
        if kwargs.get("years") is not None:
            computed.append(kwargs["years"])
        return real(*args, **kwargs)

    monkeypatch.setattr(holidays, "country_holidays", counting)
    cal = load_calendar(today=TODAY)
    assert computed == []
    for day in range(1, 29):
        cal.is_open(at(2027, 2, day, 12, 0))
    assert computed == [2027]
    cal.business_time_between(at(2027, 1, 1, 0, 0), at(2029, 1, 1, 0, 0))
    cal.add_business_time(at(2027, 6, 1, 0, 0), timedelta(hours=1000))
    assert sorted(computed) == sorted(set(computed)) and {2026, 2028, 2029} <= set(computed)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"holidays": {"country": "XX"}}, "Country XX not available"),
        ({"holidays": {"country": "ES", "subdivision": "ZZ"}}, "subdivision ZZ"),
        ({"holidays": {"country": "ES", "language": "fr"}}, "no names in 'fr'"),
        ({"holidays": {"subdivision": "MD"}}, "name a country"),
        ({"holidays": {"country": "ES", "subdivison": "MD"}}, "unknown keys"),
        ({"holiday": {"country": "ES"}}, "unknown keys"),
        ({"recurring": [{"month_day": "24-12", "name": "Nochebuena"}]}, "bad recurring day"),
        ({"recurring": [{"month_day": "12/24", "name": "Nochebuena"}]}, "MM-DD"),
        ({"recurring": [{"date": "12-24", "name": "Nochebuena"}]}, "unknown keys"),
        ({"special_days": [{"date": "2027-13-01", "name": "?"}]}, "bad date"),
        ({"special_days": ["2027-05-14"]}, "expected a mapping"),
    ],
)
def test_calendar_files_are_checked(changes, message):
    with pytest.raises(CalendarError, match=message):
        calendar_from_dict(shop(**changes), today=TODAY)


def test_a_calendar_file_from_the_environment(tmp_path, monkeypatch):
    path = tmp_path / "calendar.yaml"
    path.write_text(
        "timezone: America/Mexico_City\n"
        "weekly: {monday: ['09:00-18:00'], tuesday: ['09:00-18:00']}\n"
        "holidays: {country: MX}\n"
        "recurring: [{month_day: '12-12', name: Día de la Virgen de Guadalupe}]\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("SOPORTE_CALENDAR_FILE", str(path))
    cal = load_calendar(today=TODAY)
    assert cal.holiday_name(date(2027, 2, 1)) == "Día de la Constitución"  # first Monday of February
    assert not cal.is_open(datetime(2027, 2, 1, 12, 0, tzinfo=cal.tz))
    assert cal.is_open(datetime(2027, 2, 2, 12, 0, tzinfo=cal.tz))
