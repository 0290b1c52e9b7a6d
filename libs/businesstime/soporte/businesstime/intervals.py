"""Opening intervals in local wall minutes, and the error every unusable calendar raises.

An interval is ``(start, end)`` in minutes from local midnight, ``0 <= start < 1440``
and ``start < end <= start + 1440``: an end past 1440 is an overnight interval,
which belongs to the day it starts on.
"""

from __future__ import annotations

MINUTES_PER_DAY = 24 * 60

Interval = tuple[int, int]  # minutes from local midnight; end may pass 1440 (overnight)


class CalendarError(ValueError):
    """A calendar that cannot be used (bad interval, unknown timezone, never open, no holiday data)."""


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


def check_intervals(intervals: tuple[Interval, ...]) -> None:
    """Refuse intervals built in code (not parsed) that break the rules above."""
    for start, end in intervals:
        if not (0 <= start < MINUTES_PER_DAY and start < end <= start + MINUTES_PER_DAY):
            raise CalendarError(f"bad opening interval {(start, end)}")


def _minutes(text: str) -> int:
    hours, minutes = text.split(":")
    value = int(hours) * 60 + int(minutes)
    if not (0 <= int(minutes) < 60 and 0 <= value <= MINUTES_PER_DAY):
        raise ValueError(text)
    return value
