"""The console offers the actions ``agent_actions`` lists for a status; intake's deciders refuse exactly the rest."""

from __future__ import annotations

import pytest

from soporte.events import types as t
from soporte.intake.domain import tickets
from soporte.intake.domain.tickets import InvalidTransition, TicketState
from soporte.ticketrules import AgentAction, Status, agent_actions
from tests.support.scenario import AGENT

LABEL = t.ReturnLabelIssuedData(label_id="RL-1", carrier="SEUR", tracking_number="SE1")
CHANGE = t.SlaDeadlineChangedData.model_construct()
DECIDERS = {
    AgentAction.REPLY: lambda s: tickets.decide_agent_reply(s, "Hola", [], AGENT),
    AgentAction.NOTE: lambda s: tickets.decide_note(s, "nota", AGENT),
    AgentAction.CLARIFY: lambda s: tickets.decide_clarification(s, "¿Foto?", AGENT),
    AgentAction.RESOLVE: lambda s: tickets.decide_resolve(s, "Hecho", AGENT),
    AgentAction.REOPEN: lambda s: tickets.decide_reopen(s, AGENT),
    AgentAction.ASSIGN: lambda s: tickets.decide_assign(s, "agent-2", "Marta", AGENT),
    AgentAction.RETURN_LABEL: lambda s: tickets.decide_return_label(s, LABEL, AGENT, carriers=()),
    AgentAction.COURIER_CLAIM: lambda s: tickets.decide_courier_claim(s, "CC-1", "SEUR", None, "Golpe", AGENT),
    AgentAction.MOVE_DEADLINE: lambda s: tickets.decide_deadline_change(s, CHANGE, AGENT),
}


def test_every_action_has_its_decider():
    assert set(DECIDERS) == set(AgentAction) - {AgentAction.REVOKE_LINKS}  # revoking is decided in domain.access


@pytest.mark.parametrize("status", list(Status))
def test_the_deciders_accept_exactly_the_actions_the_lifecycle_lists(status):
    state = TicketState("T-0000000001", version=3, status=status, customer_email="ana@example.com")
    accepted = set()
    for action, decide in DECIDERS.items():
        try:
            decide(state)
        except InvalidTransition:
            continue
        accepted.add(action)
    assert accepted == agent_actions(status) - {AgentAction.REVOKE_LINKS}
    assert agent_actions(None) == frozenset()
