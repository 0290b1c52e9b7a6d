"""Intake settings (``SOPORTE_*`` and ``SOPORTE_INTAKE_*``)."""

from __future__ import annotations

from datetime import timedelta
from typing import ClassVar

from soporte.platform.http import Network, trusted_networks
from soporte.platform.settings import CommonSettings

from .domain.access import AccessLimits, Budget


def _lines(text: str) -> tuple[str, ...]:
    """``a | b | c`` (or one per line) as its lines."""
    return tuple(line.strip() for line in text.replace("\n", "|").split("|") if line.strip())


class IntakeSettings(CommonSettings):
    SERVICE_ENV_PREFIX = "SOPORTE_INTAKE_"
    SECRETS: ClassVar[tuple[str, ...]] = ("shop_secret", "desk_secret")

    host: str = "127.0.0.1"
    port: int = 8081
    portal_url: str = "http://127.0.0.1:8082"
    # Development defaults ("dev-..."): SOPORTE_ENV=production refuses to start with them.
    shop_secret: str = "dev-shop-secret-change-me"
    desk_secret: str = "dev-desk-secret-change-me"  # shared with the notifier, which signs the links it mails
    ticket_link_days: int = 30  # SOPORTE_TICKET_LINK_DAYS: how long a link to a ticket works
    guest_session_minutes: int = 60
    max_body_bytes: int = 1_000_000  # a command's JSON (an unauthenticated route takes far less: platform.guards)
    body_idle_seconds: float = 30.0  # a request body that stops arriving this long is answered 408
    # Who may say who the client is (X-Forwarded-For): the projections service, a reverse proxy.
    trusted_proxies: str = "127.0.0.1,::1"
    # Failed guest verifications allowed per window (successes do not count), and requests for links.
    guest_failures_per_email: int = 10
    guest_failures_per_order: int = 10
    guest_failures_per_client: int = 5
    guest_window_seconds: int = 900
    links_per_email: int = 3
    links_per_ticket: int = 3
    links_per_client: int = 10
    links_window_seconds: int = 3600
    # Staff: failed sign-ins allowed per account and per client address in the window; how long a session lasts.
    sign_in_failures_per_account: int = 5
    sign_in_failures_per_client: int = 20
    sign_in_window_seconds: int = 900
    session_hours: float = 12.0
    # Return labels: the carriers an agent may choose (comma-separated), the shop's address ("line | line").
    carriers: str = "Correos Express,SEUR,MRW,GLS"
    return_address: str = "Pantallas LCD S.L. | Devoluciones | Calle de la Electrónica 12 | 28001 Madrid"
    group_id: str = "soporte-intake-orders"
    attachments_dir: str = ".local/attachments"
    max_file_bytes: int = 10 * 1024 * 1024
    max_total_upload_bytes: int = 25 * 1024 * 1024
    max_files: int = 5
    relay_poll_seconds: float = 1.0

    @property
    def session_lifetime(self) -> timedelta:
        return timedelta(hours=self.session_hours)

    @property
    def proxy_networks(self) -> tuple[Network, ...]:
        return trusted_networks(self.trusted_proxies)

    @property
    def carrier_names(self) -> tuple[str, ...]:
        return tuple(name.strip() for name in self.carriers.split(",") if name.strip())

    @property
    def return_address_lines(self) -> tuple[str, ...]:
        return _lines(self.return_address)

    @property
    def access_limits(self) -> AccessLimits:
        guests, links = timedelta(seconds=self.guest_window_seconds), timedelta(seconds=self.links_window_seconds)
        sign_ins = timedelta(seconds=self.sign_in_window_seconds)
        return AccessLimits(
            guest_per_email=Budget("guest-email", self.guest_failures_per_email, guests),
            guest_per_order=Budget("guest-order", self.guest_failures_per_order, guests),
            guest_per_client=Budget("guest-client", self.guest_failures_per_client, guests),
            links_per_email=Budget("links-email", self.links_per_email, links),
            links_per_ticket=Budget("links-ticket", self.links_per_ticket, links),
            links_per_client=Budget("links-client", self.links_per_client, links),
            sign_in_per_account=Budget("sign-in-account", self.sign_in_failures_per_account, sign_ins),
            sign_in_per_client=Budget("sign-in-client", self.sign_in_failures_per_client, sign_ins),
        )
