"""What the console's pages show beyond the read models, as the handlers pass it to the templates: saved replies,
an order with its items, who else is replying, the leads' agents and replies, a caller's orders. The page tests
render every console template with these, in both languages."""

from __future__ import annotations

from datetime import UTC, datetime

from soporte.projections.adapters.live import Presence
from soporte.ticketrules import PLACEHOLDERS, AgentAction

PLACED = datetime(2026, 2, 20, 11, 30, tzinfo=UTC)
ITEMS = [
    {"sku": "LCD-156", "name": "Pantalla 15.6 FHD", "quantity": 1},
    {"sku": "CBL-30", "name": "Cable eDP", "quantity": 2},
]
ORDER = {"order_number": "100234", "placed_at": PLACED.isoformat(), "placed": PLACED, "items": ITEMS}
ORDER |= {"customer_name": "Ana Pérez", "email": "ana@example.com"}


def _reply(reply_id: str, name: str, body: str, action: str | None = None, carrier: str | None = None) -> dict:
    return {"id": reply_id, "name": name, "language": "es", "body": body, "action": action, "carrier": carrier}


CANNED = [
    _reply("cr-1", "Etiqueta de devolución", "Hola {customer_name}", "return_label", "SEUR"),
    _reply("cr-2", "Cierre amable", "Gracias {customer_name}", "resolve"),
    _reply("cr-3", "Saludo", "Hola"),
]
CANNED_SHOWN = [{**r, "filled": r["body"].replace("{customer_name}", "Ana Pérez")} for r in CANNED]
REPLYING = [Presence("T-0000000001", "agent-2", "Marta Gil", 0.0), Presence("T-0000000001", "agent-3", "Pablo", 0.0)]
TOKENS = [{"id": "tok-1", "label": "crm", "revoked": True}, {"id": "tok-2", "label": "informes", "revoked": False}]
AGENTS = [
    {"id": "agent-1", "name": "Marta Gil", "email": "marta@shop.test", "role": "lead", "enabled": True},
    {"id": "agent-2", "name": "Luis", "email": "luis@shop.test", "role": "agent", "enabled": False},
]
AGENTS = [AGENTS[0] | {"last": PLACED, "tokens": []}, AGENTS[1] | {"last": None, "tokens": TOKENS}]
CUSTOMERS = [{"email": "ana@example.com", "name": "Ana Pérez", "customer_id": "cust-1", "orders": [ORDER]}]
# What people typed, or named, on these pages: theirs, not the page's words.
TYPED_ON_CONSOLE = tuple(r["name"] for r in CANNED) + tuple(r["body"] for r in CANNED_SHOWN)
TYPED_ON_CONSOLE += ("Pantalla 15.6 FHD", "Cable eDP", "LCD-156", "CBL-30", "Marta Gil", "Pablo", "crm", "informes")
TYPED_ON_CONSOLE += ("marta@shop.test", "luis@shop.test", "Hola", "Gracias", "Ana Pérez", "pantalla rota")
TYPED_ON_CONSOLE += tuple("{" + p + "}" for p in PLACEHOLDERS)


def console_ticket_context() -> dict:
    """A ticket page's context beside the read models: every action, saved replies, the order, two people replying,
    a reply refused as stale (the messages after version 3 marked new, the reply kept)."""
    return {
        "actions": {a.value for a in AgentAction},
        "canned": CANNED_SHOWN,
        "order": ORDER,
        "replying": REPLYING,
        "typed": {"body": "Hola Ana Pérez", "canned_reply_id": "cr-3"},
        "seen_version": 3,
        "live_url": "/agent/live?ticket=T-0000000001",
    }
