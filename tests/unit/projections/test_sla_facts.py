"""Each ticket's SLA facts and the backlog's moves, folded from its events (pure): what reports are made of."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime

from soporte import events as ev
from soporte.businesstime import calendar_from_dict
from soporte.projections.domain.projection import Changes, fold
from soporte.projections.domain.sla_facts import SlaFact
from soporte.ticketrules import SlaPolicies, SlaRules
from tests.support.scenario import HOUR, MINUTE, Stream

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday")
MADRID = calendar_from_dict({"timezone": "Europe/Madrid", "weekly": {day: ["09:00-18:00"] for day in WEEKDAYS}})
RULES = SlaRules(MADRID, SlaPolicies())
MONDAY = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # 10:00 in Madrid
MARTA = ev.Actor(kind=ev.ActorKind.AGENT, id="agent-2", name="Marta")


def facts_after(*events: ev.Event) -> SlaFact:
    [stored] = fold(RULES, {}, {}, events).tickets
    return stored.facts


def backlog(changes: Changes) -> dict[tuple, int]:
    return {(m.day, m.category, m.status): m.moved for m in changes.backlog}


def test_the_first_response_is_measured_in_business_time_by_the_clock_it_fulfilled_and_who_gave_it():
    s = Stream(agent=MARTA)
    facts = facts_after(s.submitted(MONDAY), s.note(MONDAY + MINUTE), s.agent_replied(MONDAY + 9 * MINUTE))
    assert (facts.first_response_at, facts.first_response_seconds) == (MONDAY + 9 * MINUTE, 9 * 60)
    assert facts.first_response_target_seconds == 15 * 60 and facts.answered_in_time is True
    assert (facts.first_responder_id, facts.first_responder_name) == ("agent-2", "Marta")
    assert facts.attended_at == MONDAY + 9 * MINUTE and facts.attention_due == MONDAY + 24 * HOUR
    assert facts.attention_met(MONDAY + 30 * HOUR) is True
    assert not facts.attended_live and facts.resolved_at is None


def test_out_of_hours_time_does_not_count_and_an_answer_at_the_target_is_not_in_time():
    friday_evening = datetime(2026, 3, 6, 16, 55, tzinfo=UTC)  # 17:55 in Madrid: 5 minutes before closing
    monday_early = datetime(2026, 3, 9, 8, 10, tzinfo=UTC)  # 09:10: 10 more business minutes
    s = Stream()
    facts = facts_after(s.submitted(friday_evening), s.clarification(monday_early))
    assert facts.first_response_seconds == 15 * 60 and facts.answered_in_time is False


def test_a_ticket_opened_during_a_call_is_not_measured_but_its_first_answer_is_known():
    s = Stream()
    facts = facts_after(s.submitted(MONDAY, channel=ev.Channel.PHONE), s.agent_replied(MONDAY + HOUR))
    assert facts.attended_live and facts.channel == "phone"
    assert facts.first_response_at == MONDAY + HOUR and facts.first_response_seconds is None
    assert facts.answered_in_time is None and facts.attention_due is None and facts.attention_met(MONDAY) is None


def test_a_resolution_ends_attention_and_a_reopening_clears_the_resolution():
    s = Stream()
    resolved = facts_after(s.submitted(MONDAY), s.resolved(MONDAY + 25 * HOUR))
    assert resolved.attended_at == MONDAY + 25 * HOUR and resolved.attention_met(MONDAY + 26 * HOUR) is False
    assert resolved.first_response_seconds is None and resolved.resolved_at == MONDAY + 25 * HOUR
    s = Stream()
    reopened = facts_after(s.submitted(MONDAY), s.resolved(MONDAY + HOUR), s.reopened(MONDAY + 2 * HOUR))
    assert reopened.resolved_at is None


def test_attention_not_ended_is_unknown_until_its_deadline_passes():
    facts = facts_after(Stream().submitted(MONDAY))
    assert facts.attention_met(MONDAY + 23 * HOUR) is None and facts.attention_met(MONDAY + 24 * HOUR) is False


def test_facts_continue_from_the_stored_row_batch_after_batch():
    s = Stream()
    first = fold(RULES, {}, {}, [s.submitted(MONDAY)])
    stored = {s.ticket_id: first.tickets[0]}
    [later] = fold(RULES, stored, {}, [s.agent_replied(MONDAY + 4 * MINUTE)]).tickets
    assert later.facts.first_response_seconds == 4 * 60 and later.facts.created_at == MONDAY


def test_the_backlog_moves_with_each_status_on_the_desks_day():
    s = Stream()
    late_evening = datetime(2026, 3, 2, 23, 30, tzinfo=UTC)  # already Tuesday 3 March in Madrid
    history = [s.submitted(MONDAY), s.clarification(MONDAY + MINUTE), s.customer_replied(late_evening)]
    history += [s.resolved(late_evening + HOUR), s.reopened(late_evening + 2 * HOUR)]
    moves = backlog(fold(RULES, {}, {}, history))
    monday, tuesday = date(2026, 3, 2), date(2026, 3, 3)
    # It entered and left "new" on Monday (nothing to add up there); Tuesday it was answered, resolved, reopened.
    assert moves == {
        (monday, "damaged_item", "waiting_on_customer"): 1,
        (tuesday, "damaged_item", "waiting_on_customer"): -1,
        (tuesday, "damaged_item", "open"): 1 - 1 + 1,
    }
    totals = Counter()
    for (_, _, status), moved in moves.items():
        totals[status] += moved
    assert +totals == Counter({"open": 1})  # reopened: one open ticket at the end


def test_moves_of_many_tickets_in_one_batch_are_added_up_and_an_agent_name_is_kept_per_ticket():
    a, b = Stream(), Stream(agent=MARTA)
    changes = fold(RULES, {}, {}, [a.submitted(MONDAY), b.submitted(MONDAY), b.agent_replied(MONDAY + MINUTE)])
    assert backlog(changes) == {
        (date(2026, 3, 2), "damaged_item", "new"): 1,
        (date(2026, 3, 2), "damaged_item", "open"): 1,
    }
    responders = {stored.facts.first_responder_name for stored in changes.tickets}
    assert responders == {None, "Marta"}  # a's first answer is still to come
