"""One valid sample of every event type, for contract and round-trip tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from soporte import events as ev
from soporte.events import types as t

T0 = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
CUSTOMER = ev.Actor(kind=ev.ActorKind.CUSTOMER, id="cust-1", name="Ana Pérez")
AGENT = ev.Actor(kind=ev.ActorKind.AGENT, id="agent-1", name="Luis")
SYSTEM = ev.Actor(kind=ev.ActorKind.SYSTEM, id="sla")
PHOTO = ev.AttachmentRef(sha256="a" * 64, filename="broken-lcd.jpg", content_type="image/jpeg", size=123_456)


def sample_events(ticket_id: str = "T-0000000001") -> list[ev.Event]:
    """Every event type once, ticket events in version order."""
    stream = [
        t.TicketSubmitted.create(
            data=t.TicketSubmittedData(
                category=ev.Category.DAMAGED_ITEM,
                description="La pantalla llegó rota",
                customer=t.CustomerRef(name="Ana Pérez", email="ana@example.com", customer_id="cust-1"),
                order_number="100234",
                attachments=[PHOTO],
                actionability=t.Actionability(actionable=True, priority=ev.Priority.HIGH),
            ),
            actor=CUSTOMER,
            occurred_at=T0,
        ),
        t.TicketAssigned.create(
            data=t.TicketAssignedData(assignee_id="agent-1", assignee_name="Luis"), actor=AGENT, occurred_at=T0
        ),
        t.ClarificationRequested.create(
            data=t.ClarificationRequestedData(question="¿Puede enviar otra foto?"), actor=AGENT, occurred_at=T0
        ),
        t.CustomerReplied.create(
            data=t.CustomerMessageData(
                body="Aquí está",
                attachments=[PHOTO],
                channel=ev.Channel.EMAIL,
                refused_attachments=[ev.RefusedFile(filename="factura.exe", reason=ev.FileRefusal.FILE_TYPE)],
            ),
            actor=CUSTOMER,
            occurred_at=T0,
        ),
        t.InternalNoteAdded.create(data=t.MessageData(body="Proveedor con defectos"), actor=AGENT, occurred_at=T0),
        t.AgentReplied.create(data=t.MessageData(body="Le enviamos una etiqueta"), actor=AGENT, occurred_at=T0),
        t.ReturnLabelIssued.create(
            data=t.ReturnLabelIssuedData(
                label_id="RL-1",
                carrier="Correos",
                tracking_number="PK123",
                order_number="100234",
                label=ev.AttachmentRef(
                    sha256="b" * 64, filename="etiqueta.pdf", content_type="application/pdf", size=2048
                ),
                return_address=["Pantallas LCD S.L.", "28001 Madrid"],
                customer_name="Ana Pérez",
                customer_address=["Avenida del Sol 3", "41001 Sevilla"],
                language=ev.Language.ES,
            ),
            actor=AGENT,
            occurred_at=T0,
        ),
        t.CourierClaimOpened.create(
            data=t.CourierClaimOpenedData(
                claim_id="CC-1", carrier="Correos", tracking_number="PK000", reason="Golpe en el envío"
            ),
            actor=AGENT,
            occurred_at=T0,
        ),
        t.TicketResolved.create(data=t.TicketResolvedData(resolution="Reemplazo enviado"), actor=AGENT, occurred_at=T0),
        t.TicketReopened.create(
            data=t.TicketReopenedData(reason=t.ReopenReason.CUSTOMER_REPLIED), actor=CUSTOMER, occurred_at=T0
        ),
        t.TicketLinksRevoked.create(
            data=t.TicketLinksRevokedData(reason="Correo reenviado a otra persona"), actor=AGENT, occurred_at=T0
        ),
        t.SlaDeadlineChanged.create(
            data=t.SlaDeadlineChangedData(
                clock=t.SlaClock.NEXT_RESPONSE,
                episode=str(ev.deterministic_id("episode")),
                old_deadline=T0 + timedelta(hours=1),
                new_deadline=T0 + timedelta(minutes=45),
                target_seconds=2700,
                warning_fraction=0.8,
                policy_id="soporte",
                policy_version=2,
                cause="policy soporte v2",
            ),
            actor=AGENT,
            occurred_at=T0,
        ),
        t.NotificationBounced.create(
            data=t.NotificationBouncedData(
                recipient="ana@example.com",
                status="5.1.1",
                diagnostic="smtp; 550 5.1.1 user unknown",
                message_id="n.0b5e1f52-8d0c-5a3e-9a1d-2f6c3b7e4d10.7f3k2m9qxaabcdefghijklmnop@tienda.example",
            ),
            actor=SYSTEM,
            occurred_at=T0,
        ),
    ]
    stream = [_place(e, ticket_id, i + 1) for i, e in enumerate(stream)]
    escalation = t.EscalationData(
        clock=t.SlaClock.FIRST_RESPONSE,
        level=1,
        deadline=T0 + timedelta(minutes=15),
        target_seconds=900,
        elapsed_seconds=720,
        notify=["team-lead"],
    )
    outcome = t.NotificationOutcomeData(
        notification_id="n-1", kind="ticket_received", recipient="ana@example.com", source_event_id="e-1", attempts=1
    )
    others = [
        t.OrderPlaced.create(
            data=t.OrderPlacedData(
                order_number="100234",
                customer_id="cust-1",
                email="ana@example.com",
                items=[t.OrderItem(sku="LCD-156", name='Pantalla 15.6"', quantity=1)],
                placed_at=T0,
                shipping_address=["Ana Pérez", "Avenida del Sol 3", "41001 Sevilla"],
            ),
            actor=ev.Actor(kind=ev.ActorKind.SYSTEM, id="shop"),
            occurred_at=T0,
        ),
        t.SlaWarning.create(data=escalation, actor=SYSTEM, ticket_id=ticket_id, occurred_at=T0),
        t.SlaBreached.create(
            data=escalation.model_copy(update={"level": 2}), actor=SYSTEM, ticket_id=ticket_id, occurred_at=T0
        ),
        t.FirstResponseMeasured.create(
            data=t.FirstResponseMeasuredData(
                submitted_at=T0, responded_at=T0 + timedelta(minutes=9), business_seconds=540
            ),
            actor=SYSTEM,
            ticket_id=ticket_id,
            occurred_at=T0,
        ),
        t.NotificationSent.create(data=outcome, actor=SYSTEM, ticket_id=ticket_id, occurred_at=T0),
        t.NotificationFailed.create(
            data=outcome.model_copy(update={"reason": "550 no such user"}),
            actor=SYSTEM,
            ticket_id=ticket_id,
            occurred_at=T0,
        ),
        t.AccessLinkRequested.create(
            data=t.AccessLinkRequestedData(email="ana@example.com", language=ev.Language.ES),
            actor=ev.Actor(kind=ev.ActorKind.GUEST, id="ana@example.com"),
            occurred_at=T0,
        ),
        t.DeadLettered.create(
            data=t.DeadLetteredData(
                consumer="notifier", source_topic="tickets.events.v1", payload="{}", reason="bad", attempts=3
            ),
            actor=SYSTEM,
            occurred_at=T0,
        ),
        t.SlaWeekSummarized.create(data=week_summary(ticket_id), actor=SYSTEM, occurred_at=T0),
    ]
    return stream + others


def week_summary(ticket_id: str = "T-0000000001", **figures) -> t.SlaWeekSummarizedData:
    """The figures of the week of 2 March 2026 (change any with ``figures``)."""
    worst = t.WorstTicket(
        ticket_id=ticket_id,
        category=ev.Category.DAMAGED_ITEM,
        created_at=T0,
        first_response_business_seconds=2400,
        breaches=1,
    )
    values = dict(
        week="2026-W10", first_day=T0.date(), last_day=T0.date() + timedelta(days=6), time_zone="Europe/Madrid"
    )
    values |= dict(target_first_response_seconds=900, tickets=40, opened_by_agents=3, first_responses=38)
    values |= dict(first_response_seconds=38 * 600, answered_in_time=30, attention_met=37, attention_missed=1)
    values |= dict(warnings=9, breaches=8, worst=[worst])
    return t.SlaWeekSummarizedData(**(values | figures))


def _place(event: ev.Event, ticket_id: str, version: int) -> ev.Event:
    return event.model_copy(
        update={"ticket_id": ticket_id, "version": version, "occurred_at": T0 + timedelta(minutes=version)}
    )
