"""Escalations, first-response KPIs and notification outcomes from their own topics into the read models."""

from __future__ import annotations

from datetime import timedelta

from soporte import events as ev
from soporte.events import NOTIFICATION_OUTCOMES, SLA_ESCALATIONS, SLA_KPIS, TICKET_EVENTS, Channel, deterministic_id
from soporte.events import types as t
from tests.support.scenario import Stream

from .conftest import T0, at, bearer, wait_projected

SLA = ev.Actor(kind=ev.ActorKind.SYSTEM, id="sla")
NOTIFIER = ev.Actor(kind=ev.ActorKind.SYSTEM, id="notifier")
NOW = T0 + timedelta(hours=2)  # what the app's clock says (figures count "today" from it)


def escalation(cls, ticket_id: str, started_by: ev.Event, clock: t.SlaClock, raised_at, level: int = 1) -> ev.Event:
    """What the SLA processor raises for the clock episode ``started_by`` began (its causation id)."""
    deadline = started_by.occurred_at + timedelta(minutes=15)
    return cls.create(
        data=t.EscalationData(
            clock=clock, level=level, deadline=deadline, target_seconds=900, elapsed_seconds=720, notify=["team-lead"]
        ),
        actor=SLA,
        occurred_at=raised_at,
        ticket_id=ticket_id,
        causation_id=started_by.event_id,
        correlation_id=started_by.correlation_id,
        event_id=deterministic_id(ticket_id, clock, level, deadline.isoformat(), cls.__name__),
    )


def warning(ticket_id, started_by, clock=t.SlaClock.FIRST_RESPONSE):
    return escalation(t.SlaWarning, ticket_id, started_by, clock, started_by.occurred_at + timedelta(minutes=12))


def breach(ticket_id, started_by, clock=t.SlaClock.FIRST_RESPONSE):
    return escalation(
        t.SlaBreached, ticket_id, started_by, clock, started_by.occurred_at + timedelta(minutes=15), level=2
    )


def first_response(ticket_id: str, submitted: ev.Event, business_seconds: int) -> ev.Event:
    return t.FirstResponseMeasured.create(
        data=t.FirstResponseMeasuredData(
            submitted_at=submitted.occurred_at,
            responded_at=submitted.occurred_at + timedelta(seconds=business_seconds),
            business_seconds=business_seconds,
            category=ev.Category.DAMAGED_ITEM,
        ),
        actor=SLA,
        occurred_at=submitted.occurred_at + timedelta(seconds=business_seconds),
        ticket_id=ticket_id,
    )


async def test_escalations_kpis_and_notification_outcomes_reach_queues_detail_and_figures(start_app, produce, db):
    client = await start_app(now=lambda: NOW)
    agent = bearer("agent-token")

    async def state(stream: Stream) -> str:
        response = await client.get(f"/api/v1/tickets/{stream.ticket_id}", headers=agent)
        return (await response.json())["ticket"]["sla_state"]

    async def queue(view: str, **params) -> list[str]:
        response = await client.get(f"/api/v1/queues/{view}", params=params, headers=agent)
        return [item["ticket_id"] for item in (await response.json())["items"]]

    warned, early, answered, stale, clarified, calm = (Stream() for _ in range(6))

    # An escalation may be read before its ticket (another topic): it counts once the ticket is there.
    early_submitted = early.submitted(at(1))
    await produce(SLA_ESCALATIONS, warning(early.ticket_id, early_submitted))
    await wait_projected(db, 1)
    ticket_events = [
        early_submitted,
        warned_submitted := warned.submitted(at(2)),
        answered_submitted := answered.submitted(at(3)),
        answered.agent_replied(at(16), "Respondido a tiempo"),
        stale_submitted := stale.submitted(at(4)),
        stale.agent_replied(at(10), "Primera respuesta"),
        stale_reply := stale.customer_replied(at(11), "Sigue sin funcionar"),
        clarified_submitted := clarified.submitted(at(5)),
        clarified.clarification(at(18), "¿Número de serie?"),
        calm.submitted(at(6)),
    ]
    escalations = [
        warning(warned.ticket_id, warned_submitted),
        warning(answered.ticket_id, answered_submitted),
        # A breach of the first-response episode that is already over does not count; the next-response warning does.
        breach(stale.ticket_id, stale_submitted),
        warning(stale.ticket_id, stale_reply, clock=t.SlaClock.NEXT_RESPONSE),
        # Asking the customer for details answers them: the first-response episode is over, its warning with it.
        warning(clarified.ticket_id, clarified_submitted),
        # A warning naming an episode this ticket never had changes nothing.
        escalation(t.SlaWarning, calm.ticket_id, warned_submitted, t.SlaClock.FIRST_RESPONSE, at(18)),
    ]
    await produce(TICKET_EVENTS, *ticket_events)
    await produce(SLA_ESCALATIONS, *escalations)
    await wait_projected(db, 1 + len(ticket_events) + len(escalations))

    assert await state(early) == "at_risk"
    assert await state(warned) == "at_risk"
    assert await state(answered) == "ok"  # the answer ended the episode the warning was about
    assert await state(stale) == "at_risk"
    assert await state(clarified) == "ok"
    assert await state(calm) == "ok"
    at_risk = await queue("at-risk")
    assert set(at_risk) == {early.ticket_id, warned.ticket_id, stale.ticket_id}
    assert await queue("all", sla_state="at_risk") == at_risk

    # The breach of the warned ticket's running clock: breached, still in the at-risk view.
    await produce(SLA_ESCALATIONS, breach(warned.ticket_id, warned_submitted))
    await wait_projected(db, 2 + len(ticket_events) + len(escalations))
    assert await state(warned) == "breached"
    assert await queue("all", sla_state="breached") == [warned.ticket_id]
    assert warned.ticket_id in await queue("at-risk")
    detail = await (await client.get(f"/api/v1/tickets/{warned.ticket_id}", headers=agent)).json()
    assert [(e["clock"], e["breached"], e["level"], e["episode"]) for e in detail["escalations"]] == [
        ("first_response", False, 1, str(warned_submitted.event_id)),
        ("first_response", True, 2, str(warned_submitted.event_id)),
    ]
    # Resolving the ticket ends its clocks: no longer at risk.
    await produce(TICKET_EVENTS, warned.resolved(at(30), "Cambiada"))
    await wait_projected(db, 3 + len(ticket_events) + len(escalations))
    assert await state(warned) == "ok"
    assert warned.ticket_id not in await queue("at-risk")

    # KPIs and notification outcomes.
    kpis = [
        first_response(answered.ticket_id, answered_submitted, 600),
        first_response(stale.ticket_id, stale_submitted, 1260),
    ]
    sent = t.NotificationSent.create(
        data=t.NotificationOutcomeData(
            notification_id="n-1",
            kind="agent_reply",
            recipient="ana@example.com",
            source_event_id=str(ticket_events[3].event_id),
            attempts=1,
        ),
        actor=NOTIFIER,
        occurred_at=T0 + timedelta(minutes=17),
        ticket_id=answered.ticket_id,
    )
    failed = t.NotificationFailed.create(
        data=t.NotificationOutcomeData(
            notification_id="n-2",
            kind="escalation",
            recipient="lead@shop.test",
            source_event_id=str(escalations[1].event_id),
            attempts=5,
            reason="550 mailbox unavailable",
        ),
        actor=NOTIFIER,
        occurred_at=T0 + timedelta(minutes=18),
        ticket_id=answered.ticket_id,
    )
    # A ticket an agent opened during a call: attended live, counted apart from the first-response average.
    phone = Stream()
    await produce(TICKET_EVENTS, phone.submitted(at(19), channel=Channel.PHONE))
    await produce(SLA_KPIS, *kpis)
    await produce(NOTIFICATION_OUTCOMES, sent, failed)
    await wait_projected(db, 8 + len(ticket_events) + len(escalations))

    response = await client.get("/api/v1/figures", headers=agent)
    assert response.status == 200
    assert await response.json() == {
        "open_tickets": 6,  # seven tickets, one resolved
        "breaches_today": 2,  # the stale episode's breach counts as raised, whatever the ticket did next
        "average_first_response_business_minutes": 15.5,  # (10 + 21) / 2
        "first_responses_measured": 2,
        "opened_by_agents": 1,
        "day": "2026-03-02",
        "time_zone": "UTC",
    }
    detail = await (await client.get(f"/api/v1/tickets/{answered.ticket_id}", headers=agent)).json()
    assert [
        (n["outcome"], n["kind"], n["recipient"], n["attempts"], n["reason"], n["event_id"])
        for n in detail["notifications"]
    ] == [
        ("sent", "agent_reply", "ana@example.com", 1, None, str(sent.event_id)),
        ("failed", "escalation", "lead@shop.test", 5, "550 mailbox unavailable", str(failed.event_id)),
    ]
    customer_view = await (
        await client.get(f"/api/v1/tickets/{answered.ticket_id}", headers=bearer("ana-token"))
    ).text()
    assert (
        "lead@shop.test" not in customer_view
        and "notifications" not in customer_view
        and "escalation" not in customer_view
    )
