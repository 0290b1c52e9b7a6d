"""Turning a notification into an email: jinja2 text + HTML parts, safe headers, threading by ticket."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from pathlib import Path

import jinja2

from .notifications import Notification

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"

SUBJECTS = {
    "es": {
        "ticket_received": "Hemos recibido su ticket",
        "agent_response": "Respuesta a su ticket",
        "clarification_requested": "Necesitamos más información",
        "ticket_resolved": "Ticket resuelto",
        "return_label_issued": "Su etiqueta de devolución gratuita",
        "courier_claim_opened": "Reclamación abierta con la mensajería",
        "escalation": "Escalado SLA",
    },
    "en": {
        "ticket_received": "We received your ticket",
        "agent_response": "An answer to your ticket",
        "clarification_requested": "We need a little more information",
        "ticket_resolved": "Ticket resolved",
        "return_label_issued": "Your free return label",
        "courier_claim_opened": "Courier claim opened",
        "escalation": "SLA escalation",
    },
}


def header_safe(value: str) -> str:
    """Strip CR, LF and NUL: nothing from users may start a new header (cpython #121650)."""
    return " ".join(value.replace("\x00", " ").replace("\r", " ").replace("\n", " ").split())


def make_environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=lambda name: bool(name and name.endswith(".html.j2")),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )


def render_email(env: jinja2.Environment, notification: Notification, sender: str) -> EmailMessage:
    """The message for ``notification``: multipart/alternative, subject ``[T-…] …`` so replies thread."""
    lang = notification.language
    ticket = notification.ticket_id or ""
    subject = header_safe(
        f"[{ticket}] {SUBJECTS[lang][notification.kind]}" if ticket else SUBJECTS[lang][notification.kind]
    )
    context = {"status_url": None, **notification.context, "lang": lang, "subject": subject, "ticket_id": ticket}
    text = env.get_template(f"{notification.kind}.txt.j2").render(context)
    html = env.get_template(f"{notification.kind}.html.j2").render(context)
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = header_safe(sender)
    name = header_safe(str(notification.context.get("customer_name") or ""))
    message["To"] = (
        formataddr((name, header_safe(notification.recipient))) if name else header_safe(notification.recipient)
    )
    # One Message-ID per notification: a resend after a crash is recognisably the same mail.
    message["Message-ID"] = make_msgid(idstring=notification.notification_id, domain="soporte.local")
    if ticket:
        message["References"] = f"<{header_safe(ticket)}@soporte.local>"
    message["X-Soporte-Notification"] = notification.notification_id
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    return message
