"""The two consumer fixes: what they replace in faust, and the versions they are for (no broker)."""

from __future__ import annotations

import faust
import pytest
from faust.transport.drivers import aiokafka as faust_aiokafka

from soporte.sla.adapters import faust_fixes
from soporte.sla.adapters.faust_fixes import LivePartitions


def test_live_partitions_are_never_empty_to_aiokafka_and_follow_the_set_they_look_at():
    live: set[str] = set()
    view = LivePartitions(live)
    assert bool(view) and "tp-1" not in view  # an empty set: "none", never aiokafka's "all"
    live.add("tp-1")
    assert "tp-1" in view
    live.discard("tp-1")
    assert "tp-1" not in view


def test_install_replaces_fetch_and_seek_of_fausts_consumer_thread_once():
    faust_fixes.install()
    thread_class = faust_aiokafka.AIOKafkaConsumerThread
    fetch = thread_class._fetch_records
    assert thread_class.seek_to_committed is faust_fixes._fixed_seek_to_committed
    faust_fixes.install()
    assert thread_class._fetch_records is fetch  # not wrapped twice


def test_another_faust_release_is_refused_until_the_fixes_are_checked_against_it(monkeypatch):
    monkeypatch.setattr(faust, "__version__", "0.16.0")
    with pytest.raises(RuntimeError, match="faust_fixes was written for"):
        faust_fixes.install()
