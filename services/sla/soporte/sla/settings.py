"""SLA processor settings (``SOPORTE_*`` environment variables)."""

from __future__ import annotations

from soporte.platform.settings import CommonSettings


class SlaSettings(CommonSettings):
    """What the SLA processor reads from the environment on top of the common settings."""

    sla_app_id: str = "soporte-sla"  # SOPORTE_SLA_APP_ID: Kafka client id; names this processor in dead letters
    sla_host: str = "127.0.0.1"
    sla_port: int = 8083  # SOPORTE_SLA_PORT: /healthz, /readyz, /metrics, /kpis
    sla_web_enabled: bool = True  # SOPORTE_SLA_WEB_ENABLED=false: no HTTP server (tests)
    calendar_file: str | None = None  # SOPORTE_CALENDAR_FILE (else the packaged calendar)
    sla_policy_file: str | None = None  # SOPORTE_SLA_POLICY_FILE (else the packaged policies)
    sla_tick_seconds: float = 1.0  # SOPORTE_SLA_TICK_SECONDS: the longest wait between due-timer checks
    sla_session_timeout_seconds: float = (
        10.0  # SOPORTE_SLA_SESSION_TIMEOUT_SECONDS: a dead worker's partitions move after this
    )
    # SOPORTE_SLA_ALLOWED_LATENESS_SECONDS: a timer raises a level this long after it is due (and only once every
    # event of the ticket's partition is read), so an answer given just in time but relayed late is never a breach.
    sla_allowed_lateness_seconds: float = 3.0
    # SOPORTE_SLA_INTAKE_URL: intake, asked before every timer round how far publication has come
    # (GET /api/v1/publication), so a timer never outruns an answer still waiting in intake's outbox (the broker or
    # PostgreSQL away for longer than the lateness); unreachable, the timers wait. Empty: not asked (tests only).
    sla_intake_url: str = ""
    sla_stall_timeout_seconds: float = (
        300.0  # SOPORTE_SLA_STALL_TIMEOUT_SECONDS: faust logs a partition not fetched/processed/committed for this long
    )
