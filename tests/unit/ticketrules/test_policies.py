"""SLA policies from YAML: defaults, per-priority and per-category targets, escalation levels."""

from datetime import timedelta

import pytest

from soporte.businesstime import CalendarError, parse_duration
from soporte.ticketrules import load_policies, policies_from_dict


def test_the_packaged_policy_keeps_the_shops_promises():
    policy = load_policies().for_ticket("damaged_item", "normal")
    assert policy.first_response == timedelta(minutes=15)
    assert policy.attention == timedelta(hours=24)
    assert policy.warning_fraction == 0.8
    assert policy.warning.notify == ("team-lead",)
    assert "ops" in policy.breach.notify and policy.breach.level > policy.warning.level


def test_priority_then_category_overrides():
    policies = policies_from_dict(
        {
            "default": {"first_response": "15m", "next_response": "1h"},
            "priorities": {"urgent": {"first_response": "5m", "next_response": "20m"}},
            "categories": {"pre_sales": {"next_response": "2h"}},
        }
    )
    assert policies.for_ticket("lcd_diagnosis", "urgent").first_response == timedelta(minutes=5)
    both = policies.for_ticket("pre_sales", "urgent")
    assert both.first_response == timedelta(minutes=5) and both.next_response == timedelta(hours=2)
    assert policies.for_ticket(None, None).next_response == timedelta(hours=1)


def test_policy_files_are_checked():
    with pytest.raises(CalendarError, match="unknown targets"):
        policies_from_dict({"default": {"first_reponse": "15m"}})
    with pytest.raises(CalendarError, match="warning_fraction"):
        policies_from_dict({"warning_fraction": 1.5})
    assert parse_duration("90s") == timedelta(seconds=90) and parse_duration(3) == timedelta(seconds=3)
    with pytest.raises(CalendarError):
        parse_duration("soon")


def test_a_policy_file_from_the_environment(tmp_path, monkeypatch):
    path = tmp_path / "policy.yaml"
    path.write_text("default: {first_response: 3s, attention: 10s}\nwarning_fraction: 0.5\n")
    monkeypatch.setenv("SOPORTE_SLA_POLICY_FILE", str(path))
    policy = load_policies().for_ticket("other", "normal")
    assert policy.first_response == timedelta(seconds=3) and policy.warning_fraction == 0.5


def test_a_policy_names_its_file_version_and_the_overrides_it_took():
    policies = policies_from_dict({"id": "tienda", "version": 7, "priorities": {"urgent": {"first_response": "5m"}}})
    assert (policies.id, policies.version) == ("tienda", 7)
    assert policies.for_ticket("other", "normal").id == "tienda"
    urgent = policies.for_ticket("other", "urgent")
    assert (urgent.id, urgent.version) == ("tienda/priority=urgent", 7)
