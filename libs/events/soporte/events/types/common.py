"""Field shapes every event type uses."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

Text = Annotated[str, Field(min_length=1, max_length=20_000)]
ShortText = Annotated[str, Field(min_length=1, max_length=200)]
