"""HMAC tokens: genuine ones verify, anything else is refused the same way."""

from datetime import UTC, datetime, timedelta

import pytest

from soporte.platform.tokens import InvalidToken, sign_token, verify_token

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def test_a_signed_token_verifies_and_returns_its_claims():
    token = sign_token(
        {"kind": "customer", "sub": "c-1", "email": "a@b.c"}, "s3cret", expires_at=NOW + timedelta(hours=1)
    )
    claims = verify_token(token, "s3cret", now=NOW, kind="customer")
    assert claims["sub"] == "c-1" and claims["email"] == "a@b.c"


@pytest.mark.parametrize(
    "mutate",
    [
        lambda tok: tok[:-2] + ("AA" if not tok.endswith("AA") else "BB"),  # forged signature
        lambda tok: "x" + tok,  # tampered claims
        lambda tok: tok.replace(".", ""),  # malformed
        lambda tok: "",
    ],
)
def test_tampered_tokens_are_refused(mutate):
    token = sign_token({"kind": "customer"}, "s3cret", expires_at=NOW + timedelta(hours=1))
    with pytest.raises(InvalidToken):
        verify_token(mutate(token), "s3cret", now=NOW)


def test_another_secret_expiry_and_kind_are_refused():
    token = sign_token({"kind": "guest"}, "s3cret", expires_at=NOW + timedelta(minutes=5))
    with pytest.raises(InvalidToken):
        verify_token(token, "other", now=NOW)
    with pytest.raises(InvalidToken):
        verify_token(token, "s3cret", now=NOW + timedelta(minutes=5))
    with pytest.raises(InvalidToken):
        verify_token(token, "s3cret", now=NOW, kind="customer")


def test_the_desks_links_say_when_they_were_issued_and_expire_after_their_lifetime():
    from soporte.platform.tokens import TicketLinks, issued_at

    links = TicketLinks("s3cret", timedelta(days=30))
    issued = NOW + timedelta(milliseconds=250)
    ticket = verify_token(links.for_ticket("T-1", "Ana@Example.com", issued), "s3cret", now=NOW, kind="ticket")
    assert ticket["ticket_id"] == "T-1" and ticket["email"] == "ana@example.com"
    assert issued_at(ticket) == issued  # to the millisecond: a link issued just after a revocation stays good
    account = verify_token(links.for_account("cust-1", "ana@example.com", NOW), "s3cret", now=NOW, kind="account")
    assert account["customer_id"] == "cust-1"
    with pytest.raises(InvalidToken):
        verify_token(links.for_ticket("T-1", "a@b.c", NOW), "s3cret", now=NOW + timedelta(days=30))
    assert issued_at({"kind": "ticket"}) is None  # an older token that does not say
