"""Typed keys for what the intake app holds."""

from collections.abc import Callable
from datetime import datetime

from aiohttp import web

from soporte.intake.adapters.files import LocalFileStore
from soporte.intake.adapters.store import Agents, Orders
from soporte.intake.entrypoints.auth import AttemptLimiter, Authenticator
from soporte.intake.entrypoints.uploads import UploadLimits
from soporte.intake.service import TicketService
from soporte.intake.settings import IntakeSettings

SETTINGS = web.AppKey("settings", IntakeSettings)
SERVICE = web.AppKey("service", TicketService)
ORDERS = web.AppKey("orders", Orders)
AGENTS = web.AppKey("agents", Agents)
AUTH = web.AppKey("auth", Authenticator)
CLOCK = web.AppKey("clock", Callable[[], datetime])
CLIENT_LIMITER = web.AppKey("client_limiter", AttemptLimiter)
ORDER_LIMITER = web.AppKey("order_limiter", AttemptLimiter)
FILES = web.AppKey("files", LocalFileStore)
UPLOAD_LIMITS = web.AppKey("upload_limits", UploadLimits)
