"""The wall clock, injected everywhere as a callable so tests can set the time."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    """Now, aware and in UTC (never a naive ``utcnow()``)."""
    return datetime.now(UTC)
