"""The submission form's pages, in the words of the one catalogue (``soporte.words``: ``form``, ``vocabulary``).

Pure: a page is a function of the language and of what it shows, so every page
can be checked in both languages without a server. A person never reads a code
or a library's message here: whatever refused the submission (pydantic, the
upload limits, the desk's rules) is shown in the catalogue's words.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import tzinfo
from functools import cache
from pathlib import Path
from typing import Any

import jinja2
from pydantic import ValidationError

from soporte.intake.domain.access import Throttled
from soporte.intake.domain.commands import TicketCreated
from soporte.intake.domain.tickets import DomainError, UnacceptableValue
from soporte.platform.http import Problem
from soporte.words import format_datetime, too_many_attempts, words

from .auth import Principal
from .uploads import UploadLimits

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"

# pydantic's error types -> the form's words for them
_ERROR_WORDS = {
    "missing": "required",
    "string_too_short": "required",
    "string_too_long": "too_long",
    "enum": "choice",
    "literal_error": "choice",
    "value_error": "email",
    "string_type": "invalid",
}


@cache
def _templates() -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True)


def _limits(limits: UploadLimits) -> dict[str, int]:
    return {
        "file_mb": limits.max_file_bytes // 2**20,
        "total_mb": limits.max_total_bytes // 2**20,
        "max_files": limits.max_files,
    }


def field_errors(exc: ValidationError, lang: str) -> dict[str, str]:
    """Pydantic's refusals as the form shows them, next to each field."""
    said = words(lang).form.errors
    errors: dict[str, str] = {}
    for err in exc.errors(include_url=False):
        name = ".".join(str(p) for p in err["loc"]) or "form"
        errors.setdefault(name, said[_ERROR_WORDS.get(err["type"], "invalid")])
    return errors


def problem_errors(problem: Problem, lang: str, limits: UploadLimits) -> dict[str, str]:
    """A refused upload or field, keyed by field (empty when the problem names none)."""
    said = words(lang).form.errors
    reason = problem.extra.get("reason")
    if reason in said:
        return {"files": said[reason].format(**_limits(limits))}
    return {e.field: said.order if e.field == "order_number" else said.invalid for e in problem.errors}


def refusal_errors(exc: DomainError, lang: str) -> dict[str, str]:
    """What the desk refused, next to the field it is about (empty when it is about none)."""
    said = words(lang).form.errors
    if isinstance(exc, UnacceptableValue):
        return {exc.field: said.order if exc.field == "order_number" else said.invalid}
    return {}


def wait_message(throttled: Throttled, lang: str) -> str:
    """``Demasiados intentos; inténtelo de nuevo en 12 minutos.``"""
    return too_many_attempts(throttled.minutes, lang)


def form_page(
    lang: str,
    *,
    principal: Principal | None,
    limits: UploadLimits,
    orders: Sequence[Mapping[str, Any]] = (),
    errors: Mapping[str, str] | None = None,
    values: Mapping[str, str] | None = None,
    form_error: str | None = None,
    files_again: bool = False,
) -> str:
    """The form: the guest check without a session, the ticket form with one (after a refusal, as it was typed;
    ``files_again``: the files it carried were not kept and must be chosen again)."""
    w = words(lang)
    return (
        _templates()
        .get_template("form.html.j2")
        .render(
            lang=lang,
            w=w.form,
            categories=w.vocabulary.categories,
            principal=principal,
            orders=orders,
            errors=errors or {},
            values=values or {},
            form_error=form_error,
            files_again=files_again,
            files_hint=w.form.files_hint.format(**_limits(limits)),
        )
    )


def success_page(
    lang: str, *, ticket: TicketCreated, category: str, email: str, status_url: str, timezone: tzinfo
) -> str:
    """The answer to a submission: the ticket number, what is still missing, when to expect an answer."""
    w = words(lang)
    when = ticket.expected_answer_by
    return (
        _templates()
        .get_template("success.html.j2")
        .render(
            lang=lang,
            w=w.form,
            ticket_id=ticket.ticket_id,
            category=w.vocabulary.categories[category],
            missing=[w.vocabulary.missing_items[code] for code in ticket.actionability.missing],
            expected_answer=w.form.expected_answer.format(when=format_datetime(when, timezone, lang)) if when else None,
            mail_sent=w.form.mail_sent.format(email=email),
            status_url=status_url,
        )
    )
