"""What a failed send means: given up at once (permanent) or tried again later, with jittered backoff.

Pure: the sender decides with these, the ledger records the outcome.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta


class DeliveryError(Exception):
    """Sending failed; ``permanent`` ones are not retried (5xx, refused address, a mail that cannot render)."""

    def __init__(self, reason: str, *, permanent: bool) -> None:
        super().__init__(reason)
        self.reason, self.permanent = reason, permanent


def is_permanent_smtp_code(code: int) -> bool:
    """SMTP 5xx is permanent; 4xx and connection problems are worth retrying."""
    return 500 <= code < 600


def retry_delay(attempt: int, base: timedelta, cap: timedelta, rng: random.Random | None = None) -> timedelta:
    """Exponential backoff with full jitter: a random wait up to base * 2^(attempt-1), capped."""
    ceiling = min(cap, base * (2 ** max(0, attempt - 1)))
    return ceiling * (rng or random).random()


def next_attempt_at(
    now: datetime, attempt: int, base: timedelta, cap: timedelta, rng: random.Random | None = None
) -> datetime:
    return now + retry_delay(attempt, base, cap, rng)
