"""Agent console and customer status pages (filled in below)."""

from aiohttp import web


def add_page_routes(app: web.Application) -> None:
    return None
