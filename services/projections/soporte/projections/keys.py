"""Typed keys of what the app holds (set up in ``bootstrap.create_app``)."""

from __future__ import annotations

import asyncio

import asyncpg
from aiohttp import web

from soporte.businesstime import BusinessCalendar
from soporte.platform.clock import Clock
from soporte.platform.reader import TrackedReader
from soporte.projections.adapters.intake import IntakeCommands, Principals
from soporte.projections.adapters.live import LiveHub
from soporte.projections.adapters.queries import ReadModels
from soporte.projections.settings import ProjectionsSettings
from soporte.ticketrules import SlaRules

SETTINGS = web.AppKey("settings", ProjectionsSettings)
CLOCK = web.AppKey("clock", Clock)
CALENDAR = web.AppKey("calendar", BusinessCalendar)
RULES = web.AppKey("rules", SlaRules)  # the SLA clock rules the fold and the explanations use
POOL = web.AppKey("pool", asyncpg.Pool)
READ_MODELS = web.AppKey("read_models", ReadModels)
PRINCIPALS = web.AppKey("principals", Principals)
COMMANDS = web.AppKey("commands", IntakeCommands)
READER = web.AppKey("reader", TrackedReader)  # the live reader (absent when the app runs without it)
READER_TASK = web.AppKey("reader_task", asyncio.Task)
LIVE = web.AppKey("live", LiveHub)  # read-model changes and presence for open consoles
