"""Typed keys of what the app holds (set up in ``bootstrap.create_app``)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import asyncpg
from aiohttp import web

from soporte.businesstime import BusinessCalendar

from .adapters.intake import IntakeCommands, Principals
from .adapters.store import ReadModels
from .settings import ProjectionsSettings

SETTINGS = web.AppKey("settings", ProjectionsSettings)
CLOCK = web.AppKey("clock", Callable[[], datetime])
CALENDAR = web.AppKey("calendar", BusinessCalendar)
POOL = web.AppKey("pool", asyncpg.Pool)
READ_MODELS = web.AppKey("read_models", ReadModels)
PRINCIPALS = web.AppKey("principals", Principals)
COMMANDS = web.AppKey("commands", IntakeCommands)
