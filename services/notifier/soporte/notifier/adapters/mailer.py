"""Sending through SMTP with aiosmtplib; failures classified as transient or permanent."""

from __future__ import annotations

from email.message import EmailMessage

import aiosmtplib

from soporte.notifier.domain.delivery import DeliveryError, is_permanent_smtp_code
from soporte.notifier.settings import NotifierSettings


class SmtpMailer:
    def __init__(self, settings: NotifierSettings) -> None:
        self.settings = settings

    async def send(self, message: EmailMessage) -> None:
        s = self.settings
        try:
            _, response = await aiosmtplib.send(
                message,
                hostname=s.smtp_host,
                port=s.smtp_port,
                use_tls=s.smtp_tls,
                # False, not aiosmtplib's default None ("whenever the server offers it"): TLS only when asked.
                start_tls=s.smtp_starttls,
                username=s.smtp_username,
                password=s.smtp_password,
                timeout=s.smtp_timeout_seconds,
            )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            codes = [error.code for error in exc.recipients]
            raise DeliveryError(
                f"recipient refused: {exc}", permanent=all(is_permanent_smtp_code(c) for c in codes)
            ) from exc
        except aiosmtplib.SMTPResponseException as exc:
            raise DeliveryError(f"{exc.code} {exc.message}", permanent=is_permanent_smtp_code(exc.code)) from exc
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            raise DeliveryError(f"{exc.__class__.__name__}: {exc}", permanent=False) from exc
