"""The weekly summary mail to the desk's leads (pure): one mail per address of the ``team-lead`` role, per week.

Planned from ``SlaWeekSummarized`` (projections publishes it once a desk week
is over: the figures are the dashboard's own). The notification id is derived
from the ISO week and the address, not from the event, so whatever publishes
the week again, and however often the notifier reads it again (a restart, a
replay), the ledger holds one mail per lead and week. The context holds codes
and numbers; the words are chosen when the mail is rendered, in the staff's
language.
"""

from __future__ import annotations

from urllib.parse import urlencode

from soporte.events import Event, deterministic_id
from soporte.events import types as t

from .notifications import Desk, Notification

WEEKLY_SUMMARY = "weekly_summary"
LEADS = "team-lead"  # the role of SOPORTE_NOTIFIER_ESCALATION_RECIPIENTS whose addresses get the summary


def weekly_summary_id(week: str, recipient: str) -> str:
    return str(deterministic_id(WEEKLY_SUMMARY, week, recipient.lower()))


def plan_weekly_summary(event: Event, desk: Desk) -> list[Notification]:
    """The week's mail to each lead; nothing for any other event."""
    if not isinstance(event, t.SlaWeekSummarized):
        return []
    d = event.data
    dashboard = {"from": d.first_day.isoformat(), "to": d.last_day.isoformat()}
    year, number = d.week.split("-W")
    context = {
        # ``tickets`` is, to the sender, a list of ticket links to sign: the count goes by another name.
        **d.model_dump(mode="json", exclude={"worst", "tickets"}),
        "tickets_with_clock": d.tickets,
        "year": int(year),
        "number": int(number),
        "first": {"day": d.first_day.day, "month": d.first_day.month},
        "last": {"day": d.last_day.day, "month": d.last_day.month},
        "timezone": d.time_zone,
        "worst": [{**w.model_dump(mode="json"), "console_url": desk.console_url(w.ticket_id)} for w in d.worst],
        "dashboard_url": f"{desk.portal_url.rstrip('/')}/agent/dashboard?{urlencode(dashboard)}",
    }
    return [
        Notification(
            notification_id=weekly_summary_id(d.week, address),
            source_event_id=str(event.event_id),
            ticket_id=None,
            kind=WEEKLY_SUMMARY,
            recipient=address,
            language=desk.staff_language,
            context=context,
        )
        for address in sorted(set(desk.escalation_recipients.get(LEADS, [])))
    ]
