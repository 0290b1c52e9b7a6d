"""What the customers' browser tests do before they look: tickets opened the ways people open them."""

from __future__ import annotations

import aiohttp

from tests.support.desk import RunningDesk, signed_in_page
from tests.support.intake import bearer, order_known


async def guest_ticket(desk: RunningDesk, shop_orders, email: str, order_number: str, **fields) -> dict:
    """A guest's ticket about their order (the order placed at the shop first), as the API answers it."""
    await shop_orders(order_number, email, shipping_address=fields.pop("shipping_address", None))
    await order_known(desk.settings.database_url, order_number)
    body = {"category": "damaged_item", "description": "La pantalla llegó rota", "customer_name": "Ana Pérez"}
    async with aiohttp.ClientSession() as session:
        async with session.post(
            f"{desk.intake}/api/v1/guest-sessions", json={"email": email, "order_number": order_number}
        ) as opened:
            guest = (await opened.json())["guest_token"]
        async with session.post(
            f"{desk.intake}/api/v1/tickets", headers=bearer(guest), json={**body, **fields}
        ) as created:
            assert created.status == 201, await created.text()
            return await created.json()


async def ticket_for(desk: RunningDesk, token: str, **fields) -> dict:
    """A ticket sent with ``token`` (a shop customer's, or an agent's for a caller)."""
    async with aiohttp.ClientSession() as session:
        async with session.post(f"{desk.intake}/api/v1/tickets", headers=bearer(token), json=fields) as created:
            assert created.status == 201, await created.text()
            return await created.json()


async def agent_signs_in(desk: RunningDesk, browser):
    return await signed_in_page(browser, desk.portal, desk.agent.email, desk.agent.password)
