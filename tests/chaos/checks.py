"""What must hold after every chaos round, each check returning the violations it found (none: it held).

- ``stored_and_published``: every 201 and every mail mail-in took (250) is in the event store; the store and the
  ticket topic hold the same events, each once, and each ticket's versions in order on its partition.
- ``mails``: the notifier's ledger holds exactly the mails the events it has read call for, each one delivered
  (every copy in the mailbox with one Message-ID: a resend is the same mail) or recorded as failed.
- ``escalations``: once the SLA worker has caught up (its own audit), everything due (minus the allowed lateness)
  was raised, nothing that was not due, each id once: as ``replay_escalations`` has it over the same events.
- ``nothing_dead_lettered``: an outage is no record's fault.
The projections check (equal to a fresh rebuild) is ``fresh.read_models_rebuilt``.
"""

from __future__ import annotations

import asyncio
import json
import mailbox
from collections import Counter, defaultdict
from datetime import timedelta
from pathlib import Path
from typing import Any

import asyncpg
from aiokafka import TopicPartition

from soporte.events import DEAD_LETTERS, SLA_ESCALATIONS, SLA_REPORTS, TICKET_EVENTS, Event, decode, from_dict
from soporte.events import types as t
from soporte.notifier.domain.notifications import Desk, contact_from, plan
from soporte.notifier.domain.weekly_summary import plan_weekly_summary
from soporte.notifier.settings import NotifierSettings
from soporte.platform.clock import utc_now
from soporte.platform.kafka import make_consumer
from soporte.sla.entrypoints.operations import audit
from soporte.sla.settings import SlaSettings
from soporte.ticketrules import replay_escalations

from .desk import ALLOWED_LATENESS_SECONDS, ChaosDesk
from .load import Tally

READ_BY_NOTIFIER = (TICKET_EVENTS, SLA_ESCALATIONS, SLA_REPORTS)  # the load asks for no access links
Record = tuple[TopicPartition, int, Event]  # partition, offset, event


async def until(check, timeout: float, interval: float = 0.3):
    """``await check()`` until it returns something truthy (then that), or None after ``timeout``."""
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while True:
        if found := await check():
            return found
        if loop.time() > end:
            return None
        await asyncio.sleep(interval)


async def topic_records(bootstrap: str, topic: str) -> list[Record]:
    """Every record on ``topic`` now (up to its end offsets), decoded, in offset order per partition."""
    consumer = make_consumer(bootstrap, group_id=None)
    await consumer.start()
    try:
        await consumer._client.force_metadata_update()  # a fresh consumer knows no partition yet
        partitions = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or ())]
        consumer.assign(partitions)
        ends = await consumer.end_offsets(partitions)
        await consumer.seek_to_beginning(*partitions)
        records: list[Record] = []
        pending = {tp for tp in partitions if ends[tp] > 0}
        while pending:
            for tp, batch in (await consumer.getmany(*pending, timeout_ms=1000)).items():
                records += [(tp, r.offset, decode(r.value)) for r in batch if r.offset < ends[tp]]
            pending = {tp for tp in pending if await consumer.position(tp) < ends[tp]}
        return records
    finally:
        await consumer.stop()


async def stored_and_published(desk: ChaosDesk, tally: Tally, db: asyncpg.Connection, counts: Counter) -> list[str]:
    problems = []
    drained = await until(
        lambda: _fetch_is(db, "SELECT count(*) = 0 FROM intake.outbox WHERE published_at IS NULL"), 90
    )
    if not drained:
        problems.append("the outbox was not drained within 90 s of the round")
    stored = {
        (r["ticket_id"], r["version"]): str(r["event_id"])
        for r in await db.fetch("SELECT ticket_id, version, event_id FROM intake.events")
    }
    problems += [f"201 for {t} v{v} but not in the event store" for t, v in sorted(tally.committed - set(stored))]
    taken = {r["key"] for r in await db.fetch("SELECT key FROM intake.idempotency WHERE principal = 'mail'")}
    problems += [f"mail {m} taken (250) but not in the event store" for m in tally.mails if m.strip("<>") not in taken]
    records = await topic_records(desk.stack.kafka_bootstrap, TICKET_EVENTS.name(""))
    published = Counter((e.ticket_id, e.version) for _, _, e in records if isinstance(e, t.TICKET_STREAM_TYPES))
    counts["events stored"], counts["ticket events on Kafka"] = len(stored), sum(published.values())
    problems += [f"{k} on Kafka {n} times" for k, n in sorted(published.items()) if n > 1]
    problems += [f"{k} stored, not on Kafka" for k in sorted(set(stored) - set(published))]
    problems += [f"{k} on Kafka, not stored" for k in sorted(set(published) - set(stored))]
    versions: dict[str, list[int]] = defaultdict(list)
    for _, _, event in records:  # per partition, offset order; one ticket is on one partition
        if isinstance(event, t.TICKET_STREAM_TYPES):
            versions[event.ticket_id].append(event.version)
    problems += [f"{ticket} on Kafka in the order {seen}" for ticket, seen in versions.items() if seen != sorted(seen)]
    return problems


async def _fetch_is(db: asyncpg.Connection, query: str) -> bool:
    return bool(await db.fetchval(query))


async def nothing_dead_lettered(desk: ChaosDesk) -> list[str]:
    letters = await topic_records(desk.stack.kafka_bootstrap, DEAD_LETTERS.name(""))
    return [f"dead letter from {e.data.consumer}: {e.data.reason[:200]}" for _, _, e in letters]


async def escalations(desk: ChaosDesk, db: asyncpg.Connection, counts: Counter) -> list[str]:
    settings = SlaSettings(kafka_bootstrap=desk.stack.kafka_bootstrap, sla_app_id=desk.sla_app_id)
    caught_up_by = utc_now()
    if await audit(settings, 90.0) != 0:
        return ["the SLA worker's clocks were not caught up within 90 s of the round (soporte sla audit)"]
    rules, lateness = desk.rules(), timedelta(seconds=ALLOWED_LATENESS_SECONDS)
    events = [from_dict(json.loads(r["payload"])) for r in await db.fetch("SELECT payload FROM intake.events")]
    due = set(replay_escalations(events, rules, caught_up_by - lateness))
    await asyncio.sleep(ALLOWED_LATENESS_SECONDS + 1.0)  # the timers' last tick over what was due by then

    async def all_due_seen():
        seen = await topic_records(desk.stack.kafka_bootstrap, SLA_ESCALATIONS.name(""))
        return seen if due <= {e.event_id for _, _, e in seen} else None

    seen = await until(all_due_seen, 30) or await topic_records(desk.stack.kafka_bootstrap, SLA_ESCALATIONS.name(""))
    possible = set(replay_escalations(events, rules, utc_now()))
    raised = Counter(e.event_id for _, _, e in seen)
    counts["escalations due"], counts["escalations raised"] = len(due), len(raised)
    problems = [f"escalation {i} raised {n} times" for i, n in raised.items() if n > 1]
    problems += [f"escalation {i} due and never raised" for i in sorted(due - set(raised), key=str)]
    unexpected = {e.event_id: e for _, _, e in seen if e.event_id not in possible}
    problems += [await _explained(db, e) for _, e in sorted(unexpected.items(), key=lambda kv: str(kv[0]))]
    return problems


async def _explained(db: asyncpg.Connection, escalation: Event) -> str:
    """An escalation raised though not due, with its ticket's events: when each occurred and was published."""
    rows = await db.fetch(
        "SELECT e.version, e.type, e.occurred_at, o.published_at FROM intake.events e"
        " LEFT JOIN intake.outbox o ON o.key = e.ticket_id AND o.version = e.version WHERE e.ticket_id = $1"
        " ORDER BY e.version",
        escalation.ticket_id,
    )
    history = "; ".join(
        f"v{r['version']} {r['type']} at {r['occurred_at']:%H:%M:%S.%f}"
        + (f" published {r['published_at']:%H:%M:%S.%f}" if r["published_at"] else " unpublished")
        for r in rows
    )
    data = escalation.data
    return (
        f"escalation {escalation.event_id} ({escalation.type} {data.clock} of {escalation.ticket_id}, deadline"
        f" {data.deadline:%H:%M:%S.%f}, raised at {escalation.occurred_at:%H:%M:%S.%f}) raised but not due: {history}"
    )


async def mails(desk: ChaosDesk, db: asyncpg.Connection, counts: Counter) -> list[str]:
    """The ledger, read with the notifier's positions in one snapshot, against the plan of what those positions
    cover; then each of its mails delivered once (by Message-ID) or recorded as failed."""
    async with db.transaction(isolation="repeatable_read", readonly=True):
        positions = {
            (r["topic"], r["partition"]): r["next_offset"]
            for r in await db.fetch("SELECT topic, partition, next_offset FROM notifier.positions")
        }
        ledger = {r["notification_id"] for r in await db.fetch("SELECT notification_id FROM notifier.notifications")}
    # Read after the snapshot: everything below its positions is on the topics by now.
    bootstrap = desk.stack.kafka_bootstrap
    records = [r for topic in READ_BY_NOTIFIER for r in await topic_records(bootstrap, topic.name(""))]
    read = [e for tp, offset, e in records if offset < positions.get((tp.topic, tp.partition), 0)]
    expected = {n.notification_id for n in _planned(read, desk)}
    problems = [f"mail {n} planned by the events but not in the ledger" for n in sorted(expected - ledger)]
    problems += [f"mail {n} in the ledger but no event calls for it" for n in sorted(ledger - expected)]

    async def finished():
        return await db.fetchval(
            "SELECT count(*) = 0 FROM notifier.notifications WHERE status = 'pending' AND notification_id = ANY($1)",
            list(ledger),
        )

    if not await until(finished, 90):
        problems.append("mails still pending 90 s after the round")
    sent = {
        r["notification_id"]
        for r in await db.fetch("SELECT notification_id FROM notifier.notifications WHERE status = 'sent'")
    }
    delivered = _delivered(desk.stack.mailbox)
    counts["mails planned"], counts["mails sent"] = len(expected), len(sent)
    problems += [f"mail {n} recorded sent, never delivered" for n in sorted((sent & ledger) - set(delivered))]
    problems += [f"mail {n} delivered under {len(ids)} Message-IDs" for n, ids in delivered.items() if len(ids) > 1]
    problems += [f"a mail the ledger does not know: {n}" for n in sorted(set(delivered) - ledger) if n in expected]
    return problems


def _planned(events: list[Event], desk: ChaosDesk) -> list[Any]:
    settings = NotifierSettings()
    planner = Desk(desk.rules(), settings.portal_url, settings.recipients_by_role(), settings.staff_language)
    contacts, planned = {}, []
    for event in events:
        contact = contact_from(event)
        if contact is not None:
            contacts[contact.ticket_id] = contact
        planned += plan(event, contact or contacts.get(event.ticket_id or ""), planner)
        planned += plan_weekly_summary(event, planner)
    return planned


def _delivered(maildir: Path) -> dict[str, set[str]]:
    """Notification id -> the Message-IDs its copies in the mailbox carry."""
    found: dict[str, set[str]] = defaultdict(set)
    for message in mailbox.Maildir(maildir, create=False):
        if notification := message.get("X-Soporte-Notification"):
            found[notification].add(str(message.get("Message-ID")))
    return found
