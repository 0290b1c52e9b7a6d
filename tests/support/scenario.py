"""Ticket histories for tests, read like the story they tell.

    stream = Stream()
    history = [stream.submitted(at), stream.clarification(at + 5 * MINUTE), stream.customer_replied(at + HOUR)]

One builder for every suite (unit, integration, benchmarks): each call places the
next event of the ticket's stream (version + 1) at the given instant.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from soporte import events as ev
from soporte.events import types as t
from soporte.labels import ReturnLabel, return_label_pdf

CUSTOMER = ev.Actor(kind=ev.ActorKind.CUSTOMER, id="cust-1", name="Ana Pérez")
GUEST = ev.Actor(kind=ev.ActorKind.GUEST, id="ana@example.com", name="Ana Pérez")
AGENT = ev.Actor(kind=ev.ActorKind.AGENT, id="agent-1", name="Luis")
MAILIN = ev.Actor(kind=ev.ActorKind.SYSTEM, id="mailin", name="mail-in")
MINUTE, HOUR = timedelta(minutes=1), timedelta(hours=1)
PHOTO = ev.AttachmentRef(sha256="a" * 64, filename="pantalla-rota.jpg", content_type="image/jpeg", size=123_456)


class Stream:
    """Events of one ticket, numbered in order."""

    def __init__(
        self,
        ticket_id: str | None = None,
        *,
        priority: ev.Priority = ev.Priority.NORMAL,
        category: ev.Category = ev.Category.DAMAGED_ITEM,
        customer: t.CustomerRef | None = None,
        customer_actor: ev.Actor = CUSTOMER,
        agent: ev.Actor = AGENT,
    ) -> None:
        self.ticket_id = ticket_id or ev.new_ticket_id()
        self.priority, self.category = priority, category
        self.customer = customer or t.CustomerRef(name="Ana Pérez", email="ana@example.com", customer_id="cust-1")
        self.customer_actor, self.agent = customer_actor, agent
        self.version = 0

    def place(self, event_type: type[ev.Event], data, actor: ev.Actor, at: datetime) -> ev.Event:
        """The next event of the stream (any type)."""
        self.version += 1
        return event_type.create(data=data, actor=actor, occurred_at=at, ticket_id=self.ticket_id, version=self.version)

    def submitted(
        self,
        at: datetime,
        *,
        actionable: bool = True,
        missing: tuple[str, ...] = (),
        channel: ev.Channel = ev.Channel.WEB,
        order_number: str | None = "100234",
        description: str = "La pantalla llegó rota",
        attachments: tuple[ev.AttachmentRef, ...] = (),
        language: ev.Language = ev.Language.ES,
        refused: tuple[ev.RefusedFile, ...] = (),
    ) -> ev.Event:
        by_agent = channel in (ev.Channel.PHONE, ev.Channel.CHAT)
        return self.place(
            t.TicketSubmitted,
            t.TicketSubmittedData(
                category=self.category,
                description=description,
                customer=self.customer.model_copy(update={"language": language}),
                order_number=order_number,
                attachments=list(attachments),
                channel=channel,
                opened_by_agent_id=self.agent.id if by_agent else None,
                actionability=t.Actionability(
                    actionable=actionable and not missing, missing=list(missing), priority=self.priority
                ),
                refused_attachments=list(refused),
            ),
            self.agent if by_agent else self.customer_actor,
            at,
        )

    def agent_replied(self, at: datetime, body: str = "Le ayudamos", attachments=()) -> ev.Event:
        return self.place(t.AgentReplied, t.MessageData(body=body, attachments=list(attachments)), self.agent, at)

    def customer_replied(
        self,
        at: datetime,
        body: str = "Gracias",
        attachments=(),
        *,
        channel: ev.Channel = ev.Channel.WEB,
        refused: tuple[ev.RefusedFile, ...] = (),
    ) -> ev.Event:
        data = t.CustomerMessageData(
            body=body, attachments=list(attachments), channel=channel, refused_attachments=list(refused)
        )
        return self.place(t.CustomerReplied, data, self.customer_actor, at)

    def bounced(
        self, at: datetime, recipient: str = "ana@example.com", diagnostic: str = "550 mailbox unavailable"
    ) -> ev.Event:
        """A mail the desk sent about the ticket came back (``NotificationBounced``, recorded by mail-in)."""
        data = t.NotificationBouncedData(
            recipient=recipient, status="5.1.1", diagnostic=diagnostic, message_id=f"n.1.x@{self.ticket_id}.example"
        )
        return self.place(t.NotificationBounced, data, MAILIN, at)

    def clarification(self, at: datetime, question: str = "¿Puede enviar una foto?") -> ev.Event:
        return self.place(t.ClarificationRequested, t.ClarificationRequestedData(question=question), self.agent, at)

    def note(self, at: datetime, body: str = "nota interna") -> ev.Event:
        return self.place(t.InternalNoteAdded, t.MessageData(body=body), self.agent, at)

    def assigned(self, at: datetime, agent: ev.Actor | None = None) -> ev.Event:
        agent = agent or self.agent
        data = t.TicketAssignedData(assignee_id=agent.id, assignee_name=agent.name)
        return self.place(t.TicketAssigned, data, agent, at)

    def resolved(self, at: datetime, resolution: str = "Hecho") -> ev.Event:
        return self.place(t.TicketResolved, t.TicketResolvedData(resolution=resolution), self.agent, at)

    def reopened(self, at: datetime, by_customer: bool = True) -> ev.Event:
        reason = t.ReopenReason.CUSTOMER_REPLIED if by_customer else t.ReopenReason.AGENT_REOPENED
        actor = self.customer_actor if by_customer else self.agent
        return self.place(t.TicketReopened, t.TicketReopenedData(reason=reason), actor, at)

    def return_label(self, at: datetime, carrier: str = "Correos", tracking_number: str = "PK123") -> ev.Event:
        data = t.ReturnLabelIssuedData(label_id="RL-1", carrier=carrier, tracking_number=tracking_number)
        return self.place(t.ReturnLabelIssued, data, self.agent, at)

    def printed_label(self, at: datetime, tracking_number: str = "SE123456") -> tuple[ev.Event, bytes]:
        """A return label as intake issues it: the event saying all the label prints, and the PDF it refers to."""
        data = t.ReturnLabelIssuedData(
            label_id="RL-1A2B3C4D",
            carrier="SEUR",
            tracking_number=tracking_number,
            order_number="100234",
            return_address=["Pantallas LCD S.L.", "28001 Madrid"],
            customer_name=self.customer.name,
            customer_address=["Avenida del Sol 3", "41001 Sevilla"],
            language=self.customer.language,
        )
        pdf = return_label_pdf(ReturnLabel.issued(self.ticket_id, data))
        file = ev.AttachmentRef(
            sha256=hashlib.sha256(pdf).hexdigest(), filename="l.pdf", content_type="application/pdf", size=len(pdf)
        )
        return self.place(t.ReturnLabelIssued, data.model_copy(update={"label": file}), self.agent, at), pdf

    def links_revoked(self, at: datetime, reason: str = "") -> ev.Event:
        return self.place(t.TicketLinksRevoked, t.TicketLinksRevokedData(reason=reason), self.agent, at)

    def courier_claim(self, at: datetime, reason: str = "Golpe en el envío") -> ev.Event:
        return self.place(
            t.CourierClaimOpened,
            t.CourierClaimOpenedData(claim_id="CC-1", carrier="Correos", tracking_number="PK000", reason=reason),
            self.agent,
            at,
        )

    def every_answer(self, at: datetime, step: timedelta = MINUTE) -> list[ev.Event]:
        """Each kind of desk answer the customer hears about, ``step`` apart from ``at``: a reply (with a
        file), a clarification request, a return label, a courier claim, then the resolution."""
        return [
            self.agent_replied(at, attachments=[PHOTO]),
            self.clarification(at + step),
            self.return_label(at + 2 * step),
            self.courier_claim(at + 3 * step),
            self.resolved(at + 4 * step),
        ]

    def deadline_changed(
        self,
        at: datetime,
        *,
        episode: ev.Event | str,
        clock: t.SlaClock = t.SlaClock.FIRST_RESPONSE,
        target: timedelta = 10 * MINUTE,
    ) -> ev.Event:
        """An operator's recalculation of the clock ``episode`` (the event that started it, or its id) started."""
        episode_id = str(episode.event_id) if isinstance(episode, ev.Event) else episode
        data = t.SlaDeadlineChangedData(
            clock=clock,
            episode=episode_id,
            old_deadline=at,
            new_deadline=at,
            target_seconds=int(target.total_seconds()),
            warning_fraction=0.8,
            policy_id="soporte",
            policy_version=2,
            cause="política soporte v2",
        )
        return self.place(t.SlaDeadlineChanged, data, self.agent, at)
