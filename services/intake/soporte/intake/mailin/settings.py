"""Mail-in settings: intake's (``SOPORTE_*``, ``SOPORTE_INTAKE_*``) plus ``SOPORTE_MAILIN_*`` and the reply address.

Every field of its own starts with ``mailin_`` so that ``SOPORTE_MAILIN_PORT`` names
``mailin_port`` and never intake's ``port``; ``SOPORTE_MAIL_REPLY_ADDRESS`` is the
same variable the notifier reads, so both sides agree on the plus-addresses.
"""

from __future__ import annotations

from typing import ClassVar, Literal

from soporte.intake.settings import IntakeSettings


class MailinSettings(IntakeSettings):
    SECRETS: ClassVar[tuple[str, ...]] = ("desk_secret",)  # it signs and checks the reply tokens

    # The address customers answer to; replies come to <local>+<token>@<domain>.
    mail_reply_address: str = "soporte@localhost"
    # Further addresses of the desk's own (comma-separated), e.g. the notifier's sender: mail from them is a loop.
    mailin_own_addresses: str = ""

    mailin_http_port: int = 8085  # /healthz, /readyz, /metrics (on intake's host setting)
    mailin_smtp_enabled: bool = True
    mailin_host: str = "127.0.0.1"
    mailin_port: int = 2525
    mailin_protocol: Literal["smtp", "lmtp"] = "smtp"
    # 25 MB of files (intake's limit per request) base64-encoded, plus the text: larger mail is refused at SMTP time.
    mailin_max_bytes: int = 36 * 1024 * 1024
    # More mails than this from one sender within an hour are dropped (a loop the headers did not give away).
    mailin_max_mails_per_hour: int = 20

    mailin_imap_host: str = ""  # empty: no mailbox is polled
    mailin_imap_port: int = 993
    mailin_imap_tls: bool = True
    mailin_imap_user: str = ""
    mailin_imap_password: str = ""
    mailin_imap_folder: str = "INBOX"
    # Where accepted mail goes; empty: it stays in the folder, flagged \Seen (and only unseen mail is read).
    mailin_imap_done_folder: str = ""
    mailin_imap_poll_seconds: float = 60.0  # without IDLE, or after a mail could not be accepted
    mailin_imap_idle_seconds: float = 300.0  # IDLE is renewed this often (RFC 2177: under 29 minutes)
    mailin_imap_timeout_seconds: float = 30.0

    def own_addresses(self) -> tuple[str, ...]:
        extra = (a.strip().lower() for a in self.mailin_own_addresses.split(","))
        return tuple(dict.fromkeys([self.mail_reply_address.strip().lower(), *filter(None, extra)]))
