"""What a read-model row looks like to a person: words for every code, times in the desk's timezone.

Pages never show a code the system uses (category, status, event type, clock,
reopen reason...): templates ask a ``Presenter`` for its words, from the one
catalogue (``soporte.words``: the shared ``vocabulary`` and the page's own
area). Times are the desk's (the calendar's timezone): a short form on dense
lists, with the zone named once on the page, and the long form, zone named, where
a time stands alone.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from soporte.businesstime import BusinessCalendar
from soporte.projections.domain.history import MESSAGE_KINDS, PublicMessage, TimelineEntry
from soporte.projections.domain.projection import NotificationOutcome
from soporte.projections.domain.tickets import Escalation
from soporte.words import Words, format_datetime, words


@dataclass(frozen=True)
class Refusal:
    """Intake's reasons for refusing a form: its problem type (``version-conflict``...) and the fields it named."""

    kind: str
    fields: tuple[str, ...] = ()


# The event type each public-thread kind comes from: the thread says what happened in the events' words.
EVENT_OF_MESSAGE_KIND = {kind: event_type for event_type, kind in MESSAGE_KINDS.items()}
SHORT_TIME = "%Y-%m-%d %H:%M"


class Presenter:
    """Words and local times for one page (``area``: ``console`` or ``status_page``) in ``lang``."""

    def __init__(self, lang: str, calendar: BusinessCalendar, area: str, now: datetime | None = None) -> None:
        self.lang = lang
        self.vocabulary: Words = words(lang).vocabulary
        self.page: Words = words(lang)[area]
        self.tz, self.zone = calendar.tz, calendar.timezone
        self.now = now  # when the page is drawn (countdowns)

    # --- times ------------------------------------------------------------------------------------

    def short(self, moment: datetime | None) -> str:
        """``2026-03-02 09:15`` in the desk's timezone (the page names the zone once: ``times_note``)."""
        return moment.astimezone(self.tz).strftime(SHORT_TIME) if moment else ""

    def long(self, moment: datetime | None) -> str:
        """``lunes 2 de marzo de 2026, 09:15 (Europe/Madrid)``."""
        return format_datetime(moment, self.tz, self.lang, zone_name=self.zone) if moment else ""

    def times_note(self) -> str:
        return self.page.times_in.format(zone=self.zone)

    # --- codes of a ticket --------------------------------------------------------------------------

    def category(self, code: str) -> str:
        return self.vocabulary.categories[code]

    def status(self, code: str) -> str:
        return self.vocabulary.statuses[code]

    def priority(self, code: str) -> str:
        return self.vocabulary.priorities[code]

    def channel(self, code: str) -> str:
        return self.vocabulary.channels[code]

    def sla_state(self, code: str) -> str:
        return self.vocabulary.sla_states[code]

    def missing(self, items: Iterable[str]) -> str:
        """What the customer still has to send, e.g. ``una foto del artículo, el número de pedido``."""
        return ", ".join(self.vocabulary.missing_items[item] for item in items)

    def detail(self, name: str) -> str:
        """``Número de seguimiento``: the name of a parcel's detail (carrier, tracking number, reference...)."""
        return self.vocabulary.parcel[name]

    def file_kind(self, content_type: str) -> str:
        """``foto``, ``PDF``, ``texto``, ``vídeo``: what kind of file, in words (never a MIME type)."""
        kinds = self.vocabulary.file_kinds
        return kinds.get(content_type) or kinds.get(content_type.split("/")[0]) or kinds.other

    def yes_no(self, value: bool) -> str:
        return self.page["yes" if value else "no"]

    # --- what happened ------------------------------------------------------------------------------

    def message_kind(self, message: PublicMessage) -> str:
        return self.vocabulary.events[EVENT_OF_MESSAGE_KIND[message.kind]]

    def event(self, entry: TimelineEntry) -> str:
        return self.event_type(entry.type)

    def event_type(self, type_: str) -> str:
        return self.vocabulary.events[type_]

    def actor(self, entry: TimelineEntry) -> str:
        """``agente Luis``: who did it, in words, and their name (or id)."""
        return f"{self.page.actors[entry.actor_kind]} {entry.actor_name or entry.actor_id}"

    def summary(self, entry: TimelineEntry) -> str:
        """What the event said; a reopening says why, in words."""
        if entry.type == "TicketReopened":
            return self.vocabulary.reopen_reasons[entry.data["reason"]]
        if entry.type == "SlaDeadlineChanged":  # «primera respuesta: 2026-03-02 10:15 → 2026-03-02 10:10»
            old, new = (datetime.fromisoformat(entry.data[k]) for k in ("old_deadline", "new_deadline"))
            return f"{self.vocabulary.clocks[entry.data['clock']]}: {self.short(old)} → {self.short(new)}"
        return entry.summary

    def refused_file(self, refused: dict) -> str:
        """``factura.exe: no es una foto, un PDF, un texto ni un vídeo``: a file sent by mail and not kept."""
        return f"{refused['filename']}: {self.vocabulary.file_refusals[refused['reason']]}"

    def escalation(self, escalation: Escalation) -> str:
        """``plazo incumplido: primera respuesta``."""
        kind = "SlaBreached" if escalation.breached else "SlaWarning"
        return f"{self.vocabulary.escalations[kind]}: {self.vocabulary.clocks[escalation.clock]}"

    def clock(self, kind: str) -> str:
        return self.vocabulary.clocks[kind]

    def clock_state(self, state: str) -> str:
        return self.vocabulary.clock_states[state]

    def minutes(self, span: timedelta) -> str:
        """``14 min`` of counted time (business time for business clocks)."""
        return f"{int(span.total_seconds() // 60)} min"

    def left(self, remaining: timedelta | None) -> str:
        """``quedan 14 min`` / ``vencido hace 3 min`` / ``quedan 2 h 05 min`` (nothing once the clock ended)."""
        if remaining is None:
            return ""
        words, minutes = self.vocabulary.countdown, int(abs(remaining.total_seconds()) // 60)
        ahead = remaining >= timedelta(0)
        if minutes < 60:
            return (words.left_minutes if ahead else words.overdue_minutes).format(minutes=minutes)
        hours, minutes = divmod(minutes, 60)
        return (words.left_hours if ahead else words.overdue_hours).format(hours=hours, minutes=f"{minutes:02d}")

    def countdown(self, due: datetime | None) -> str:
        """How long until ``due`` from when the page is drawn, in words (the console's script keeps it current)."""
        return self.left(due - self.now) if due and self.now else ""

    def refusal(self, refusal: Refusal) -> str:
        """``Revise lo que escribió (mensaje)``: intake's problem in this page's words (its own are English)."""
        problems, names = self.page.problems, self.page.fields
        text = problems.get(refusal.kind) or problems.other
        fields = [names[f] for f in dict.fromkeys(f.split(".")[0] for f in refusal.fields) if f in names]
        return f"{text} ({', '.join(fields)})" if fields else text

    def notification(self, outcome: NotificationOutcome) -> str:
        """``respuesta del equipo: enviado``."""
        kinds = self.page.notification_kinds
        kind = kinds.get(outcome.kind) or kinds.other  # the notifier may add kinds before these words exist
        return f"{kind}: {self.page.notification_outcomes[outcome.outcome]}"
