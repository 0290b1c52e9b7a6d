"""Secrets are refused in production when unset, a development default or short; development needs none."""

from __future__ import annotations

from typing import ClassVar

import pytest

from soporte.platform.settings import CommonSettings, InsecureSettings


class WithSecrets(CommonSettings):
    SECRETS: ClassVar[tuple[str, ...]] = ("desk_secret",)
    desk_secret: str = "dev-desk-secret-change-me"


def test_development_on_loopback_starts_with_the_defaults():
    WithSecrets().check_secrets("127.0.0.1")
    WithSecrets().check_secrets()


@pytest.mark.parametrize(
    ("value", "reason"),
    [("dev-desk-secret-change-me", "development default"), ("", "not set"), ("short", "shorter than 32 bytes")],
)
def test_production_refuses_a_weak_secret_and_names_it(value, reason):
    with pytest.raises(InsecureSettings, match=f"SOPORTE_DESK_SECRET .*{reason}"):
        WithSecrets(env="production", desk_secret=value).check_secrets()


def test_binding_to_a_public_address_counts_as_production():
    with pytest.raises(InsecureSettings, match="development default"):
        WithSecrets().check_secrets("0.0.0.0")
    WithSecrets(desk_secret="x" * 32).check_secrets("0.0.0.0")
    WithSecrets(env="production", desk_secret="s" * 40).check_secrets("10.0.0.5")
