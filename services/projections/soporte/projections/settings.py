"""Projections settings (``SOPORTE_*`` and ``SOPORTE_PROJECTIONS_*``)."""

from __future__ import annotations

from soporte.platform.http import Network, trusted_networks
from soporte.platform.settings import CommonSettings


class ProjectionsSettings(CommonSettings):
    SERVICE_ENV_PREFIX = "SOPORTE_PROJECTIONS_"

    host: str = "127.0.0.1"
    port: int = 8082
    intake_url: str = "http://127.0.0.1:8081"
    group_id: str = "soporte-projections"
    language: str = "es"  # pages' default language
    whoami_cache_seconds: float = 30.0
    read_your_writes_seconds: float = 5.0  # how long ?min_version (API) and ?v= (pages) wait at most
    console_refresh_seconds: float = 5.0
    cookie_secure: bool = False  # set when served over https
    # A signed-in person's reply with files (forms of people not signed in take 16 KiB: platform.guards).
    max_upload_bytes: int = 30 * 1024 * 1024
    body_idle_seconds: float = 30.0  # a request body that stops arriving this long is answered 408
    # Who may say who the client is (X-Forwarded-For): a reverse proxy in front. Intake is told the client's
    # address in turn, so its limits count people, not this service.
    trusted_proxies: str = "127.0.0.1,::1"
    weekly_summary: bool = True  # publish each desk week's SLA summary once it is over (with the live reader)
    weekly_summary_delay_minutes: float = 60.0  # how long after the week's end (late events come in meanwhile)
    weekly_summary_check_seconds: float = 60.0

    @property
    def proxy_networks(self) -> tuple[Network, ...]:
        return trusted_networks(self.trusted_proxies)
