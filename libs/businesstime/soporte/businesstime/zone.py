"""A timezone from the pinned ``tzdata`` package, and which UTC instants show a given wall time.

Guarantees:

- The zone is read from the ``tzdata`` package this library pins, never from the
  system's /usr/share/zoneinfo, so every service and every host agree on the
  rules; no global state (``zoneinfo`` TZPATH, caches) is touched.
- ``Zone.wall_time_spans`` is exact: it returns every UTC instant whose local wall
  time lies in a range, across gaps (spring forward) and repeated hours (fall back).
- Offset changes are found once per UTC year and cached (a ``Zone`` is shared
  by every call of its calendar, and the cache only grows by whole years).
"""

from __future__ import annotations

import bisect
import itertools
from datetime import UTC, datetime, timedelta
from importlib import resources
from zoneinfo import ZoneInfo

from .intervals import CalendarError

# Offsets stay within ±26 h (real ones, old local mean times included, within ±16 h), so a window this wide
# around a wall time holds every instant that shows it.
MAX_OFFSET = timedelta(hours=26)
# Offset changes are found by probing once a UTC day, then bisecting. That is exact
# as long as no zone changes its offset twice within a day: since 1970 none has done
# so within six days, and test_zone.py checks it still holds for the pinned tzdata.
_PROBE_STEP = timedelta(days=1)
_ZERO = timedelta(0)


class TzdataZone(ZoneInfo):
    """A ZoneInfo read from the tzdata package; pickles (and deep-copies) by key, which plain ``from_file`` cannot."""

    def __reduce__(self):
        return (load_zone, (self.key,))


def load_zone(name: str) -> TzdataZone:
    """The IANA zone ``name`` from the pinned tzdata package; an unknown name is a CalendarError."""
    parts = name.split("/")
    if not name or any(part in ("", ".", "..") for part in parts):
        raise CalendarError(f"unknown timezone {name!r}")
    try:
        with resources.files("tzdata.zoneinfo").joinpath(*parts).open("rb") as tzif:
            return TzdataZone.from_file(tzif, key=name)
    except (OSError, ValueError) as exc:  # no such file (or a directory such as "Europe"); not a TZif file
        raise CalendarError(f"unknown timezone {name!r}") from exc


class Zone:
    """A tzdata zone with its offset changes cached per UTC year."""

    def __init__(self, name: str) -> None:
        self.tz = load_zone(name)
        self._transitions_by_year: dict[int, list[datetime]] = {}

    def offset(self, instant: datetime) -> timedelta:
        return instant.astimezone(self.tz).utcoffset() or _ZERO

    def wall_time_spans(self, local_start: datetime, local_end: datetime) -> list[tuple[datetime, datetime]]:
        """UTC spans, sorted and disjoint, of the instants whose (naive) local wall time is in [start, end)."""
        # The wall times read as UTC: within a piece of constant offset, utc = wall - offset.
        wall_start, wall_end = local_start.replace(tzinfo=UTC), local_end.replace(tzinfo=UTC)
        lo, hi = wall_start - MAX_OFFSET, wall_end + MAX_OFFSET
        changes = self.transitions(lo, hi)
        if not changes:  # most days: one offset, one span
            offset = self.offset(lo)
            return [(wall_start - offset, wall_end - offset)]
        cuts = [lo, *changes, hi]
        spans = []
        for piece_start, piece_end in itertools.pairwise(cuts):
            offset = self.offset(piece_start)
            span_start = max(piece_start, wall_start - offset)
            span_end = min(piece_end, wall_end - offset)
            if span_start < span_end:
                spans.append((span_start, span_end))
        return spans

    def transitions(self, lo: datetime, hi: datetime) -> list[datetime]:
        """Instants in (lo, hi) where the UTC offset changes, in order."""
        found = self._transitions_in(lo.year)
        if hi.year != lo.year:
            found = [t for year in range(lo.year, hi.year + 1) for t in self._transitions_in(year)]
        return found[bisect.bisect_right(found, lo) : bisect.bisect_left(found, hi)]

    def _transitions_in(self, year: int) -> list[datetime]:
        """The offset changes in (1 Jan ``year``, 1 Jan ``year + 1``] UTC, to the second."""
        if year not in self._transitions_by_year:
            start, end = datetime(year, 1, 1, tzinfo=UTC), datetime(year + 1, 1, 1, tzinfo=UTC)
            found = []
            probe, offset = start, self.offset(start)
            while probe < end:
                nxt = min(probe + _PROBE_STEP, end)
                next_offset = self.offset(nxt)
                if next_offset != offset:
                    found.append(self._bisect(probe, nxt, offset))
                probe, offset = nxt, next_offset
            self._transitions_by_year[year] = found
        return self._transitions_by_year[year]

    def _bisect(self, before: datetime, after: datetime, offset: timedelta) -> datetime:
        """The first whole second after ``before`` with another offset (zones change on whole seconds)."""
        while after - before > timedelta(seconds=1):
            middle = (before + (after - before) / 2).replace(microsecond=0)
            if self.offset(middle) == offset:
                before = middle
            else:
                after = middle
        return after
