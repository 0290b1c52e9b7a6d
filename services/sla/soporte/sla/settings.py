"""SLA processor settings (``SOPORTE_*`` and ``SOPORTE_SLA_*`` environment variables)."""

from __future__ import annotations

import os
from collections.abc import Mapping

from soporte.platform.settings import CommonSettings


class SlaSettings(CommonSettings):
    app_id: str = "soporte-sla"
    host: str = "127.0.0.1"
    port: int = 8083
    web_enabled: bool = True
    tick_seconds: float = 1.0

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: object) -> "SlaSettings":
        environ = os.environ if environ is None else environ
        values = {**cls.env_values(environ), **cls.env_values(environ, prefix="SOPORTE_SLA_")}
        return cls(**{**values, **overrides})
