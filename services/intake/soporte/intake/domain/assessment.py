"""What intake tells a customer the moment a ticket arrives: how complete it is and when to expect an answer.

Pure: the completeness rules per category, and the expected answer time from
the same SLA clock rules the SLA worker escalates on (``soporte.ticketrules``),
so the time the customer is promised is the deadline the desk is held to.
"""

from __future__ import annotations

from datetime import datetime

from soporte.events import AttachmentRef, Category, Event, Priority
from soporte.events import types as t
from soporte.events.types import SlaClock
from soporte.ticketrules import SlaRules, TicketClocks

IMAGE_TYPES = ("image/jpeg", "image/png", "image/gif", "image/webp", "image/heic", "image/heif")  # HEIC: phones
NEEDS_ORDER = {
    Category.DAMAGED_ITEM,
    Category.WRONG_ITEM,
    Category.RETURN_REQUEST,
    Category.ORDER_STATUS,
    Category.TROUBLESHOOTING,
}
NEEDS_PHOTO = {Category.DAMAGED_ITEM, Category.WRONG_ITEM}
NEEDS_DETAIL = {Category.LCD_DIAGNOSIS, Category.TROUBLESHOOTING}
MIN_DIAGNOSIS_LENGTH = 40


def assess(
    category: Category, description: str, order_number: str | None, attachments: list[AttachmentRef]
) -> t.Actionability:
    """Can an agent act at once? Each category has its own rules (seed: photos help filter wrong parts)."""
    missing = []
    if category in NEEDS_ORDER and not order_number:
        missing.append("order_number")
    photos = [a for a in attachments if a.content_type in IMAGE_TYPES]
    if category in NEEDS_PHOTO and not photos:
        missing.append("photo_of_item")
    if category in NEEDS_DETAIL and len(description.strip()) < MIN_DIAGNOSIS_LENGTH:
        missing.append("detailed_description")
    if missing:
        priority = Priority.NORMAL
    elif category in NEEDS_PHOTO:
        priority = Priority.HIGH  # a broken or wrong part: return label or courier claim at once
    else:
        priority = Priority.NORMAL
    return t.Actionability(actionable=not missing, missing=missing, priority=priority)


def expected_answer_by(rules: SlaRules, submitted: Event) -> datetime | None:
    """The earlier of the first-response deadline (business time) and the 24-hour attention deadline.

    None when the submission starts no clock: an agent opened it during a call or
    a chat, and the caller was attended there and then.
    """
    clocks = rules.apply(TicketClocks(submitted.ticket_id or ""), submitted).state
    deadlines = clocks.deadlines(rules.calendar)
    return min((deadlines[k] for k in (SlaClock.FIRST_RESPONSE, SlaClock.ATTENTION) if k in deadlines), default=None)
