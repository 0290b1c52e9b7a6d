"""Durations as configuration files write them (``15m``, ``24h``, ``90s``, ``1d``)."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from .intervals import CalendarError

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d)\s*$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def parse_duration(value: Any) -> timedelta:
    """``"15m"``, ``"24h"``, ``"90s"``, ``"1d"`` or a number of seconds."""
    if isinstance(value, int | float):
        return timedelta(seconds=value)
    match = _DURATION.match(str(value))
    if not match:
        raise CalendarError(f"bad duration {value!r}: use e.g. 90s, 15m, 24h, 1d")
    return timedelta(**{_UNITS[match[2]]: float(match[1])})
