"""Business-hours calendar: when the desk is open, and how much open time lies between instants.

Semantics: an instant is in business time when its *local wall time* falls in an
opening interval of its local date (weekly hours, or a special day's own hours;
an overnight interval belongs to the day it starts on). Business time is the
union over all local dates. The math works per opening interval, never minute
by minute: each interval becomes the UTC spans of the instants showing its wall
times (``Zone.wall_time_spans``), exact across DST jumps both ways.

Special days (public holidays, the shop's recurring and dated ones) are looked up
per year and cached, so holidays are computed once per year, when first needed.

Guarantees: results are UTC; any range works (a walk is day by day over cached
spans, bounded by the range or the duration); a calendar that is never open is
refused when it is built, and one whose hours end (only dated special days) says
so instead of searching.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from .intervals import MINUTES_PER_DAY, CalendarError, Interval, check_intervals, parse_interval
from .special_days import PublicHolidays, RecurringDay, SpecialDay, SpecialDays
from .zone import MAX_OFFSET, Zone

__all__ = ["BusinessCalendar", "CalendarError", "Interval", "SpecialDay", "parse_interval"]

Span = tuple[datetime, datetime]  # UTC, start < end
_ZERO = timedelta(0)
_DAY = timedelta(days=1)
# A date's intervals end before 48 h of wall time past its midnight, so its spans end
# before that midnight (read as UTC) + 48 h + MAX_OFFSET: no earlier date reaches an instant.
_REACH = timedelta(hours=48) + MAX_OFFSET
_CACHED_DAYS = 20_000  # about 55 years of spans per calendar


@dataclass(frozen=True, eq=False)
class BusinessCalendar:
    """Opening hours in an IANA timezone, with special days. Immutable and shared; spans and holidays are cached."""

    timezone: str
    weekly: tuple[tuple[Interval, ...], ...]  # Monday=0 … Sunday=6
    special_days: Mapping[date, SpecialDay] = field(default_factory=dict)
    recurring: tuple[RecurringDay, ...] = ()
    public_holidays: PublicHolidays | None = None
    # Derived in __post_init__. tz: other code formats local times with it.
    tz: ZoneInfo = field(init=False, repr=False)
    _zone: Zone = field(init=False, repr=False)
    _special: SpecialDays = field(init=False, repr=False)
    _last_open_day: date | None = field(init=False, repr=False)  # None: hours recur forever
    # Caches (the calendar is shared and its answers never change): special days per year, spans per date.
    _special_by_year: dict[int, dict[date, SpecialDay]] = field(init=False, repr=False, default_factory=dict)
    _spans_cache: dict[date, tuple[Span, ...]] = field(init=False, repr=False, default_factory=dict)

    def __post_init__(self) -> None:
        if len(self.weekly) != 7:
            raise CalendarError("weekly hours need seven days, Monday first")
        for intervals in self.weekly:
            check_intervals(intervals)
        special = SpecialDays(self.special_days, self.recurring, self.public_holidays)
        zone = Zone(self.timezone)
        object.__setattr__(self, "_zone", zone)
        object.__setattr__(self, "tz", zone.tz)
        object.__setattr__(self, "_special", special)
        object.__setattr__(self, "_last_open_day", _last_open_day(self.weekly, special))

    @classmethod
    def always_open(cls, tz: str = "UTC") -> BusinessCalendar:
        """Open every minute of every day (tests, and the 24-hour attention clock)."""
        return cls(tz, tuple(((0, MINUTES_PER_DAY),) for _ in range(7)))

    # --- what the schedule says, in local wall time ----------------------------

    def intervals_on(self, day: date) -> tuple[Interval, ...]:
        """The opening intervals that start on local date ``day``."""
        special = self._special_day(day)
        if special is not None:
            return special.intervals
        return self.weekly[day.weekday()]

    def holiday_name(self, day: date) -> str | None:
        """The name of the holiday or special day on ``day``, if it is one."""
        special = self._special_day(day)
        return special.name if special else None

    def require_holiday_years(self, years: range) -> None:
        """CalendarError unless the holidays package covers every year in ``years`` (checked at load)."""
        if self.public_holidays is not None:
            self.public_holidays.require_years(years)

    def _special_day(self, day: date) -> SpecialDay | None:
        by_year = self._special_by_year
        if day.year not in by_year:
            by_year[day.year] = self._special.on_year(day.year)
        return by_year[day.year].get(day)

    # --- local date → UTC spans -------------------------------------------------

    def spans_on(self, day: date) -> tuple[Span, ...]:
        """UTC spans of the business time whose intervals start on local date ``day`` (sorted, disjoint)."""
        cache = self._spans_cache
        if day not in cache:
            if len(cache) > _CACHED_DAYS:
                cache.clear()
            midnight = datetime.combine(day, time())
            spans = [
                span
                for start, end in self.intervals_on(day)
                for span in self._zone.wall_time_spans(
                    midnight + timedelta(minutes=start), midnight + timedelta(minutes=end)
                )
            ]
            cache[day] = tuple(_merge(spans))
        return cache[day]

    def _spans_from(self, instant: datetime, until: datetime | None = None) -> Iterator[Span]:
        """The union of every date's spans, disjoint and in order, clipped to start at ``instant``.

        Consecutive dates' spans are not in order: on a fall-back night one date's
        overnight hours can end in the repeated hour after the next date's hours
        began in the first pass. So dates are merged into ``pending``, and a span is
        handed out only up to the watermark before which no later date has time
        (date D's spans start at or after D's midnight read as UTC - MAX_OFFSET).
        With ``until``, the walk ends once the watermark passes it.
        """
        day = (instant - _REACH).date()
        watermark = datetime.combine(day, time(), UTC) - MAX_OFFSET
        last_day = self._last_open_day
        pending: list[Span] = []
        while last_day is None or day <= last_day:
            spans = self.spans_on(day)
            pending = _merge([*pending, *spans]) if pending else list(spans)
            day, watermark = day + _DAY, watermark + _DAY
            done, pending = _split(pending, watermark)
            yield from _clip(done, instant)
            if until is not None and watermark >= until:
                break
        yield from _clip(pending, instant)

    # --- the public math ----------------------------------------------------------

    def is_open(self, instant: datetime) -> bool:
        """Whether ``instant`` (aware) lies in business time."""
        instant = _utc(instant)
        day = instant.astimezone(self.tz).date()
        # Only the intervals of its own local date, or overnight ones of the day before, hold its wall time.
        return any(start <= instant < end for d in (day - timedelta(days=1), day) for start, end in self.spans_on(d))

    def next_opening(self, instant: datetime) -> datetime:
        """``instant`` itself when open, else the start of the next business span (UTC)."""
        instant = _utc(instant)
        for start, _end in self._spans_from(instant):
            return start
        raise self._closed_after(instant)

    def add_business_time(self, start: datetime, duration: timedelta) -> datetime:
        """The instant (UTC) when ``duration`` of business time has passed since ``start``."""
        start = _utc(start)
        if duration < _ZERO:
            raise ValueError("duration must not be negative")
        remaining = duration
        if remaining == _ZERO:
            return start
        for span_start, span_end in self._spans_from(start):
            if remaining <= span_end - span_start:
                return span_start + remaining
            remaining -= span_end - span_start
        raise self._closed_after(start)

    def business_time_between(self, a: datetime, b: datetime) -> timedelta:
        """Business time in [a, b); negative when b is before a."""
        a, b = _utc(a), _utc(b)
        if b < a:
            return -self.business_time_between(b, a)
        total = _ZERO
        for start, end in self._spans_from(a, until=b):
            if start >= b:
                break
            total += min(end, b) - start
        return total

    def _closed_after(self, instant: datetime) -> CalendarError:
        return CalendarError(f"the calendar has no business time after {instant} (its last opening day is over)")


def _last_open_day(weekly: tuple[tuple[Interval, ...], ...], special: SpecialDays) -> date | None:
    """The last local date with hours, None when hours recur forever; CalendarError when there are none at all.

    Checked once, cheaply, so that no walk ever searches for an opening that cannot come.
    """
    closed_every_year = {(r.month, r.day) for r in special.recurring if not r.intervals}
    if any(r.intervals for r in special.recurring) or (any(weekly) and len(closed_every_year) < 366):
        return None
    dated = [day for day, s in special.dated.items() if s.intervals]
    if not dated:
        why = "every day of the year is a recurring closing day" if any(weekly) else "no day has opening hours"
        raise CalendarError(f"the calendar has no business time: {why}")
    return max(dated)


def _utc(instant: datetime) -> datetime:
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError("business time needs aware datetimes")
    return instant.astimezone(UTC)


def _merge(spans: list[Span]) -> list[Span]:
    """The union of ``spans`` as sorted, disjoint spans (touching ones joined)."""
    merged: list[Span] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _split(spans: list[Span], at: datetime) -> tuple[list[Span], list[Span]]:
    """Sorted spans cut into the parts before ``at`` and the parts from ``at`` on."""
    before = [(start, min(end, at)) for start, end in spans if start < at]
    after = [(max(start, at), end) for start, end in spans if end > at]
    return before, after


def _clip(spans: list[Span], instant: datetime) -> Iterator[Span]:
    for start, end in spans:
        if end > instant:
            yield max(start, instant), end
