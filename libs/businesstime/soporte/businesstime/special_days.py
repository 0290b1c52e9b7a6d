"""Days that do not follow the weekly hours: public holidays, the shop's closing days, special hours.

Three sources, the most specific first: a dated entry (``SpecialDay``), a
yearly one (``RecurringDay``, e.g. every 24 December), and the public holidays
of a country and subdivision from the pinned ``holidays`` package
(``PublicHolidays``). ``SpecialDays.on_year`` merges them for one year; the
calendar caches that per year, so holidays are computed once per year, lazily.

A year the package has no data for is a ``CalendarError`` (``require_years`` at
load time, and any later lookup), never a year silently without holidays.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date

import holidays as holidays_package

from .intervals import CalendarError, Interval, check_intervals


@dataclass(frozen=True)
class SpecialDay:
    """A holiday (no hours) or a day with hours of its own (e.g. Christmas Eve mornings)."""

    day: date
    name: str
    intervals: tuple[Interval, ...] = ()


@dataclass(frozen=True)
class RecurringDay:
    """The same month and day every year: a closing day (no hours) or hours of its own."""

    month: int
    day: int
    name: str
    intervals: tuple[Interval, ...] = ()

    def __post_init__(self) -> None:
        try:
            date(2000, self.month, self.day)  # a leap year: 29 February is allowed
        except ValueError as exc:
            raise CalendarError(f"bad recurring day {self.month:02d}-{self.day:02d}: use MM-DD") from exc
        check_intervals(self.intervals)

    def in_year(self, year: int) -> SpecialDay | None:
        """This year's occurrence; none for 29 February in a common year."""
        try:
            return SpecialDay(date(year, self.month, self.day), self.name, self.intervals)
        except ValueError:
            return None


@dataclass(frozen=True, eq=False)
class PublicHolidays:
    """Closing days from the ``holidays`` package; names in ``language`` (Spanish when offered, else its default)."""

    country: str
    subdivision: str | None = None
    language: str | None = None
    years: range = field(init=False, repr=False)  # the years the package has data for

    def __post_init__(self) -> None:
        try:
            # Built without years, so nothing is computed yet; it checks country and subdivision.
            probe = holidays_package.country_holidays(self.country, subdiv=self.subdivision)
        except NotImplementedError as exc:
            raise CalendarError(f"holidays: {exc}") from exc
        languages = probe.supported_languages
        language = self.language or ("es" if "es" in languages else probe.default_language)
        if self.language and self.language not in languages:
            # The package would fall back to its default language without a word.
            raise CalendarError(f"holidays: {self.country} has no names in {self.language!r} (only {languages})")
        object.__setattr__(self, "language", language)
        object.__setattr__(self, "years", range(probe.start_year, probe.end_year + 1))

    def require_years(self, years: Iterable[int]) -> None:
        """Refuse to start when the package lacks one of the years the desk will need."""
        for year in years:
            self._check(year)

    def in_year(self, year: int) -> dict[date, str]:
        self._check(year)
        found = holidays_package.country_holidays(
            self.country, subdiv=self.subdivision, years=year, language=self.language
        )
        return dict(found.items())

    def _check(self, year: int) -> None:
        years = self.years
        if year not in years:
            where = self.country + (f"-{self.subdivision}" if self.subdivision else "")
            raise CalendarError(
                f"the holidays package has no {where} holidays for {year} (it covers {years.start}-{years.stop - 1})"
            )


@dataclass(frozen=True, eq=False)
class SpecialDays:
    """Every source of special days, most specific first: dated, then recurring, then public holidays."""

    dated: Mapping[date, SpecialDay] = field(default_factory=dict)
    recurring: tuple[RecurringDay, ...] = ()
    public: PublicHolidays | None = None

    def __post_init__(self) -> None:
        for special in self.dated.values():
            check_intervals(special.intervals)

    def on_year(self, year: int) -> dict[date, SpecialDay]:
        """The special days of ``year`` by date (computes the public holidays: callers cache this)."""
        days: dict[date, SpecialDay] = {}
        if self.public is not None:
            days.update({day: SpecialDay(day, name) for day, name in self.public.in_year(year).items()})
        for recurring in self.recurring:
            special = recurring.in_year(year)
            if special is not None:
                days[special.day] = special
        days.update({day: special for day, special in self.dated.items() if day.year == year})
        return days

    def has_hours(self) -> bool:
        return any(s.intervals for s in self.dated.values()) or any(r.intervals for r in self.recurring)
