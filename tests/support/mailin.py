"""Helpers of the mail-in tests: a pipeline that records what it is given, real clients' mails addressed to a
real ticket, and waiting for a condition."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable
from pathlib import Path

from soporte.intake.domain.inbound_mail import Envelope, Outcome, Verdict
from soporte.platform.reply_tokens import sign_reply_token

MAILS = Path(__file__).resolve().parents[1] / "unit" / "intake" / "mail"
# What the .eml fixtures answer: a ticket id and a reply token made up for them.
FIXTURE_TICKET, FIXTURE_TOKEN = "T-7F3K2M9QXA", "7f3k2m9qxaabcdefghijklmnop"


def fixture_mail(name: str, ticket_id: str | None = None, secret: str | None = None) -> bytes:
    """The .eml fixture ``name``; with a ticket and the desk secret, answering that ticket's real mails (its
    plus address, Message-IDs and subject carry the ticket's genuine token and id)."""
    raw = (MAILS / name).read_bytes()
    if ticket_id is not None and secret is not None:
        raw = raw.replace(FIXTURE_TOKEN.encode(), sign_reply_token(ticket_id, secret).encode())
        raw = raw.replace(FIXTURE_TICKET.encode(), ticket_id.encode())
    return raw


class RecordingPipeline:
    """An ``accept`` that keeps every mail it accepts; it can fail calls, or hold them until ``release()``."""

    def __init__(self) -> None:
        self.accepted: list[tuple[bytes, Envelope]] = []
        self.calls = 0
        self.failures_left = 0
        self.entered = asyncio.Event()  # set when a call is inside accept
        self._gate: asyncio.Event | None = None

    def fail_next(self, times: int = 1) -> None:
        self.failures_left = times

    def hold(self) -> None:
        self._gate = asyncio.Event()

    def release(self) -> None:
        assert self._gate is not None
        self._gate.set()

    async def __call__(self, raw: bytes, envelope: Envelope) -> Verdict:
        self.calls += 1
        self.entered.set()
        if self.failures_left:
            self.failures_left -= 1
            raise ConnectionError("the event store is not answering")
        if self._gate is not None:
            await self._gate.wait()
        self.accepted.append((raw, envelope))
        return Verdict(Outcome.ACCEPTED)


async def eventually(check: Callable[[], object], timeout: float = 20.0, interval: float = 0.05):
    """Poll ``check`` (plain or async) until it returns something truthy; AssertionError after ``timeout``."""
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    last = None
    while loop.time() < end:
        last = check()
        if inspect.isawaitable(last):
            last = await last
        if last:
            return last
        await asyncio.sleep(interval)
    raise AssertionError(f"not reached within {timeout}s (last: {last!r})")
