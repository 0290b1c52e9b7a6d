"""Typed keys for what the intake app holds (set by ``bootstrap.create_app``)."""

from collections.abc import Callable

from aiohttp import web

from soporte.intake.adapters.files import LocalFileStore
from soporte.intake.adapters.images import ImageViews
from soporte.intake.adapters.orders import PostgresOrders
from soporte.intake.entrypoints.auth import Authenticator
from soporte.intake.entrypoints.uploads import UploadLimits
from soporte.intake.service_layer.messagebus import MessageBus
from soporte.intake.service_layer.unit_of_work import UnitOfWork
from soporte.intake.settings import IntakeSettings
from soporte.ticketrules import SlaRules

SETTINGS = web.AppKey("settings", IntakeSettings)
BUS = web.AppKey("bus", MessageBus)  # commands go here
UOW = web.AppKey("uow", Callable[[], UnitOfWork])  # a fresh unit of work, for reads without a command
ORDERS = web.AppKey("orders", PostgresOrders)  # reads: a customer's orders
AUTH = web.AppKey("auth", Authenticator)
SLA_RULES = web.AppKey("sla_rules", SlaRules)  # the calendar says in which timezone pages show times
FILES = web.AppKey("files", LocalFileStore)
UPLOAD_LIMITS = web.AppKey("upload_limits", UploadLimits)
IMAGES = web.AppKey("images", ImageViews)  # photos as agents look at them (thumbnails, full size)
