"""Settings shared by every service, read from ``SOPORTE_*`` environment variables.

Defaults match the local stack that ``make run`` starts, so a developer needs no
configuration at all.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import ClassVar

from pydantic import BaseModel, ConfigDict

DEFAULT_KAFKA_BOOTSTRAP = "127.0.0.1:19092"
DEFAULT_DATABASE_URL = "postgresql://soporte@127.0.0.1:55432/soporte"
DEFAULT_SMTP_HOST = "127.0.0.1"
DEFAULT_SMTP_PORT = 8025


class CommonSettings(BaseModel):
    """What every service needs: where Kafka and PostgreSQL are, and how to log."""

    model_config = ConfigDict(frozen=True)
    # A service's own variables may also come as SOPORTE_<SERVICE>_<FIELD> (they win over SOPORTE_<FIELD>).
    SERVICE_ENV_PREFIX: ClassVar[str | None] = None

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
