"""The message bus: hands each command to its handler with a fresh unit of work.

The edge (API, form) builds a command and calls ``await bus.handle(command)``;
which handler runs, and with which collaborators, was wired once by
``bootstrap.bootstrap`` (``handlers.HANDLERS``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from .unit_of_work import UnitOfWork

Handler = Callable[[Any, UnitOfWork], Awaitable[Any]]


class MessageBus:
    def __init__(self, uow_factory: Callable[[], UnitOfWork], handlers: Mapping[type, Handler]) -> None:
        self.uow_factory, self.handlers = uow_factory, handlers

    async def handle(self, command: Any) -> Any:
        """Run ``command``'s handler; its refusals (domain errors) are raised for the edge to answer."""
        return await self.handlers[type(command)](command, self.uow_factory())
