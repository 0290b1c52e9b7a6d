"""Timezones come from the pinned tzdata package, and the calendar finds their offset changes exactly."""

from __future__ import annotations

import copy
import pickle
import struct
from datetime import UTC, datetime
from importlib import resources

import pytest

from soporte.businesstime import BusinessCalendar, CalendarError
from soporte.businesstime.zone import TzdataZone, Zone, load_zone


def test_the_calendar_zone_is_read_from_the_tzdata_package():
    calendar = BusinessCalendar.always_open("Europe/Madrid")
    assert isinstance(calendar.tz, TzdataZone) and calendar.tz.key == "Europe/Madrid"
    assert datetime(2026, 7, 1, 12, tzinfo=UTC).astimezone(calendar.tz).hour == 14


def test_local_times_in_the_calendar_zone_pickle_and_copy():
    # Plain ZoneInfo.from_file zones refuse both; services copy and serialise aware datetimes.
    local = datetime(2026, 11, 25, 10, 0, tzinfo=load_zone("America/New_York"))
    assert pickle.loads(pickle.dumps(local)) == local
    assert copy.deepcopy(local).tzinfo.key == "America/New_York"


@pytest.mark.parametrize("name", ["Mars/Olympus", "Europe", "", "../zoneinfo/UTC", "zone1970.tab", "Europe//Madrid"])
def test_unknown_timezones_are_refused(name):
    with pytest.raises(CalendarError, match="unknown timezone"):
        load_zone(name)


def test_offset_changes_are_found_to_the_second():
    zone = Zone("Europe/Madrid")
    changes = zone.transitions(datetime(2026, 1, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC))
    assert changes == [datetime(2026, 3, 29, 1, 0, tzinfo=UTC), datetime(2026, 10, 25, 1, 0, tzinfo=UTC)]
    lord_howe = Zone("Australia/Lord_Howe")  # half-hour changes, on the other side of the year
    assert lord_howe.transitions(datetime(2026, 1, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC)) == [
        datetime(2026, 4, 4, 15, 0, tzinfo=UTC),
        datetime(2026, 10, 3, 15, 30, tzinfo=UTC),
    ]
    # a window across a new year reads both cached years
    assert zone.transitions(datetime(2026, 10, 1, tzinfo=UTC), datetime(2027, 4, 1, tzinfo=UTC)) == [
        datetime(2026, 10, 25, 1, 0, tzinfo=UTC),
        datetime(2027, 3, 28, 1, 0, tzinfo=UTC),
    ]


def test_no_zone_changes_its_offset_twice_within_the_probe_step_since_1970():
    """The zone probes offsets once a day; that is exact only while this holds for the pinned tzdata."""
    root = resources.files("tzdata")
    names = root.joinpath("zones").read_text("utf-8").split()
    too_close, rule_years = [], []
    for name in names:
        tzif = root.joinpath("zoneinfo", *name.split("/")).read_bytes()
        changes = _offset_changes(tzif)
        too_close += [(name, a) for a, b in zip(changes, changes[1:], strict=False) if a >= 0 and b - a < 2 * 86400]
        if b"," in tzif.rstrip(b"\n").rsplit(b"\n", 1)[-1]:
            # After its listed changes a zone follows its footer's DST rule: two changes a year, which a
            # daily probe finds unless summer or winter lasts under a day. 2090 is past every listed change.
            found = Zone(name).transitions(datetime(2090, 1, 1, tzinfo=UTC), datetime(2091, 1, 1, tzinfo=UTC))
            rule_years.append((name, len(found)))
    assert len(names) > 500 and too_close == []
    assert len(rule_years) > 100 and [entry for entry in rule_years if entry[1] != 2] == []


def _offset_changes(tzif: bytes) -> list[int]:
    """The instants (Unix seconds) where the offset changes, from the 64-bit body of a TZif v2+ file (RFC 8536)."""
    assert tzif[:4] == b"TZif" and tzif[4:5] >= b"2"
    isutc, isstd, leap, count, types, chars = struct.unpack(">6l", tzif[20:44])
    body = tzif[44 + count * 5 + types * 6 + chars + leap * 8 + isstd + isutc :]  # skip the 32-bit v1 body
    isutc, isstd, leap, count, types, chars = struct.unpack(">6l", body[20:44])
    times = struct.unpack(f">{count}q", body[44 : 44 + 8 * count])
    indices = body[44 + 8 * count : 44 + 9 * count]
    offsets = [struct.unpack(">l", body[44 + 9 * count + 6 * i : 48 + 9 * count + 6 * i])[0] for i in range(types)]
    changes, previous = [], offsets[0]
    for instant, index in zip(times, indices, strict=True):
        if offsets[index] != previous:
            changes.append(instant)
        previous = offsets[index]
    return changes
