"""Settings shared by every service, read from ``SOPORTE_*`` environment variables.

Defaults match the local stack that ``make run`` starts, so a developer needs no
configuration at all.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from typing import ClassVar

from pydantic import BaseModel, ConfigDict

DEFAULT_KAFKA_BOOTSTRAP = "127.0.0.1:19092"
DEFAULT_DATABASE_URL = "postgresql://soporte@127.0.0.1:55432/soporte"
DEFAULT_SMTP_HOST = "127.0.0.1"
DEFAULT_SMTP_PORT = 8025


MIN_SECRET_BYTES = 32


class InsecureSettings(RuntimeError):
    """A service asked to run in production with a secret that is unset, a development default or too short."""


class CommonSettings(BaseModel):
    """What every service needs: where Kafka and PostgreSQL are, and how to log."""

    model_config = ConfigDict(frozen=True)
    # A service's own variables may also come as SOPORTE_<SERVICE>_<FIELD> (they win over SOPORTE_<FIELD>).
    SERVICE_ENV_PREFIX: ClassVar[str | None] = None
    # The fields that hold secrets; development defaults of these start with "dev-".
    SECRETS: ClassVar[tuple[str, ...]] = ()

    env: str = "development"  # SOPORTE_ENV: "production" refuses weak secrets at start

    kafka_bootstrap: str = DEFAULT_KAFKA_BOOTSTRAP
    database_url: str = DEFAULT_DATABASE_URL
    topic_prefix: str = ""
    log_level: str = "INFO"
    log_json: bool = True

    @classmethod
    def env_values(cls, environ: Mapping[str, str] | None = None, prefix: str = "SOPORTE_") -> dict[str, str]:
        """The ``SOPORTE_<FIELD>`` variables that name a field of this model (lower-cased keys)."""
        environ = os.environ if environ is None else environ
        values = {}
        for name in cls.model_fields:
            key = f"{prefix}{name.upper()}"
            if key in environ:
                values[name] = environ[key]
        return values

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: object):
        """Build settings from the environment; keyword overrides win (tests use them)."""
        values = cls.env_values(environ)
        if cls.SERVICE_ENV_PREFIX:
            values.update(cls.env_values(environ, prefix=cls.SERVICE_ENV_PREFIX))
        return cls(**{**values, **overrides})

    def check_secrets(self, host: str | None = None) -> None:
        """In production (``SOPORTE_ENV=production``, or bound to a non-loopback ``host``) every secret must be
        set, not a development default, and at least 32 bytes: else ``InsecureSettings`` naming the first."""
        if self.env != "production" and (host is None or _is_loopback(host)):
            return
        for name in self.SECRETS:
            value = getattr(self, name) or ""
            variable = f"SOPORTE_{name.upper()}"
            if not value:
                problem = "is not set"
            elif value.startswith("dev-") or value == type(self).model_fields[name].default:
                problem = "is the development default"
            elif len(value.encode()) < MIN_SECRET_BYTES:
                problem = f"is shorter than {MIN_SECRET_BYTES} bytes"
            else:
                continue
            raise InsecureSettings(
                f"refusing to start in production: {variable} {problem} (e.g. `openssl rand -hex 32`)"
            )


def _is_loopback(host: str) -> bool:
    """Whether binding to ``host`` keeps a server on this machine ("" and 0.0.0.0 mean every interface)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
