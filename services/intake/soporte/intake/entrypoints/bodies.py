"""Request bodies: strict pydantic models (unknown fields are refused with 422).

Texts may hold line breaks but never NUL (PostgreSQL stores none); one-line values (names, numbers, carriers)
hold no control character at all, so nothing typed here can start a new header in a mail.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, EmailStr, Field, model_validator

from soporte.events import Category, Channel, Language
from soporte.events import types as t
from soporte.intake.domain.canned import BundledAction
from soporte.intake.domain.roles import Role

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _no_nul(value: str | None) -> str | None:
    if value and "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


def _one_line(value: str | None) -> str | None:
    if value and _CONTROL.search(value):
        raise ValueError("must be one line without control characters")
    return value


Text = Annotated[str, Field(min_length=1, max_length=20_000), AfterValidator(_no_nul)]
Short = Annotated[str, Field(min_length=1, max_length=200), AfterValidator(_one_line)]
OrderNumber = Annotated[str, Field(min_length=1, max_length=64), AfterValidator(_one_line)]


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class GuestSessionBody(Body):
    email: EmailStr
    order_number: OrderNumber


class AccessLinkBody(Body):
    """Exactly one of: an address (links to its tickets) or a ticket (a fresh link to the ticket's address)."""

    email: EmailStr | None = None
    ticket_id: Annotated[str | None, Field(max_length=64), AfterValidator(_one_line)] = None
    language: Language = Language.ES

    @model_validator(mode="after")
    def _one_of(self) -> AccessLinkBody:
        if (self.email is None) == (self.ticket_id is None):
            raise ValueError("give either email or ticket_id")
        return self


class SubmitTicketBody(Body):
    category: Category
    description: Text
    customer_name: Short
    order_number: Annotated[str | None, Field(max_length=64), AfterValidator(_one_line)] = None
    language: Language = Language.ES
    channel: Channel = Channel.WEB
    customer_email: EmailStr | None = Field(
        default=None, description="agents only: the customer they open the ticket for"
    )


class Versioned(Body):
    expected_version: int | None = Field(default=None, ge=0)


class MessageBody(Versioned):
    body: Text


class ResponseBody(MessageBody):
    canned_reply_id: Annotated[str | None, Field(max_length=64)] = Field(
        default=None, description="the canned reply inserted: the action it bundles is done with the response"
    )


class ClarificationBody(Versioned):
    question: Text


class ResolveBody(Versioned):
    resolution: Annotated[str, Field(max_length=20_000), AfterValidator(_no_nul)] = ""


class ReopenBody(Versioned):
    pass


class AssignBody(Versioned):
    assignee_id: Annotated[str | None, Field(max_length=200), AfterValidator(_one_line)] = None


class ReturnLabelBody(Versioned):
    carrier: Short
    tracking_number: Annotated[str | None, Field(max_length=200), AfterValidator(_one_line)] = None


class DeadlineChangeBody(Versioned):
    """An SLA deadline moved by ``soporte sla recalculate`` (what the ticket's history records)."""

    change: t.SlaDeadlineChangedData


class CourierClaimBody(Versioned):
    carrier: Short
    tracking_number: Annotated[str | None, Field(max_length=200), AfterValidator(_one_line)] = None
    reason: Text


class RevokeLinksBody(Versioned):
    reason: Annotated[str, Field(max_length=2000), AfterValidator(_no_nul)] = ""


# --- staff ---------------------------------------------------------------------------------------


class SignInBody(Body):
    model_config = ConfigDict(extra="forbid")  # a password is taken as typed, spaces and all

    email: Annotated[str, Field(min_length=3, max_length=320)]
    password: Annotated[str, Field(min_length=1, max_length=1000), AfterValidator(_no_nul)]


# Staff addresses may be on internal domains (which a customer's address checked by EmailStr may not).
StaffEmail = Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=320)]


class NewAgentBody(Body):
    name: Short
    email: StaffEmail
    role: Role = Role.AGENT


class ApiTokenBody(Body):
    label: Short


class PasswordChangeBody(Body):
    model_config = ConfigDict(extra="forbid")

    current_password: Annotated[str, Field(min_length=1, max_length=1000)]
    new_password: Annotated[str, Field(min_length=1, max_length=1000)]


class CannedReplyBody(Body):
    name: Short
    language: Language
    body: Text
    action: BundledAction | None = None
    carrier: Annotated[str | None, Field(max_length=200), AfterValidator(_one_line)] = None
