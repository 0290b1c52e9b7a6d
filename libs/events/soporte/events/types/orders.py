"""The shop's orders (``shop.orders.v1``)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AwareDatetime, EmailStr, Field

from ..envelope import Event, Frozen
from .common import ShortText

# --- shop orders -------------------------------------------------------------


class OrderItem(Frozen):
    sku: ShortText
    name: ShortText
    quantity: int = Field(ge=1)


class OrderPlacedData(Frozen):
    order_number: Annotated[str, Field(min_length=1, max_length=64)]
    customer_id: str | None = None
    email: EmailStr
    customer_name: str | None = None
    items: list[OrderItem] = Field(default_factory=list)
    placed_at: AwareDatetime
    shipping_address: list[ShortText] | None = Field(
        default=None, max_length=8, description="where the order went, a line each (printed on return labels)"
    )


class OrderPlaced(Event):
    """The shop tells the desk about an order (topic ``shop.orders.v1``)."""

    type: Literal["OrderPlaced"] = "OrderPlaced"
    data: OrderPlacedData
