"""The form's pages read as one language each: no code, no word of the other language, no library's message."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from soporte import events as ev
from soporte.events import types as t
from soporte.intake.domain.commands import TicketCreated
from soporte.intake.domain.tickets import NotAllowed, UnacceptableValue
from soporte.intake.entrypoints.auth import Principal
from soporte.intake.entrypoints.bodies import GuestSessionBody, SubmitTicketBody
from soporte.intake.entrypoints.form_pages import (
    field_errors,
    form_page,
    problem_errors,
    refusal_errors,
    success_page,
)
from soporte.intake.entrypoints.uploads import UploadLimits
from soporte.platform.http import FieldError, Problem
from soporte.words import LANGUAGES, words
from tests.support.language import assert_reads_as, visible_text

MADRID = ZoneInfo("Europe/Madrid")
LIMITS = UploadLimits()
GUEST = Principal("guest", "ana@example.com", None, "ana@example.com", order_number="100234")
CUSTOMER = Principal("customer", "cust-1", "Ana Pérez", "ana@example.com", customer_id="cust-1")
ORDERS = [{"order_number": "100234", "placed_at": "2026-11-20T09:00:00+00:00", "items": []}]
TYPED = ("Ana Pérez", "ana@example.com", "100234", "La pantalla llegó rota")
MISSING = ("order_number", "photo_of_item", "detailed_description")


def reads_as(lang: str, html: str, where: str) -> str:
    text = visible_text(html)
    assert_reads_as(lang, text, typed=TYPED, where=where)
    return text


def refusals(lang: str) -> dict[str, str]:
    """Every way the form can refuse, as the page shows it."""
    errors = {}
    try:
        SubmitTicketBody.model_validate({"category": "teleport", "description": "", "customer_name": "x" * 300})
    except ValidationError as exc:
        errors |= field_errors(exc, lang)
    try:
        GuestSessionBody(email="not-an-email", order_number="")
    except ValidationError as exc:
        errors |= field_errors(exc, lang)
    english = Problem(422, "validation-error", "Invalid", errors=[FieldError("order_number", "not one of your orders")])
    errors |= problem_errors(english, lang, LIMITS)
    errors |= refusal_errors(UnacceptableValue("order_number", "not one of your orders"), lang)
    for reason in ("file-too-large", "total-too-large", "file-type", "file-name", "too-many-files"):
        upload = Problem(413, "payload-too-large", "Upload too large", extra={"reason": reason})
        errors[reason] = problem_errors(upload, lang, LIMITS)["files"]
    return errors


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_form_reads_as_its_language_with_every_category_and_every_refusal(lang):
    said = words(lang)
    errors = refusals(lang)
    assert set(errors.values()) <= set(said.form.errors.values()) | {
        said.form.errors[r].format(file_mb=10, total_mb=25, max_files=5) for r in said.form.errors
    }  # the catalogue's words only, never pydantic's or the API's
    for principal in (None, GUEST, CUSTOMER):
        html = form_page(
            lang,
            principal=principal,
            limits=LIMITS,
            orders=ORDERS if principal is CUSTOMER else [],
            errors=errors,
            values={"customer_name": "Ana Pérez", "description": "La pantalla llegó rota"},
            form_error=said.form.errors.session,
        )
        text = reads_as(lang, html, f"form for {principal and principal.kind}")
        if principal is not None:
            assert all(label in text for label in said.vocabulary.categories.values())


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("category", list(ev.Category))
def test_the_success_page_says_what_is_missing_when_to_expect_an_answer_and_where_the_mail_went(lang, category):
    said = words(lang)
    ticket = TicketCreated(
        ticket_id="T-7F3K2M9QXA",
        version=1,
        access_token="tok",
        actionability=t.Actionability(actionable=False, missing=list(MISSING)),
        expected_answer_by=datetime(2026, 3, 2, 8, 15, tzinfo=UTC),
    )
    html = success_page(
        lang,
        ticket=ticket,
        category=category.value,
        email="ana@example.com",
        status_url="http://portal.test/tickets/T-7F3K2M9QXA?token=tok",
        timezone=MADRID,
    )
    text = reads_as(lang, html, f"success page ({category.value})")
    assert said.vocabulary.categories[category.value] in text
    assert all(said.vocabulary.missing_items[code] in text for code in MISSING)
    assert "09:15 (Europe/Madrid)" in text and "ana@example.com" in text  # desk time, and the address mailed


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_complete_ticket_attended_live_says_nothing_missing_and_no_time(lang):
    ticket = TicketCreated("T-7F3K2M9QXA", 1, "tok", t.Actionability(actionable=True), None)
    html = success_page(
        lang, ticket=ticket, category="pre_sales", email="ana@example.com", status_url="http://x", timezone=MADRID
    )
    reads_as(lang, html, "success page, complete")
    assert 'id="missing"' not in html and 'id="expected-answer"' not in html


def test_a_refusal_about_no_field_is_shown_as_the_form_error_instead():
    assert refusal_errors(NotAllowed("only agents open tickets from a phone call or chat"), "es") == {}
