"""First-response KPI figures."""

from datetime import UTC, datetime, timedelta

from soporte.events import types as t
from soporte.sla.domain.kpis import FirstResponseKpis
from soporte.ticketrules import SLA_ACTOR

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def measured(ticket_id: str, minutes: float) -> t.FirstResponseMeasured:
    return t.FirstResponseMeasured.create(
        data=t.FirstResponseMeasuredData(
            submitted_at=T0, responded_at=T0 + timedelta(minutes=minutes), business_seconds=int(minutes * 60)
        ),
        actor=SLA_ACTOR,
        ticket_id=ticket_id,
        occurred_at=T0,
    )


def test_average_and_percentiles_in_business_minutes():
    kpis = FirstResponseKpis()
    for i, minutes in enumerate([1, 2, 3, 4, 5, 6, 7, 8, 9, 100]):
        kpis.record(measured(f"T-{i}", minutes))
    kpis.record(measured("T-0", 50))  # the same ticket again: ignored
    assert kpis.summary() == {"tickets": 10, "average_minutes": 14.5, "p50_minutes": 5, "p90_minutes": 9}


def test_rolling_window_forgets_the_oldest_tickets():
    kpis = FirstResponseKpis(window=2)
    for i, minutes in enumerate([100, 10, 20]):
        kpis.record(measured(f"T-{i}", minutes))
    assert kpis.average() == 15


def test_empty_figures_are_zero():
    assert FirstResponseKpis().summary()["average_minutes"] == 0
