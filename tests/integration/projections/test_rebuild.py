"""``soporte projections rebuild``: replay into fresh tables and swap them in while the live app keeps answering."""

from __future__ import annotations

import asyncio
import os
import re
import sys
import threading

import pytest

from soporte.events import TICKET_EVENTS
from soporte.platform.clock import utc_now
from soporte.projections.entrypoints.rebuild import RebuildRefused, rebuild
from tests.support.scenario import Stream

from .conftest import CAL, POLICIES, at, bearer, dump_tables, eventually, wait_projected
from .test_live_and_search import found
from .test_pages_http import sign_in
from .test_redelivery import desk_history

PROGRESS = re.compile(r"^rebuild: (\d+)/(\d+) events \(\d+%\), \d+ events/s; .*tickets\.events\.v1 (\d+)/(\d+)")
ALWAYS_OPEN = "timezone: UTC\nweekly:\n" + "".join(
    f"  {day}: ['00:00-24:00']\n"
    for day in ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
)


async def index_and_constraint_names(conn) -> list[tuple[str, str, str]]:
    """(table, index or constraint, definition) of every read-model table: what migrations may refer to by name."""
    rows = await conn.fetch(
        """SELECT c.relname AS tbl, i.relname AS name, pg_get_indexdef(x.indexrelid) AS def
             FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class c ON c.oid = x.indrelid
             JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'projections'
           UNION ALL
           SELECT c.relname, k.conname, pg_get_constraintdef(k.oid)
             FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid
             JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'projections'
           ORDER BY 1, 2, 3"""
    )
    return [(r["tbl"], r["name"], r["def"]) for r in rows]


class Requests:
    """Agents and a customer reading all the time; every answer is kept."""

    def __init__(self, client, ticket_id: str) -> None:
        self.client, self.answers, self.stop = client, [], asyncio.Event()
        self.paths = [
            ("/api/v1/queues/all", "agent-token"),
            (f"/api/v1/tickets/{ticket_id}", "agent-token"),
            (f"/api/v1/tickets/{ticket_id}", "ana-token"),
            ("/api/v1/me/tickets", "ana-token"),
            ("/api/v1/figures", "agent-token"),
        ]
        self.task = asyncio.create_task(self._loop())

    async def _loop(self) -> None:
        while not self.stop.is_set():
            for path, token in self.paths:
                response = await self.client.get(path, headers=bearer(token))
                self.answers.append((path, token, response.status, await response.text()))

    async def more(self, count: int = 10) -> None:
        """Wait until ``count`` more answers came (the loop is still going)."""
        target = len(self.answers) + count
        while len(self.answers) < target:
            assert not self.task.done(), self.task.exception()
            await asyncio.sleep(0.02)

    async def finish(self) -> list:
        self.stop.set()
        await self.task  # a failed request (an exception) fails the test here
        return self.answers


@pytest.fixture
async def reading(start_app):
    """Starts a ``Requests`` loop; stopped before the app is."""
    loops: list[Requests] = []

    def start(client, ticket_id: str) -> Requests:
        loops.append(Requests(client, ticket_id))
        return loops[-1]

    yield start
    for loop in loops:
        loop.task.cancel()
        await asyncio.gather(loop.task, return_exceptions=True)


async def test_rebuild_while_serving_loses_no_request_and_ends_equal_to_the_live_tables(
    start_app, reading, produce, db, settings, tmp_path
):
    client = await start_app()
    history = desk_history()
    for topic, event in history:
        await produce(topic, event)
    await wait_projected(db, len(history))
    live = await dump_tables(db)
    names = await index_and_constraint_names(db)
    requests = reading(client, history[0][1].ticket_id)
    await requests.more()

    # First rebuild: nothing new arrives; the swapped-in tables equal the live ones row for row.
    lines: list[str] = []
    assert await rebuild(settings, CAL, POLICIES, utc_now, out=lines.append) == len(history)
    await requests.more()
    assert await dump_tables(db) == live
    # Search reads the swapped-in tables: a reply's and an internal note's words find their ticket.
    await sign_in(client)
    answered = history[0][1].ticket_id
    assert await found(client, "respuesta") == [answered] and await found(client, "nota") == [answered]
    assert lines[-1] == f"rebuild: swapped in the rebuilt tables ({len(history)} events replayed)"
    progress = [m for line in lines if (m := PROGRESS.match(line))]
    assert len(progress) >= 2, lines
    first, last = progress[0].groups(), progress[-1].groups()
    assert first[0] == "0" and first[1] == str(len(history)) and first[2] == "0" and int(first[3]) == 10
    assert last[0] == last[1] == str(len(history)) and last[2] == last[3] == "10"

    # Second rebuild, with events arriving while it runs and after it: the reader carries them into the new tables.
    unchanged = len(requests.answers)
    during, after = Stream(), Stream()
    running = asyncio.create_task(rebuild(settings, CAL, POLICIES, utc_now, out=lines.append))
    await produce(
        TICKET_EVENTS,
        during.submitted(at(30)),
        during.agent_replied(at(31), "En ello"),
    )
    await running
    await produce(TICKET_EVENTS, after.submitted(at(40)))
    await wait_projected(db, len(history) + 3)
    queue = await (await client.get("/api/v1/queues/all", headers=bearer("agent-token"))).json()
    versions = {item["ticket_id"]: item["version"] for item in queue["items"]}
    assert versions[during.ticket_id] == 2 and versions[after.ticket_id] == 1 and len(versions) == 5
    # Index and constraint names stay those of the migration, rebuild after rebuild.
    assert await index_and_constraint_names(db) == names

    # The operator's command, as a subprocess (same calendar and policies as the live app), while requests go on.
    live = await dump_tables(db)
    (tmp_path / "calendar.yaml").write_text(ALWAYS_OPEN)
    (tmp_path / "policies.yaml").write_text("warning_fraction: 0.8\n")
    env = {
        **os.environ,
        "SOPORTE_DATABASE_URL": settings.database_url,
        "SOPORTE_KAFKA_BOOTSTRAP": settings.kafka_bootstrap,
        "SOPORTE_TOPIC_PREFIX": settings.topic_prefix,
        "SOPORTE_CALENDAR_FILE": str(tmp_path / "calendar.yaml"),
        "SOPORTE_SLA_POLICY_FILE": str(tmp_path / "policies.yaml"),
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "soporte.cli.main",
        "projections",
        "rebuild",
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 0, stderr.decode()
    output = stdout.decode().splitlines()
    total = len(history) + 3
    assert any(PROGRESS.match(line) for line in output), output
    assert PROGRESS.match([line for line in output if PROGRESS.match(line)][-1]).groups()[:2] == (
        str(total),
        str(total),
    )
    assert output[-1] == f"rebuild: swapped in the rebuilt tables ({total} events replayed)"
    await requests.more()
    assert await dump_tables(db) == live
    assert await index_and_constraint_names(db) == names

    # Not one request lost or failed; while nothing new arrived, every answer to the same request was the same.
    answers = await requests.finish()
    assert len(answers) >= 30 and {status for _, _, status, _ in answers} == {200}
    first_phase: dict[tuple[str, str], set[str]] = {}
    for path, token, _, body in answers[:unchanged]:
        if path != "/api/v1/figures":  # "today" comes from the wall clock
            first_phase.setdefault((path, token), set()).add(body)
    assert len(first_phase) == 4 and all(len(bodies) == 1 for bodies in first_phase.values())


async def test_what_the_reader_applied_to_the_old_tables_during_a_rebuild_reaches_the_new_ones(
    start_app, produce, db, settings
):
    client = await start_app()
    first = Stream()
    await produce(TICKET_EVENTS, first.submitted(at(1)))
    await wait_projected(db, 1)

    # The rebuild runs on its own loop; it stops right after taking the end offsets until the test lets it go on.
    ends_taken, go_on, lines = threading.Event(), threading.Event(), []

    def out(line: str) -> None:
        lines.append(line)
        if not ends_taken.is_set():
            ends_taken.set()
            assert go_on.wait(60), "the test never let the rebuild go on"

    rebuilding = asyncio.create_task(asyncio.to_thread(asyncio.run, rebuild(settings, CAL, POLICIES, utc_now, out=out)))
    assert await asyncio.to_thread(ends_taken.wait, 60)
    # One rebuild at a time: a second one would drop the first one's twins under it.
    with pytest.raises(RebuildRefused, match="another rebuild is running"):
        await rebuild(settings, CAL, POLICIES, utc_now, out=lambda line: None)
    # Past the rebuild's end offsets: the live reader applies these to the old tables only.
    late = Stream()
    await produce(TICKET_EVENTS, late.submitted(at(2)), first.agent_replied(at(3), "Hola"))
    await wait_projected(db, 3)
    go_on.set()
    assert await rebuilding == 1
    assert lines[-1] == "rebuild: swapped in the rebuilt tables (1 events replayed)"

    # Nothing else arrives, yet the reader notices the swap and applies them again to the new tables.
    async def both_there() -> bool:
        queue = await (await client.get("/api/v1/queues/all", headers=bearer("agent-token"))).json()
        return {item["ticket_id"]: item["version"] for item in queue["items"]} == {
            first.ticket_id: 2,
            late.ticket_id: 1,
        }

    await eventually(both_there, timeout=15)
    await wait_projected(db, 3)


async def test_a_rebuild_that_finds_no_source_topic_refuses_and_changes_nothing(start_app, produce, db, settings):
    await start_app()
    stream = Stream()
    await produce(TICKET_EVENTS, stream.submitted(at(1)))
    await wait_projected(db, 1)
    live = await dump_tables(db)

    wrong_prefix = settings.model_copy(update={"topic_prefix": "no-such-prefix."})
    with pytest.raises(RebuildRefused, match=r"topic no-such-prefix\.tickets\.events\.v1 does not exist"):
        await rebuild(wrong_prefix, CAL, POLICIES, utc_now, out=lambda line: None)
    assert await dump_tables(db) == live
    assert await db.fetchval("SELECT generation FROM projections.generation") == 0
    assert (
        await db.fetchval(
            "SELECT count(*) FROM pg_tables WHERE schemaname = 'projections' AND tablename LIKE '%_rebuild'"
        )
        == 0
    )
