"""Staff and canned replies decided without I/O, and the sign-in on the in-memory unit of work."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from soporte.events import Language
from soporte.events import types as t
from soporte.intake.domain import canned, staff
from soporte.intake.domain import staff_commands as sc
from soporte.intake.domain.access import AccessLimits, Budget, Throttled
from soporte.intake.domain.roles import Role
from soporte.intake.domain.tickets import InvalidTransition, NotAllowed, TicketState, UnacceptableValue
from soporte.intake.service_layer.unit_of_work import InMemoryUnitOfWork
from soporte.ticketrules import Status
from tests.support.intake import command_bus
from tests.support.scenario import AGENT

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
LEAD, AGENT_STAFF = staff.StaffActor("agent-1", Role.LEAD), staff.StaffActor("agent-2", Role.AGENT)
OPEN = TicketState("T-0000000001", version=2, status=Status.OPEN, customer_email="ana@example.com")


def test_a_bundled_resolve_comes_after_the_reply_and_a_label_before_it():
    resolved = canned.decide_response(OPEN, "Hecho", [], AGENT, bundled=canned.BundledAction.RESOLVE)
    assert [event_type.__name__ for event_type, _ in resolved] == ["AgentReplied", "TicketResolved"]
    label = t.ReturnLabelIssuedData(label_id="RL-1", carrier="SEUR", tracking_number="SE1")
    labelled = canned.decide_response(OPEN, "Aquí", [], AGENT, bundled=canned.BundledAction.RETURN_LABEL, label=label)
    assert [event_type.__name__ for event_type, _ in labelled] == ["ReturnLabelIssued", "AgentReplied"]
    with pytest.raises(InvalidTransition):  # nothing of the bundle on a resolved ticket either
        canned.decide_response(
            replace(OPEN, status=Status.RESOLVED), "x", [], AGENT, bundled=canned.BundledAction.RESOLVE
        )


def test_a_canned_reply_needs_a_lead_known_placeholders_and_a_carrier_for_its_label():
    reply = canned.CannedReply(
        "cr-1", "  Gracias  ", Language.ES, "Gracias, {customer_name}.", canned.BundledAction.RESOLVE, "SEUR"
    )
    kept = canned.decide_canned_reply(LEAD, reply, name_taken=False, carriers=("SEUR",))
    assert (kept.name, kept.carrier) == ("Gracias", None)  # a resolve bundles no carrier
    with pytest.raises(NotAllowed):
        canned.decide_canned_reply(AGENT_STAFF, reply, name_taken=False, carriers=())
    with pytest.raises(UnacceptableValue, match="name"):
        canned.decide_canned_reply(LEAD, reply, name_taken=True, carriers=())
    label = canned.CannedReply(
        "cr-2", "Etiqueta", Language.ES, "Su etiqueta", canned.BundledAction.RETURN_LABEL, "Paloma"
    )
    with pytest.raises(UnacceptableValue) as refused:
        canned.decide_canned_reply(LEAD, label, name_taken=False, carriers=("SEUR",))
    assert refused.value.field == "carrier"


def test_sign_in_refuses_alike_and_a_lead_keeps_their_own_account():
    luis = staff.Account("agent-2", "Luis", "luis@shop.test")
    for account, matches in ((None, True), (luis, False), (staff.Account("a", "B", "b@s.test", enabled=False), True)):
        with pytest.raises(staff.SignInRefused):
            staff.decide_sign_in(account, matches)
    assert staff.decide_sign_in(luis, True) == luis
    with pytest.raises(NotAllowed):
        staff.decide_enabled(LEAD, staff.Account("agent-1", "Marta", "marta@shop.test", Role.LEAD), False)
    assert staff.decide_enabled(staff.OPERATOR, luis, False).enabled is False
    with pytest.raises(staff.AccountNotFound):
        staff.decide_password_reset(LEAD, None)


async def test_failed_sign_ins_spend_the_accounts_budget_and_then_the_right_password_waits_too():
    uow = InMemoryUnitOfWork()
    limits = AccessLimits(sign_in_per_account=Budget("sign-in-account", 2, timedelta(minutes=15)))
    clock = [NOW]
    bus = command_bus(lambda: uow, lambda: clock[0], limits=limits)
    created = await bus.handle(sc.CreateAgent(actor=staff.OPERATOR, name="Luis", email="luis@shop.test"))
    attempt = sc.SignIn(email="luis@shop.test", password="guess", client="192.0.2.1")
    for _ in range(2):
        with pytest.raises(staff.SignInRefused):
            await bus.handle(attempt)
    right = sc.SignIn(email="luis@shop.test", password=created.password, client="198.51.100.4")
    with pytest.raises(Throttled):
        await bus.handle(right)
    clock[0] = NOW + timedelta(minutes=16)
    signed_in = await bus.handle(right)
    assert signed_in.expires_at == clock[0] + timedelta(hours=12)
    assert await uow.agents.by_session(signed_in.session_token, clock[0]) == created.account
