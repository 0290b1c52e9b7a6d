"""Intake settings (``SOPORTE_*`` and ``SOPORTE_INTAKE_*``)."""

from __future__ import annotations

from soporte.platform.settings import CommonSettings


class IntakeSettings(CommonSettings):
    SERVICE_ENV_PREFIX = "SOPORTE_INTAKE_"

    host: str = "127.0.0.1"
    port: int = 8081
    portal_url: str = "http://127.0.0.1:8082"
    # Development defaults; production sets both through the environment.
    shop_secret: str = "dev-shop-secret-change-me"
    desk_secret: str = "dev-desk-secret-change-me"
    ticket_token_days: int = 90
    guest_session_minutes: int = 60
    max_body_bytes: int = 1_000_000
    guest_attempts_per_order: int = 5
    guest_attempts_per_client: int = 20
    guest_attempt_window_seconds: int = 600
    group_id: str = "soporte-intake-orders"
    attachments_dir: str = ".local/attachments"
    max_file_bytes: int = 10 * 1024 * 1024
    max_total_upload_bytes: int = 25 * 1024 * 1024
    max_files: int = 5
    relay_poll_seconds: float = 1.0
