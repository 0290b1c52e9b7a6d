"""From a mail that passed triage to the command it is: a reply on the ticket it names, or a new ticket.

Matching, in order, the first that reaches a ticket wins:

1. a recipient ``<local>+<token>@<domain>`` of the desk's reply address with a
   genuine token (the Reply-To of every customer mail the desk sends);
2. an In-Reply-To or References naming a Message-ID the desk gave a customer's
   mail (it carries the same signed token);
3. a ticket id in the subject, when the sender is that ticket's customer.

The first two are capabilities (only the desk can sign them), so whoever
answers the mail is heard, like a ticket-access link; the subject alone proves
nothing, so it needs the customer's own address. A match is a customer reply
(channel email; it reopens a resolved ticket and answers a clarification, as on
the status page); no match opens a ticket for the sender as a guest, with an
order number of theirs found in the mail, a guessed category and language.
Files go through the form's checks and limits (``judge_files``); the refused
ones are listed in the event, and the acknowledgement names them.
"""

from __future__ import annotations

from pydantic import ValidationError

from soporte.events import Actor, ActorKind, AttachmentRef, Channel, RefusedFile, new_ticket_id
from soporte.events import types as t
from soporte.intake.adapters.files import FileStore
from soporte.intake.adapters.orders import PostgresOrders
from soporte.intake.domain import commands as c
from soporte.intake.domain.files import judge_files
from soporte.intake.domain.inbound_mail import InboundMail, Outcome, Verdict
from soporte.intake.domain.mail_triage import (
    guess_category,
    guess_language,
    order_number_candidates,
    plus_tokens,
    ticket_ids_in,
)
from soporte.intake.domain.tickets import TicketAccess, TicketNotFound
from soporte.intake.service_layer.messagebus import MessageBus
from soporte.platform.reply_tokens import ticket_of_message_id, verify_reply_token
from soporte.platform.tokens import InvalidToken

from .uploads import Upload, files_kept_on_success

MAX_TEXT = 20_000  # an event's text field
MAX_NAME = 200


class _NoTicketFor(Exception):
    """Nothing matched and the sender cannot have a ticket (no usable address): the files must go."""


class MailCommands:
    def __init__(self, bus: MessageBus, *, orders: PostgresOrders, files: FileStore, desk) -> None:
        self.bus, self.orders, self.files, self.desk = bus, orders, files, desk

    async def take(self, mail: InboundMail, key: c.IdempotencyKey) -> Verdict:
        """Send the mail's command and say what became of it (its events are committed when this returns)."""
        candidates = self.candidates(mail)
        customer = _customer(mail)
        if not candidates and customer is None:
            return Verdict(Outcome.DROPPED, f"no ticket named and no usable sender address ({mail.sender!r})")
        upload, refused = await self._store(mail)
        try:
            async with files_kept_on_success(upload, self.files):
                for ticket_id, access, how in candidates:
                    try:
                        outcome = await self.bus.handle(self._reply(mail, key, ticket_id, access, upload, refused))
                    except TicketNotFound:
                        continue  # not this desk's ticket, or not this sender's: the next candidate, or a new ticket
                    return Verdict(Outcome.ACCEPTED, f"a reply, matched by {how}", outcome.ticket_id)
                if customer is None:
                    raise _NoTicketFor(mail.sender)
                outcome = await self.bus.handle(await self._new_ticket(mail, key, customer, upload, refused))
                return Verdict(Outcome.ACCEPTED, "a new ticket", outcome.ticket_id)
        except _NoTicketFor:
            return Verdict(Outcome.DROPPED, f"no ticket matched and no usable sender address ({mail.sender!r})")

    def candidates(self, mail: InboundMail) -> list[tuple[str, TicketAccess, str]]:
        """The tickets the mail may answer, in matching order, each with the access that reaches it."""
        found: list[tuple[str, TicketAccess, str]] = []
        for token in plus_tokens(mail.recipients, self.desk.reply_address):
            try:
                ticket_id = verify_reply_token(token, self.desk.secret)
            except InvalidToken:
                continue
            found.append((ticket_id, TicketAccess(ticket_id=ticket_id), "its plus address"))
        for message_id in (*mail.in_reply_to, *mail.references):
            if ticket_id := ticket_of_message_id(message_id, self.desk.secret):
                found.append((ticket_id, TicketAccess(ticket_id=ticket_id), "In-Reply-To/References"))
        if mail.sender:
            for ticket_id in ticket_ids_in(mail.subject):
                found.append((ticket_id, TicketAccess(email=mail.sender), "the ticket id in the subject"))
        unique: dict[tuple[str, TicketAccess], str] = {}
        for ticket_id, access, how in found:
            unique.setdefault((ticket_id, access), how)
        return [(ticket_id, access, how) for (ticket_id, access), how in unique.items()]

    def _reply(
        self,
        mail: InboundMail,
        key: c.IdempotencyKey,
        ticket_id: str,
        access: TicketAccess,
        upload: Upload,
        refused: list[RefusedFile],
    ) -> c.ReplyAsCustomer:
        return c.ReplyAsCustomer(
            actor=_sender(mail),
            ticket_id=ticket_id,
            access=access,
            body=_text(mail.text, mail.full_text, mail.subject),
            attachments=tuple(upload.attachments),
            channel=Channel.EMAIL,
            refused_attachments=tuple(refused),
            idempotency_key=key,
        )

    async def _new_ticket(
        self, mail: InboundMail, key: c.IdempotencyKey, customer: t.CustomerRef, upload: Upload, refused
    ) -> c.SubmitTicket:
        # Not a reply: what came before in the mail (a forward, a quoted order confirmation) is part of the question.
        order_number = None
        for candidate in order_number_candidates(mail.subject, mail.full_text):
            if await self.orders.matches(mail.sender, candidate):
                order_number = candidate
                break
        return c.SubmitTicket(
            actor=_sender(mail),
            ticket_id=new_ticket_id(),
            category=guess_category(mail.subject, mail.full_text),
            description=_text("\n\n".join(filter(None, (mail.subject.strip(), mail.full_text.strip())))),
            customer=customer,
            order_number=order_number,
            channel=Channel.EMAIL,
            attachments=tuple(upload.attachments),
            refused_attachments=tuple(refused),
            idempotency_key=key,
        )

    async def _store(self, mail: InboundMail) -> tuple[Upload, list[RefusedFile]]:
        """Judge the mail's files (attachments before inline images) and store the ones kept."""
        ordered = sorted(mail.attachments, key=lambda a: a.inline)
        kept, refused = judge_files(((a.filename, a.data) for a in ordered), self.desk.file_limits)
        upload = Upload()
        try:
            for file in kept:
                pending = self.files.begin()
                try:
                    pending.write(file.data)
                    sha256, created = pending.commit()
                except BaseException:
                    pending.discard()
                    raise
                size = len(file.data)
                upload.hold(
                    sha256,
                    created,
                    AttachmentRef(sha256=sha256, filename=file.filename, content_type=file.content_type, size=size),
                )
        except BaseException:
            await upload.discard(self.files)
            raise
        return upload, refused


def _sender(mail: InboundMail) -> Actor:
    """A mail's sender is a guest: nothing but the desk's token (or their own address) vouches for them."""
    address = (mail.sender or mail.envelope_sender or "unknown")[:MAX_NAME]
    return Actor(kind=ActorKind.GUEST, id=address, name=mail.sender_name[:MAX_NAME] or None)


def _customer(mail: InboundMail) -> t.CustomerRef | None:
    """The sender as a ticket's customer, or None when the From address is not one a mail can go back to."""
    name = (mail.sender_name or mail.sender.partition("@")[0] or "?")[:MAX_NAME]
    try:
        return t.CustomerRef(name=name, email=mail.sender, language=guess_language(mail.subject, mail.text))
    except ValidationError:
        return None


def _text(*candidates: str) -> str:
    """The first non-empty text, cut to what an event holds (a mail of nothing but files says so with a dash)."""
    return next((text.strip()[:MAX_TEXT] for text in candidates if text and text.strip()), "-")
