"""Notifier settings (``SOPORTE_*`` and ``SOPORTE_NOTIFIER_*``; SMTP from ``SOPORTE_SMTP_*``)."""

from __future__ import annotations

from typing import ClassVar, Literal

from soporte.platform.settings import DEFAULT_SMTP_HOST, DEFAULT_SMTP_PORT, CommonSettings


class NotifierSettings(CommonSettings):
    SERVICE_ENV_PREFIX = "SOPORTE_NOTIFIER_"
    SECRETS: ClassVar[tuple[str, ...]] = ("desk_secret",)

    host: str = "127.0.0.1"
    port: int = 8084
    group_id: str = "soporte-notifier"
    portal_url: str = "http://127.0.0.1:8082"
    ticket_link_days: int = 30  # SOPORTE_TICKET_LINK_DAYS: how long a mailed link works
    mail_from: str = "Soporte <soporte@localhost>"
    # Customers answer to <local>+<token>@<domain> of this address (SOPORTE_MAIL_REPLY_ADDRESS, read by mail-in
    # too); the token, the Message-IDs and the links in the mails (intake checks them) are signed with the desk
    # secret (SOPORTE_DESK_SECRET, as intake's; "dev-...": development only).
    mail_reply_address: str = "soporte@localhost"
    desk_secret: str = "dev-desk-secret-change-me"
    smtp_host: str = DEFAULT_SMTP_HOST
    smtp_port: int = DEFAULT_SMTP_PORT
    smtp_starttls: bool = False
    smtp_tls: bool = False
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_timeout_seconds: float = 30.0
    # role=address[,role=address...], e.g. "team-lead=lead@shop.test,ops=ops@shop.test"
    escalation_recipients: str = "team-lead=team-lead@localhost,ops=ops@localhost"
    # The language of the mails to the desk's own people (escalations); customers get theirs.
    staff_language: Literal["es", "en"] = "es"
    max_attempts: int = 8
    retry_base_seconds: float = 5.0
    retry_cap_seconds: float = 900.0
    poll_seconds: float = 0.5
    # A claimed mail not finished within the lease (its sender crashed) is tried again; the lease must
    # outlast sending a whole claim (claim_size mails at up to smtp_timeout_seconds each).
    claim_size: int = 5
    lease_seconds: float = 300.0

    def recipients_by_role(self) -> dict[str, list[str]]:
        roles: dict[str, list[str]] = {}
        for pair in filter(None, (p.strip() for p in self.escalation_recipients.split(","))):
            role, _, address = pair.partition("=")
            roles.setdefault(role.strip(), []).append(address.strip())
        return roles
