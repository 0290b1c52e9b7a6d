"""Mail-in's pipeline, ``MailIntake.accept(raw, envelope) -> Verdict``: an inbound mail becomes intake commands.

Both listeners (SMTP/LMTP, IMAP) call it, and acknowledge the mail only once it
returned. What it guarantees:

- Nothing is accepted twice. Every command it sends carries the idempotency key
  ``("mail", Message-ID)`` (a hash of the bytes for a mail without one), so the
  key is stored in ``intake.idempotency`` in the same transaction as the events:
  the same mail delivered again, fetched twice by IMAP, or arriving by both
  roads at once gives one set of events; a known key is answered ``duplicate``
  before anything is stored.
- It returns only after the events are committed, or raises (database down, a
  concurrent writer on the ticket): then the listener does not acknowledge and
  the mail comes again. Files are stored before the command and removed again
  if it fails (``files_kept_on_success``), unless a committed event uses them.
- Loops and noise (auto-replies, lists, daemons, the desk's own mail, a bounce
  of something the desk did not send, more than ``max_mails_per_hour`` from one
  sender) are ``dropped``: logged at INFO with why, never answered.
- A delivery status notification about a mail the desk sent records
  ``NotificationBounced`` on its ticket; matching and new tickets are
  ``mail_commands``' part.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from soporte.events import Actor, ActorKind
from soporte.events import types as t
from soporte.intake.adapters.files import FileStore
from soporte.intake.adapters.mail_senders import PostgresMailSenders
from soporte.intake.adapters.orders import PostgresOrders
from soporte.intake.domain import commands as c
from soporte.intake.domain.files import FileLimits
from soporte.intake.domain.inbound_mail import Envelope, InboundMail, Outcome, Verdict, parse_mail
from soporte.intake.domain.mail_triage import noise_reason
from soporte.intake.domain.tickets import TicketAccess, TicketNotFound
from soporte.intake.service_layer import views
from soporte.intake.service_layer.messagebus import MessageBus
from soporte.platform.clock import Clock
from soporte.platform.logging import get_logger
from soporte.platform.reply_tokens import ticket_of_message_id

from .mail_commands import MailCommands

log = get_logger(__name__)

MAILIN = Actor(kind=ActorKind.SYSTEM, id="mailin", name="mail-in")
RATE_WINDOW = timedelta(hours=1)


@dataclass(frozen=True)
class MailDesk:
    """What mail-in knows of the desk: its addresses, its secret, its limits."""

    reply_address: str  # soporte@tienda.example: replies come to soporte+<token>@tienda.example
    own_addresses: tuple[str, ...]  # mail from these is the desk's own, coming back
    secret: str  # the desk secret the reply tokens and Message-IDs are signed with
    file_limits: FileLimits
    max_mails_per_hour: int = 30


class MailIntake:
    def __init__(
        self,
        bus: MessageBus,
        new_uow,
        *,
        orders: PostgresOrders,
        files: FileStore,
        senders: PostgresMailSenders,
        desk: MailDesk,
        now: Clock,
    ) -> None:
        self.bus, self.new_uow, self.senders, self.desk, self.now = bus, new_uow, senders, desk, now
        self.commands = MailCommands(bus, orders=orders, files=files, desk=desk)

    async def accept(self, raw: bytes, envelope: Envelope) -> Verdict:
        """What became of the mail, once committed; raises when that cannot be done now (try again later)."""
        mail = parse_mail(raw, envelope)
        key = c.IdempotencyKey("mail", mail.dedupe_key)
        said = log.bind(message_id=mail.message_id, sender=mail.sender)
        if mail.delivery_report is not None:
            verdict = await self._bounce(mail, key)
        elif reason := noise_reason(mail, self.desk.own_addresses):
            verdict = Verdict(Outcome.DROPPED, reason)
        elif await views.stored_outcome(self.new_uow(), key) is not None:
            verdict = Verdict(Outcome.DUPLICATE, "accepted before")
        elif (count := await self.senders.count(mail.sender, self.now(), RATE_WINDOW)) > self.desk.max_mails_per_hour:
            verdict = Verdict(Outcome.DROPPED, f"{count} mails from {mail.sender} within an hour")
        else:
            verdict = await self.commands.take(mail, key)
        said.info("mail_" + verdict.outcome, reason=verdict.reason, ticket_id=verdict.ticket_id)
        return verdict

    async def _bounce(self, mail: InboundMail, key: c.IdempotencyKey) -> Verdict:
        """A delivery report: ``NotificationBounced`` on the ticket of a mail the desk sent, else dropped."""
        report = mail.delivery_report
        assert report is not None
        if not report.failures:
            return Verdict(Outcome.DROPPED, "a delivery report without a failure (delayed, or delivered)")
        ticket_id = ticket_of_message_id(report.original_message_id or "", self.desk.secret)
        if ticket_id is None:
            return Verdict(Outcome.DROPPED, "a bounce of a mail the desk did not send about a ticket")
        failure = report.failures[0]
        bounce = t.NotificationBouncedData(
            recipient=failure.recipient[:320] or "?",
            status=failure.status[:32],
            diagnostic=failure.diagnostic[:2000],
            message_id=(report.original_message_id or "")[:998],
        )
        command = c.RecordBounce(
            actor=MAILIN,
            ticket_id=ticket_id,
            access=TicketAccess(ticket_id=ticket_id),
            bounce=bounce,
            idempotency_key=key,
        )
        try:
            outcome = await self.bus.handle(command)
        except TicketNotFound:
            return Verdict(Outcome.DROPPED, f"a bounce about {ticket_id}, which this desk does not hold")
        return Verdict(Outcome.ACCEPTED, f"{failure.recipient} bounced ({failure.status})", outcome.ticket_id)
