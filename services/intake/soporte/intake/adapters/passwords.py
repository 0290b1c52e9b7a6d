"""Passwords as argon2id hashes (argon2-cffi), hashed and checked off the event loop.

``verify`` spends the same work when there is no hash to check (an unknown
address), so how long a sign-in takes does not tell whether the address is an
agent's. Passwords the desk makes are random and shown once (``new_password``).
"""

from __future__ import annotations

import asyncio
import secrets
from typing import Protocol

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError


class Passwords(Protocol):
    async def hash(self, password: str) -> str: ...

    async def verify(self, password_hash: str | None, password: str) -> bool: ...


def new_password() -> str:
    """A password the desk makes for an agent (16 characters, about 96 bits), to be changed or kept."""
    return secrets.token_urlsafe(12)


class Argon2Passwords:
    def __init__(self, hasher: PasswordHasher | None = None) -> None:
        self.hasher = hasher or PasswordHasher()
        self._stand_in: str | None = None  # checked when nobody has the address (made at the first need)

    async def hash(self, password: str) -> str:
        return await asyncio.to_thread(self.hasher.hash, password)

    async def verify(self, password_hash: str | None, password: str) -> bool:
        return await asyncio.to_thread(self._verify, password_hash, password)

    def _verify(self, password_hash: str | None, password: str) -> bool:
        if self._stand_in is None:
            self._stand_in = self.hasher.hash(secrets.token_urlsafe(16))
        try:
            return self.hasher.verify(password_hash or self._stand_in, password) and password_hash is not None
        except (VerificationError, InvalidHashError):
            return False
