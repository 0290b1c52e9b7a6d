"""A lead opens the dashboard in chromium over a generated month of a few thousand tickets.

Intake (agents, roles, whoami) and projections run as in ``make run``; the
history's events and the escalations they give go to the real Kafka and the
live reader projects them into the real read models. Every chart's table, the
summary and the CSV the page downloads are checked against figures worked out
by hand from how the history was made (``tests.support.desk_history``).
Screenshots (a wide screen and a phone) are left in the test artifacts.
"""

from __future__ import annotations

import csv
import io
import uuid
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta

from soporte.events import SLA_ESCALATIONS, TICKET_EVENTS, encode, event_key
from soporte.intake.bootstrap import create_app as create_intake_app
from soporte.platform.kafka import make_producer
from soporte.projections.bootstrap import create_app as create_projections_app
from soporte.projections.settings import ProjectionsSettings
from soporte.ticketrules import SlaRules, load_policies, replay_escalations
from tests.integration.projections.conftest import wait_projected
from tests.support.desk import serve
from tests.support.desk_history import CALENDAR, MADRID, DeskHistory, local
from tests.support.intake import create_agent
from tests.support.smtp import free_port

NOW = local(date(2026, 3, 31), 11)  # a Tuesday morning in Madrid
DAYS = [NOW.date() - timedelta(days=29 - n) for n in range(30)]


def share(part: int, whole: int) -> str:
    return f"{part / whole:.4f}" if whole else ""


def expected_tables(history: DeskHistory) -> dict[str, dict[str, dict[str, str]]]:
    """Each chart's table as the page must show it (row key -> column -> data-value), by hand."""
    tables: dict[str, dict[str, dict[str, str]]] = defaultdict(dict)
    by_day = defaultdict(list)
    for tk in history.tickets:
        by_day[tk.day.isoformat()].append(tk)
    raised: dict[str, Counter] = defaultdict(Counter)
    for tk in history.tickets:
        for kind in ("warnings", "breaches"):
            for moment in getattr(tk, kind):
                raised[moment.astimezone(MADRID).date().isoformat()][kind] += 1
    for day in (d.isoformat() for d in DAYS):
        minutes = [tk.minutes for tk in by_day[day] if tk.minutes is not None]
        average = f"{sum(minutes) / len(minutes):.4f}" if minutes else ""
        tables["first-response"][day] = {"average": average, "measured": str(len(minutes))}
        in_time = sum(m < 15 for m in minutes)
        tables["answered-in-time"][day] = {
            "part": str(in_time),
            "out_of": str(len(minutes)),
            "share": share(in_time, len(minutes)),
        }
        met = [tk.attention_met(NOW) for tk in by_day[day]]
        known = met.count(True) + met.count(False)
        tables["attended"][day] = {
            "part": str(met.count(True)),
            "out_of": str(known),
            "share": share(met.count(True), known),
        }
        tables["escalations"][day] = {k: str(raised[day][k]) for k in ("warnings", "breaches")}
        end = datetime.combine(date.fromisoformat(day) + timedelta(days=1), datetime.min.time(), MADRID)
        open_then = [(tk, tk.status_at(end - timedelta(microseconds=1))) for tk in history.tickets]
        statuses = Counter(status for _, status in open_then if status)
        tables["backlog-status"][day] = {s: str(statuses[s]) for s in ("new", "open", "waiting_on_customer")}
        tables["backlog-status"][day]["total"] = str(sum(statuses.values()))
        categories = Counter(tk.category for tk, status in open_then if status)
        tables["backlog-category"][day] = {c: str(n) for c, n in categories.items()} | {
            "total": str(sum(statuses.values()))
        }
    responders = defaultdict(list)
    for tk in history.tickets:
        if tk.minutes is not None:
            responders[tk.responder.id].append(tk.minutes)
    for agent_id, minutes in responders.items():
        tables["agents"][agent_id] = {
            "first_responses": str(len(minutes)),
            "average": f"{sum(minutes) / len(minutes):.4f}",
        }
    return tables


async def shown_table(page, key: str) -> dict[str, dict[str, str]]:
    """A chart's table as the page has it: row key -> column -> data-value (zero columns left out)."""
    return await page.evaluate(
        """key => Object.fromEntries([...document.querySelectorAll(`#table-${key} tbody tr`)].map(row => [
               row.dataset.key,
               Object.fromEntries([...row.querySelectorAll('td')]
                   .filter(td => !(key === 'backlog-category' && td.dataset.value === '0'))
                   .map(td => [td.dataset.column, td.dataset.value]))]))""",
        key,
    )


async def project(settings: ProjectionsSettings, history: DeskHistory, db) -> None:
    escalations = replay_escalations(history.events, SlaRules(CALENDAR, load_policies()), NOW).values()
    producer = make_producer(settings.kafka_bootstrap)
    await producer.start()
    try:
        for spec, events in (
            (TICKET_EVENTS, history.events),
            (SLA_ESCALATIONS, sorted(escalations, key=lambda e: e.occurred_at)),
        ):
            for event in events:
                await producer.send(spec.name(settings.topic_prefix), encode(event), key=event_key(event))
        await producer.flush()
    finally:
        await producer.stop()
    await wait_projected(db, len(history.events) + len(escalations), timeout=240)


async def test_a_lead_reads_a_month_of_the_desk_in_charts_tables_and_csv_that_match_the_history(
    browser, intake_settings, artifacts_dir, pg_dsn
):
    import asyncpg

    history = DeskHistory(DAYS, 120, NOW)
    assert len(history.tickets) > 2500
    intake_port, portal_port = free_port(), free_port()
    intake, portal = f"http://127.0.0.1:{intake_port}", f"http://127.0.0.1:{portal_port}"
    intake_runner = await serve(create_intake_app(intake_settings), intake_port)
    settings = ProjectionsSettings(
        database_url=intake_settings.database_url,
        kafka_bootstrap=intake_settings.kafka_bootstrap,
        topic_prefix=intake_settings.topic_prefix,
        intake_url=intake,
        group_id=f"projections-e2e-{uuid.uuid4().hex[:8]}",
    )
    app = create_projections_app(settings, now=lambda: NOW, calendar=CALENDAR, policies=load_policies())
    portal_runner = await serve(app, portal_port)
    db = await asyncpg.connect(pg_dsn)
    try:
        lead_token = create_agent(intake_settings, "Marta Gil", "marta@shop.test", role="lead")
        agent_token = create_agent(intake_settings, "Pablo", "pablo@shop.test")
        await project(settings, history, db)

        # The lead signs in to the console: the forecast banner, and the way to the dashboard.
        context = await browser.new_context(locale="es-ES", viewport={"width": 1280, "height": 900})
        page = await context.new_page()
        await page.goto(f"{portal}/agent")
        await page.fill("#token", lead_token)
        await page.click("#sign-in")
        banner = await page.locator("#forecast-banner").inner_text()
        await page.click("#dashboard-link")
        assert await page.locator("h1").inner_text() == "Cómo cumplimos la promesa"
        await page.screenshot(path=str(artifacts_dir / "dashboard.png"), full_page=True)

        expected = expected_tables(history)
        for key in (
            "first-response",
            "answered-in-time",
            "attended",
            "escalations",
            "backlog-status",
            "backlog-category",
        ):
            assert await shown_table(page, key) == expected[key], key
        agents = await shown_table(page, "agents")
        assert {k: {c: row[c] for c in ("first_responses", "average")} for k, row in agents.items()} == expected[
            "agents"
        ]
        measured = [tk.minutes for tk in history.tickets if tk.minutes is not None]
        assert await page.locator(
            "#summary-average"
        ).inner_text() == f"{sum(measured) / len(measured):.1f} min".replace(".", ",")
        assert await page.locator("#summary-breaches").inner_text() == str(
            sum(len(tk.breaches) for tk in history.tickets)
        )

        # The forecast lists what the banner counts: open tickets not answered yet, due within the hour.
        listed = await page.locator("#forecast-list tbody tr").evaluate_all("rows => rows.map(r => r.dataset.ticket)")
        assert listed and banner.split()[0] == str(len(listed)) and "se incumplir" in banner
        unanswered = {tk.ticket_id for tk in history.tickets if tk.answered_at is None and tk.resolved_at is None}
        assert set(listed) <= unanswered

        # The CSV the page offers holds every ticket of the month, with the same figures.
        export = await page.request.get(portal + await page.locator("#download").get_attribute("href"))
        lines = {line["ticket"]: line for line in csv.DictReader(io.StringIO(await export.text()))}
        assert set(lines) == {tk.ticket_id for tk in history.tickets}
        for tk in history.tickets:
            line = lines[tk.ticket_id]
            assert line["first_response_business_minutes"] == (f"{tk.minutes}.00" if tk.minutes is not None else "")
            assert (int(line["breaches"]), line["category"], line["channel"]) == (
                len(tk.breaches),
                tk.category,
                tk.channel,
            )
            assert line["attention_met"] == {True: "true", False: "false", None: ""}[tk.attention_met(NOW)]
        per_day = defaultdict(list)
        for line in lines.values():
            if line["first_response_business_minutes"]:
                per_day[datetime.fromisoformat(line["created"]).date().isoformat()].append(
                    float(line["first_response_business_minutes"])
                )
        assert {d: f"{sum(m) / len(m):.4f}" for d, m in per_day.items()} == {
            d: row["average"] for d, row in expected["first-response"].items() if row["average"]
        }

        # On a phone the page fits the screen: no sideways scrolling, charts and tables one under the other.
        phone = await (await browser.new_context(locale="es-ES", viewport={"width": 390, "height": 844})).new_page()
        await phone.context.add_cookies(await context.cookies())
        await phone.goto(f"{portal}/agent/dashboard")
        assert await phone.evaluate("document.documentElement.scrollWidth") <= 390
        await phone.screenshot(path=str(artifacts_dir / "dashboard-phone.png"), full_page=True)

        # An agent who is not a lead is told, in words, that the dashboard is for leads.
        other = await (await browser.new_context(locale="es-ES")).new_page()
        await other.goto(f"{portal}/agent")
        await other.fill("#token", agent_token)
        await other.click("#sign-in")
        assert await other.locator("#dashboard-link").count() == 0
        refused = await other.goto(f"{portal}/agent/dashboard")
        assert refused.status == 403
        assert await other.locator("#message").inner_text() == "Solo los responsables del equipo pueden ver el panel."
    finally:
        await db.close()
        await portal_runner.cleanup()
        await intake_runner.cleanup()
