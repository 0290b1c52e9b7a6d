"""Business-hours calendar: when the desk is open, and how much open time lies between instants.

Semantics: an instant is in business time when its *local wall time* falls in an
opening interval of its local date (weekly hours, or a special day's own hours;
an overnight interval belongs to the day it starts on). The math works per
opening interval, never minute by minute: each local date is cut into the
pieces where the UTC offset is constant, and each interval becomes at most one
UTC span per piece. That is exact across DST jumps both ways.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

MINUTES_PER_DAY = 24 * 60
_SEARCH_LIMIT_DAYS = 3 * 366  # a calendar that never opens must not loop forever
_ZERO = timedelta(0)

Interval = tuple[int, int]  # minutes from local midnight; end may pass 1440 (overnight)


class CalendarError(ValueError):
    """A calendar that cannot be used (bad interval, unknown timezone, never open)."""


def parse_interval(text: str) -> Interval:
    """``"09:00-18:00"`` → (540, 1080); ``"22:00-02:00"`` is overnight → (1320, 1560); ``"24:00"`` ends a day."""
    try:
        start_text, end_text = (part.strip() for part in text.split("-"))
        start, end = _minutes(start_text), _minutes(end_text)
    except (ValueError, AttributeError) as exc:
        raise CalendarError(f"bad opening interval {text!r}: use HH:MM-HH:MM") from exc
    if start >= MINUTES_PER_DAY:
        raise CalendarError(f"bad opening interval {text!r}: it must start before 24:00")
    if end <= start:
        end += MINUTES_PER_DAY
    return (start, end)


def _minutes(text: str) -> int:
    hours, minutes = text.split(":")
    value = int(hours) * 60 + int(minutes)
    if not (0 <= int(minutes) < 60 and 0 <= value <= MINUTES_PER_DAY):
        raise ValueError(text)
    return value


@dataclass(frozen=True)
class SpecialDay:
    """A holiday (no hours) or a day with hours of its own (e.g. Christmas Eve mornings)."""

    day: date
    name: str
    intervals: tuple[Interval, ...] = ()


@dataclass(frozen=True, eq=False)
class BusinessCalendar:
    """Opening hours in an IANA timezone, with special days. Immutable; results are cached per date."""

    timezone: str
    weekly: tuple[tuple[Interval, ...], ...]  # Monday=0 … Sunday=6
    special_days: Mapping[date, SpecialDay] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if len(self.weekly) != 7:
            raise CalendarError("weekly hours need seven days, Monday first")
        try:
            object.__setattr__(self, "tz", ZoneInfo(self.timezone))
        except Exception as exc:  # ZoneInfoNotFoundError, ValueError
            raise CalendarError(f"unknown timezone {self.timezone!r}") from exc
        for intervals in [*self.weekly, *(s.intervals for s in self.special_days.values())]:
            for start, end in intervals:
                if not (0 <= start < end <= start + MINUTES_PER_DAY):
                    raise CalendarError(f"bad opening interval {(start, end)}")
        # Per-instance cache of the UTC spans of each local date.
        object.__setattr__(self, "_spans_cache", {})

    @classmethod
    def always_open(cls, tz: str = "UTC") -> BusinessCalendar:
        """Open every minute of every day (tests, and the 24-hour attention clock)."""
        return cls(tz, tuple(((0, MINUTES_PER_DAY),) for _ in range(7)))

    # --- what the schedule says, in local wall time ----------------------------

    def intervals_on(self, day: date) -> tuple[Interval, ...]:
        """The opening intervals that start on local date ``day``."""
        special = self.special_days.get(day)
        if special is not None:
            return special.intervals
        return self.weekly[day.weekday()]

    def holiday_name(self, day: date) -> str | None:
        special = self.special_days.get(day)
        return special.name if special else None

    # --- local date → UTC spans -------------------------------------------------

    def spans_on(self, day: date) -> tuple[tuple[datetime, datetime], ...]:
        """UTC spans of the business time whose intervals start on local date ``day`` (sorted, disjoint)."""
        cache: dict = self._spans_cache  # type: ignore[attr-defined]
        if day not in cache:
            if len(cache) > 20_000:
                cache.clear()
            cache[day] = self._compute_spans(day)
        return cache[day]

    def _compute_spans(self, day: date) -> tuple[tuple[datetime, datetime], ...]:
        midnight = datetime.combine(day, time())
        spans = []
        for start, end in self.intervals_on(day):
            local_start, local_end = midnight + timedelta(minutes=start), midnight + timedelta(minutes=end)
            for piece_start, piece_end, offset in self._offset_pieces(local_start, local_end):
                # Within a piece local = utc + offset, so the wall-time interval maps to one span.
                lo = max(piece_start, (local_start - offset).replace(tzinfo=UTC))
                hi = min(piece_end, (local_end - offset).replace(tzinfo=UTC))
                if lo < hi:
                    spans.append((lo, hi))
        return tuple(_merge(spans))

    def _offset_pieces(self, local_start: datetime, local_end: datetime) -> list[tuple[datetime, datetime, timedelta]]:
        """The UTC pieces, each with a constant offset, that cover every instant whose wall time is in range."""
        # Offsets stay within ±26 h, so this UTC window holds every such instant.
        lo = local_start.replace(tzinfo=UTC) - timedelta(hours=26)
        hi = local_end.replace(tzinfo=UTC) + timedelta(hours=26)
        cuts = [lo, *self._transitions(lo, hi), hi]
        return [(a, b, self._offset(a)) for a, b in itertools.pairwise(cuts) if a < b]

    def _offset(self, instant: datetime) -> timedelta:
        return instant.astimezone(self.tz).utcoffset() or _ZERO

    def _transitions(self, lo: datetime, hi: datetime) -> list[datetime]:
        """Instants in (lo, hi) where the UTC offset changes, found by hourly probes then bisection."""
        found, step = [], timedelta(hours=1)
        probe, offset = lo, self._offset(lo)
        while probe < hi:
            nxt = min(probe + step, hi)
            next_offset = self._offset(nxt)
            if next_offset != offset:
                a, b = probe, nxt  # offset(a) == offset, offset(b) != offset
                while b - a > timedelta(seconds=1):
                    mid = a + (b - a) / 2
                    mid = mid.replace(microsecond=0)
                    if mid <= a:
                        break
                    if self._offset(mid) == offset:
                        a = mid
                    else:
                        b = mid
                found.append(b)
            probe, offset = nxt, next_offset
        return found

    def _spans_from(self, instant: datetime, until: datetime | None = None) -> Iterable[tuple[datetime, datetime]]:
        """Disjoint business spans, in order, that end after ``instant``.

        Days are walked from the day before (its overnight hours may reach
        ``instant``); a span overlapping what an earlier day already gave is clipped,
        so the result is the union of every day's hours. With ``until``, the walk
        stops after that instant's local date.
        """
        day = instant.astimezone(self.tz).date() - timedelta(days=1)
        last_day = until.astimezone(self.tz).date() if until is not None else None
        covered_until = instant
        for _ in range(_SEARCH_LIMIT_DAYS):
            if last_day is not None and day > last_day:
                return
            for start, end in self.spans_on(day):
                if end > covered_until:
                    yield max(start, covered_until), end
                    covered_until = end
            day += timedelta(days=1)
        raise CalendarError(f"the calendar has no business time within {_SEARCH_LIMIT_DAYS} days of {instant}")

    # --- the public math ----------------------------------------------------------

    def is_open(self, instant: datetime) -> bool:
        """Whether ``instant`` (aware) lies in business time."""
        instant = _utc(instant)
        day = instant.astimezone(self.tz).date()
        for d in (day - timedelta(days=1), day):
            for start, end in self.spans_on(d):
                if start <= instant < end:
                    return True
        return False

    def next_opening(self, instant: datetime) -> datetime:
        """``instant`` itself when open, else the start of the next business span (UTC)."""
        instant = _utc(instant)
        for start, _end in self._spans_from(instant):
            return max(start, instant)
        raise AssertionError("unreachable")  # _spans_from raises when nothing is found

    def add_business_time(self, start: datetime, duration: timedelta) -> datetime:
        """The instant (UTC) when ``duration`` of business time has passed since ``start``."""
        start = _utc(start)
        if duration < _ZERO:
            raise ValueError("duration must not be negative")
        remaining = duration
        if remaining == _ZERO:
            return start
        for span_start, span_end in self._spans_from(start):
            begin = max(span_start, start)
            available = span_end - begin
            if remaining <= available:
                return begin + remaining
            remaining -= available
        raise AssertionError("unreachable")

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


def _utc(instant: datetime) -> datetime:
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError("business time needs aware datetimes")
    return instant.astimezone(UTC)


def _merge(spans: list[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    merged: list[tuple[datetime, datetime]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged
