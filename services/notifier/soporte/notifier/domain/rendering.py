"""Turning a notification into a mail: subject, text and HTML parts from jinja2, words from the catalogue.

What it guarantees:

- Every word a person reads comes from ``soporte.words`` in the notification's
  language (``mail`` for sentences, ``vocabulary`` for categories, missing
  items, clocks, escalation kinds and roles); templates hold only structure.
- Times are shown in the desk's timezone with the zone named (``format_datetime``).
- Nothing from a customer reaches a header unsanitised (CR, LF and NUL are
  stripped: python/cpython#121650), and the HTML part escapes it.
- The subject starts with ``[T-…]`` and ``References`` names the ticket, so a
  ticket's mails thread; the Message-ID is derived from the notification, so a
  resend after a crash is recognisably the same mail.
- With ``MailThreading`` (the sender always gives it), a customer's mail about a
  ticket gets ``Reply-To: <local>+<token>@<domain>`` and a Message-ID carrying
  the same signed token (``soporte.platform.reply_tokens``): mail-in finds the
  ticket of a reply from either, and nobody without the desk secret can forge one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from pathlib import Path
from zoneinfo import ZoneInfo

import jinja2
from markupsafe import Markup, escape

from soporte.platform.reply_tokens import notification_message_id, sign_reply_token
from soporte.words import Words, format_datetime, words

from .notifications import ESCALATION, Notification

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"


def header_safe(value: str) -> str:
    """Strip CR, LF and NUL: nothing from users may start a new header (cpython #121650)."""
    return " ".join(value.replace("\x00", " ").replace("\r", " ").replace("\n", " ").split())


_ADDRESS_SPECIALS = re.compile(r'[()<>\[\]:;@\\,"]')


def display_name(name: str) -> str:
    """A person's name as the display name of one address: ``header_safe`` and without the characters that would
    need quoting (a comma, an ``@``, angle brackets, quotes...). Python's header folding drops the quotes of a
    long quoted name (the SMTP policy folds at 78), so a name like ``Ana, eve@evil.example`` would turn into a
    second recipient in the ``To:`` header; without those characters there is nothing to quote."""
    return " ".join(_ADDRESS_SPECIALS.sub(" ", header_safe(name)).split())


@jinja2.pass_eval_context
def _fill(eval_ctx: jinja2.nodes.EvalContext, sentence: str, **values: object) -> str:
    """A catalogue sentence with its ``{placeholders}`` filled; in HTML, the values are escaped."""
    if eval_ctx.autoescape:
        return Markup(escape(sentence)).format(**values)
    return sentence.format(**values)


def _strong(value: object) -> Markup:
    return Markup("<strong>{}</strong>").format(value)


def _capfirst(text: str) -> str:
    return text[:1].upper() + text[1:]


@jinja2.pass_context
def _in_words(ctx: jinja2.runtime.Context, codes: Iterable[str], area: str) -> list[str]:
    """The vocabulary's words for ``codes``; a value it has no entry for (an address, a text an older
    intake sent instead of a code) is shown as it is."""
    vocabulary = ctx["v"][area]
    return [vocabulary.get(code, code) for code in codes]


@jinja2.pass_context
def _join_words(ctx: jinja2.runtime.Context, items: Iterable[str]) -> str:
    """``a, b y c`` / ``a, b and c``."""
    items = list(items)
    if len(items) < 2:
        return "".join(items)
    return f"{', '.join(items[:-1])} {ctx['m']['and']} {items[-1]}"


@jinja2.pass_context
def _when(ctx: jinja2.runtime.Context, iso: str) -> str:
    """An instant (ISO 8601) as the desk reads it: in the desk's timezone, in the mail's language."""
    return format_datetime(datetime.fromisoformat(iso), ZoneInfo(ctx["timezone"]), ctx["lang"])


@jinja2.pass_context
def _duration(ctx: jinja2.runtime.Context, seconds: int) -> str:
    """``1 hora y 30 minutos`` / ``15 minutes``."""
    words_of = ctx["m"]["durations"]
    hours, minutes = divmod(int(seconds) // 60, 60)
    parts = [words_of["hour" if hours == 1 else "hours"].format(n=hours)] if hours else []
    if minutes or not hours:
        parts.append(words_of["minute" if minutes == 1 else "minutes"].format(n=minutes))
    return f" {ctx['m']['and']} ".join(parts)


def make_environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=lambda name: bool(name and name.endswith(".html.j2")),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )
    env.filters.update(
        fill=_fill,
        strong=_strong,
        capfirst=_capfirst,
        in_words=_in_words,
        join_words=_join_words,
        when=_when,
        duration=_duration,
    )
    return env


def _context(notification: Notification, catalogue: Words) -> dict[str, object]:
    return {
        "status_url": None,
        **notification.context,
        "kind": notification.kind,
        "lang": notification.language,
        "ticket_id": notification.ticket_id or "",
        "m": catalogue.mail,
        "v": catalogue.vocabulary,
    }


def render_subject(env: jinja2.Environment, notification: Notification) -> str:
    context = _context(notification, words(notification.language))
    text = header_safe(env.get_template("subject.txt.j2").render(context))
    return f"[{header_safe(notification.ticket_id)}] {text}" if notification.ticket_id else text


@dataclass(frozen=True)
class MailThreading:
    """Where customers answer (``SOPORTE_MAIL_REPLY_ADDRESS``) and the desk secret that signs the tokens."""

    reply_address: str
    secret: str

    @property
    def domain(self) -> str:
        return self.reply_address.rpartition("@")[2] or "localhost"

    def message_id(self, notification: Notification) -> str:
        # Only a customer's mail names its ticket: a member of staff answering an escalation is not the customer.
        ticket_id = notification.ticket_id if notification.kind != ESCALATION else None
        return notification_message_id(notification.notification_id, ticket_id, self.secret, self.domain)

    def reply_to(self, ticket_id: str) -> str:
        local, _, domain = self.reply_address.rpartition("@")
        return f"{local}+{sign_reply_token(ticket_id, self.secret)}@{domain}"


def render_email(
    env: jinja2.Environment, notification: Notification, sender: str, threading: MailThreading | None = None
) -> EmailMessage:
    """The message for ``notification``: multipart/alternative (text, then HTML)."""
    subject = render_subject(env, notification)
    context = {**_context(notification, words(notification.language)), "subject": subject}
    text = env.get_template(f"{notification.kind}.txt.j2").render(context)
    html = env.get_template(f"{notification.kind}.html.j2").render(context)
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = header_safe(sender)
    name = display_name(str(notification.context.get("customer_name") or ""))
    recipient = header_safe(notification.recipient)
    message["To"] = Address(display_name=name, addr_spec=recipient) if name else recipient
    domain = threading.domain if threading else "soporte.local"
    if threading:
        message["Message-ID"] = threading.message_id(notification)
    else:
        message["Message-ID"] = f"<n.{header_safe(notification.notification_id)}@{domain}>"
    if notification.ticket_id:
        message["References"] = f"<{header_safe(notification.ticket_id)}@{domain}>"
        if threading and notification.kind != ESCALATION:
            message["Reply-To"] = threading.reply_to(notification.ticket_id)
    message["X-Soporte-Notification"] = notification.notification_id
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    return message
