"""The bounded load of a chaos round: customers submitting and replying, agents acting on tickets, mail coming in.

Every request is judged as a client sees it: an answer (2xx accepted, 4xx refused), 503 with Retry-After (the
desk is away: wait and send the same request again, with the same Idempotency-Key), a connection refused or cut
(the service is down: the same), or a violation: any other 5xx, a 503 without Retry-After, or a request left
without an answer for ``HANG_SECONDS``. What intake accepted (201) and the mails mail-in took (250) are kept for
the checks: each must be in the event store, on Kafka, and so on.
"""

from __future__ import annotations

import asyncio
import random
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage

import aiohttp
import aiosmtplib

from soporte.platform.tokens import sign_token
from tests.support.processes import SHOP_SECRET

HANG_SECONDS = 30.0  # no answer within this: the client was left hanging
GIVE_UP_SECONDS = 90.0  # a request still refused (connection) this long after the load stopped: outcome unknown
CATEGORIES = ("damaged_item", "pre_sales", "order_status", "troubleshooting", "other")
AGENT_ACTIONS = {
    "responses": lambda n: {"body": f"Respuesta {n}"},
    "notes": lambda n: {"body": f"Nota {n}"},
    "clarification-requests": lambda n: {"question": f"¿Foto {n}?"},
    "resolve": lambda n: {"resolution": "Resuelto"},
    "reopen": lambda n: {},
    "return-labels": lambda n: {"carrier": "SEUR"},
    "courier-claims": lambda n: {"carrier": "GLS", "reason": f"Llegó rota {n}"},
}


@dataclass
class Tally:
    requests: int = 0
    accepted: int = 0
    refused: int = 0
    unavailable: int = 0  # 503 + Retry-After: the desk said "come back"
    dropped: int = 0  # connection refused or cut: a service was down
    violations: list[str] = field(default_factory=list)
    committed: set[tuple[str, int]] = field(default_factory=set)  # (ticket, version) intake answered 201 for
    mails: set[str] = field(default_factory=set)  # Message-IDs mail-in answered 250 for


@dataclass
class Ticket:
    ticket_id: str
    token: str
    version: int = 1


class Load:
    def __init__(self, intake: str, projections: str, mailin_port: int, agent_token: str, seed: int) -> None:
        self.intake, self.projections, self.mailin_port = intake, projections, mailin_port
        self.agent = {"Authorization": f"Bearer {agent_token}"}
        self.rng = random.Random(seed)
        self.tally = Tally()
        self.tickets: list[Ticket] = []
        self.stopping = asyncio.Event()
        self.counter = 0

    async def run(self, seconds: float, customers: int = 3, agents: int = 2) -> None:
        """Customers, agents and one mail sender for ``seconds``; then every request still going finishes."""
        self.stopping.clear()
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=HANG_SECONDS)) as session:
            users = [self._customer(session, n) for n in range(customers)]
            users += [self._agent(session) for _ in range(agents)] + [self._mailer()]
            tasks = [asyncio.create_task(user) for user in users]
            await asyncio.sleep(seconds)
            self.stopping.set()
            await asyncio.gather(*tasks)

    def _next(self) -> int:
        self.counter += 1
        return self.counter

    async def _customer(self, session, n: int) -> None:
        customer = f"chaos-{n}"
        token = sign_token(
            {"kind": "customer", "sub": customer, "email": f"{customer}@example.com", "name": f"Cliente {n}"},
            SHOP_SECRET,
            expires_at=datetime.now(UTC) + timedelta(hours=2),
        )
        mine: list[Ticket] = []
        while not self.stopping.is_set():
            if not mine or self.rng.random() < 0.3:
                body = {"category": self.rng.choice(CATEGORIES), "description": "Llegó rota", "customer_name": "Ana"}
                answer = await self._send(
                    session, "POST", "/api/v1/tickets", {"Authorization": f"Bearer {token}"}, body
                )
                if answer and "access_token" in answer:
                    mine.append(Ticket(answer["ticket_id"], answer["access_token"]))
                    self.tickets.append(mine[-1])
            else:
                ticket = self.rng.choice(mine)
                headers = {"Authorization": f"Bearer {ticket.token}"}
                path = f"/api/v1/tickets/{ticket.ticket_id}/messages"
                answer = await self._send(session, "POST", path, headers, {"body": f"Más datos {self._next()}"})
                if answer and "version" in answer:
                    path = f"/api/v1/tickets/{ticket.ticket_id}?min_version={answer['version']}"
                    await self._send(session, "GET", path, headers, None, base=self.projections)
            await asyncio.sleep(self.rng.uniform(0.05, 0.3))

    async def _agent(self, session) -> None:
        while not self.stopping.is_set():
            if self.tickets and self.rng.random() < 0.8:
                ticket, action = self.rng.choice(self.tickets), self.rng.choice(sorted(AGENT_ACTIONS))
                body = AGENT_ACTIONS[action](self._next())
                await self._send(session, "POST", f"/api/v1/tickets/{ticket.ticket_id}/{action}", self.agent, body)
            elif self.rng.random() < 0.5:
                body = {**_phone_call(self.rng), "customer_email": f"llamada-{self._next()}@example.com"}
                await self._send(session, "POST", "/api/v1/tickets", self.agent, body)
            else:
                await self._send(session, "GET", "/api/v1/queues/unassigned", self.agent, None, base=self.projections)
            await asyncio.sleep(self.rng.uniform(0.05, 0.3))

    async def _send(self, session, method: str, path: str, headers: dict, body, *, base: str | None = None):
        """One request until it has an answer (the same Idempotency-Key each time); its JSON when accepted."""
        url = (base or self.intake) + path
        headers = {**headers, "Idempotency-Key": str(uuid.uuid4())} if method == "POST" else headers
        loop = asyncio.get_running_loop()
        give_up = None
        while True:
            if self.stopping.is_set():
                give_up = give_up or loop.time() + GIVE_UP_SECONDS
                if loop.time() > give_up:
                    return None  # unknown outcome: nothing recorded, nothing checked
            try:
                async with session.request(method, url, headers=headers, json=body) as response:
                    status, answer = response.status, await response.read()
                    retry_after = response.headers.get("Retry-After")
            except TimeoutError:
                self.tally.violations.append(f"no answer within {HANG_SECONDS:.0f} s: {method} {path}")
                return None
            except aiohttp.ClientConnectionError:
                self.tally.dropped += 1
                await asyncio.sleep(0.5)
                continue
            self.tally.requests += 1
            if status == 503 and retry_after and retry_after.isdigit():
                self.tally.unavailable += 1
                await asyncio.sleep(min(int(retry_after), 1.0))
                continue
            if status >= 500:
                self.tally.violations.append(f"{status} for {method} {path}: {answer[:200]!r}")
                return None
            if status >= 400:
                self.tally.refused += 1
                return None
            self.tally.accepted += 1
            data = _json(answer)
            if method == "POST" and status == 201 and base is None and "version" in data:
                self.tally.committed.add((data["ticket_id"], data["version"]))
            return data

    async def _mailer(self) -> None:
        while not self.stopping.is_set():
            n = self._next()
            message = EmailMessage()
            message["From"], message["To"] = f"Remitente {n} <correo-{n}@example.com>", "soporte@localhost"
            message["Subject"], message["Message-ID"] = (
                f"Pantalla rota {n}",
                f"<chaos-{n}-{uuid.uuid4().hex}@example.com>",
            )
            message.set_content("Me llegó la pantalla rota, ¿qué hago?")
            if await self._deliver(message):
                self.tally.mails.add(message["Message-ID"])
            await asyncio.sleep(self.rng.uniform(0.3, 1.0))

    async def _deliver(self, message: EmailMessage) -> bool:
        """SMTP as a mail server does it: 451 or no answer means later, the same mail again."""
        loop = asyncio.get_running_loop()
        give_up = None
        while True:
            if self.stopping.is_set():
                give_up = give_up or loop.time() + GIVE_UP_SECONDS
                if loop.time() > give_up:
                    return False
            try:
                await aiosmtplib.send(message, hostname="127.0.0.1", port=self.mailin_port, timeout=HANG_SECONDS)
                self.tally.requests += 1
                self.tally.accepted += 1
                return True
            except aiosmtplib.SMTPResponseException as refused:
                self.tally.requests += 1
                if refused.code // 100 != 4:
                    self.tally.violations.append(f"mail-in answered {refused.code}: {refused.message}")
                    return False
                self.tally.unavailable += 1
            except aiosmtplib.SMTPTimeoutError:
                self.tally.violations.append(f"mail-in left a mail without an answer for {HANG_SECONDS:.0f} s")
                return False
            except (aiosmtplib.SMTPException, OSError):
                self.tally.dropped += 1
            await asyncio.sleep(0.5)


def _phone_call(rng: random.Random) -> dict:
    return {
        "category": rng.choice(CATEGORIES),
        "description": "Llamó por teléfono",
        "customer_name": "Luis",
        "channel": "phone",
    }


def _json(raw: bytes) -> dict:
    import json

    try:
        data = json.loads(raw)
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}
