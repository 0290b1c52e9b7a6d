"""A healthy worker under traffic logs no ERROR line, with faust's stall watchdog looking the whole time."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from soporte.events import types as t
from tests.integration.sla.test_sla_scale_out import log_records
from tests.support.scenario import Stream

# faust's watchdog looks at every assigned partition every 2.5 s and complains about those not fetched,
# processed or committed for longer than this; at its default (5 min) it would not look during a test.
STALL_TIMEOUT = 8
TRAFFIC_SECONDS = 3 * STALL_TIMEOUT
TICKETS_PER_SECOND = 3  # every ticket partition gets events far more often than once per STALL_TIMEOUT


async def test_a_healthy_worker_under_traffic_logs_no_error(sla_process, publish, escalations):
    worker = await sla_process(SOPORTE_SLA_STALL_TIMEOUT_SECONDS=str(STALL_TIMEOUT)).ready()
    tickets: list[Stream] = []
    loop = asyncio.get_running_loop()
    end = loop.time() + TRAFFIC_SECONDS
    while loop.time() < end:
        ticket = Stream()
        tickets.append(ticket)
        now = datetime.now(UTC)
        await publish(ticket.submitted(now))
        if len(tickets) % 3 == 0:
            await publish(ticket.agent_replied(now))  # a first response: a KPI instead of escalations
        await asyncio.sleep(1 / TICKETS_PER_SECOND)

    # The worker really worked: the unanswered tickets have breached (the 4 s policy of the fixture).
    unanswered = {ticket.ticket_id for ticket in tickets if ticket.version == 1}
    await escalations.wait_for(
        lambda seen: unanswered <= {e.ticket_id for e in seen if isinstance(e, t.SlaBreached)}, timeout=60
    )
    assert worker.stop() == 0

    lines = worker.log.read_text().splitlines()
    errors = [r for r in log_records(worker) if r.get("level") in {"error", "critical", "exception"}]
    not_json = [line for line in lines if not line.startswith("{")]  # a traceback or a raw print
    assert (errors, not_json) == ([], []), "\n".join([*map(str, errors[:5]), *not_json[:20]])
