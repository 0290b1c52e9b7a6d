"""Reply tokens name a ticket, are lowercase letters and digits only, and only the desk can make one."""

from __future__ import annotations

import re

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from soporte.events.envelope import _TICKET_ALPHABET
from soporte.platform.reply_tokens import (
    notification_message_id,
    sign_reply_token,
    ticket_of_message_id,
    verify_reply_token,
)
from soporte.platform.tokens import InvalidToken

SECRET = "desk-secret-for-tests-0123456789abcdef"
ticket_ids = st.text(alphabet=_TICKET_ALPHABET, min_size=10, max_size=10).map(lambda s: f"T-{s}")


@given(ticket_ids)
def test_a_token_names_its_ticket_and_fits_an_email_local_part(ticket_id):
    token = sign_reply_token(ticket_id, SECRET)
    assert re.fullmatch(r"[0-9a-z]+", token)
    assert len(f"soporte+{token}") <= 64  # RFC 5321's limit for a local part
    assert verify_reply_token(token, SECRET) == ticket_id


@given(ticket_ids)
def test_a_mail_server_that_changes_the_letter_case_does_not_break_it(ticket_id):
    assert verify_reply_token(sign_reply_token(ticket_id, SECRET).upper(), SECRET) == ticket_id


def test_the_same_ticket_always_gets_the_same_token():
    assert sign_reply_token("T-7F3K2M9QXA", SECRET) == sign_reply_token("T-7F3K2M9QXA", SECRET)
    assert sign_reply_token("T-7F3K2M9QXA", SECRET) != sign_reply_token("T-7F3K2M9QXB", SECRET)


def test_a_token_made_with_another_secret_is_refused():
    token = sign_reply_token("T-7F3K2M9QXA", "another-secret-0123456789abcdefghij")
    with pytest.raises(InvalidToken):
        verify_reply_token(token, SECRET)


@given(st.integers(min_value=0, max_value=25), st.sampled_from("0123456789abcdefghjkmnpqrstvwxyz"))
def test_changing_any_character_makes_it_invalid(position, replacement):
    token = sign_reply_token("T-7F3K2M9QXA", SECRET)
    altered = token[:position] + replacement + token[position + 1 :]
    assume(altered != token)
    with pytest.raises(InvalidToken):
        verify_reply_token(altered, SECRET)


@pytest.mark.parametrize(
    "token", ["", "abc", "7f3k2m9qxa", "7f3k2m9qxa" + "a" * 15, "7f3k2m9qxa-" + "a" * 16, "ü" * 26]
)
def test_malformed_tokens_are_refused(token):
    with pytest.raises(InvalidToken):
        verify_reply_token(token, SECRET)


@pytest.mark.parametrize("ticket_id", ["7F3K2M9QXA", "T-7F3K2M9QX", "T-7F3K2M9QX!", "t-7f3k2m9qxa", "T-7F3K2M9QXAB"])
def test_only_ticket_ids_get_tokens(ticket_id):
    with pytest.raises(ValueError, match="not a ticket id"):
        sign_reply_token(ticket_id, SECRET)


def test_a_notifications_message_id_is_stable_and_names_its_ticket_to_the_desk_only():
    notification_id = "0b5e1f52-8d0c-5a3e-9a1d-2f6c3b7e4d10"
    message_id = notification_message_id(notification_id, "T-7F3K2M9QXA", SECRET, "tienda.example")
    assert message_id == notification_message_id(notification_id, "T-7F3K2M9QXA", SECRET, "tienda.example")
    assert message_id.startswith(f"<n.{notification_id}.") and message_id.endswith("@tienda.example>")
    assert ticket_of_message_id(message_id, SECRET) == "T-7F3K2M9QXA"
    assert ticket_of_message_id(message_id.strip("<>"), SECRET) == "T-7F3K2M9QXA"  # as In-Reply-To is read
    assert ticket_of_message_id(message_id, "another-secret-0123456789abcdefghij") is None


@pytest.mark.parametrize(
    "message_id",
    [
        "<n.0b5e1f52@tienda.example>",  # a mail about no ticket (an escalation)
        "<T-7F3K2M9QXA@tienda.example>",  # names a ticket, but anyone could write that
        "<n.1.7f3k2m9qxaaaaaaaaaaaaaaaaa@tienda.example>",  # a forged token
        "<CAF3xq7Yw1h2Jd9kLp0vQm@mail.gmail.example>",
        "",
    ],
)
def test_other_message_ids_name_no_ticket(message_id):
    assert ticket_of_message_id(message_id, SECRET) is None
