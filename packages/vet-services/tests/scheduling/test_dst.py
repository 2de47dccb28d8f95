"""Daylight-saving weeks: slots follow the local wall clock, skip the hour that does not exist
and offer each occurrence of the hour that happens twice exactly once."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from factories import Builder

from vet_core.models.enums import ServiceType
from vet_services.scheduling import SchedulingPolicy, veterinarian_slots

HALF_HOURLY = SchedulingPolicy(slot_interval_minutes=30)

# (zone, the Sunday of the change, local rule on that Sunday, expected local starts, UTC offsets)
NIGHTS = [
    pytest.param(
        "America/New_York",
        date(2031, 3, 9),
        (time(0), time(5)),
        ["00:00", "00:30", "01:00", "01:30", "03:00", "03:30", "04:00", "04:30"],
        id="new-york-spring-forward",
    ),
    pytest.param(
        "America/New_York",
        date(2031, 11, 2),
        (time(0), time(4)),
        # 01:00 and 01:30 happen twice: first on EDT, then again on EST.
        ["00:00", "00:30", "01:00", "01:30", "01:00", "01:30", "02:00", "02:30", "03:00", "03:30"],
        id="new-york-fall-back",
    ),
    pytest.param(
        "Europe/London",
        date(2031, 3, 30),
        (time(0), time(3)),
        ["00:00", "00:30", "02:00", "02:30"],
        id="london-spring-forward",
    ),
    pytest.param(
        "Europe/London",
        date(2031, 10, 26),
        (time(0), time(3)),
        ["00:00", "00:30", "01:00", "01:30", "01:00", "01:30", "02:00", "02:30"],
        id="london-fall-back",
    ),
]


@pytest.mark.parametrize(("zone_name", "sunday", "rule", "expected"), NIGHTS)
async def test_night_of_the_change(db_session, build: Builder, zone_name, sunday, rule, expected):
    zone = ZoneInfo(zone_name)
    clinic = await build.clinic(timezone=zone_name, open_24h=True)
    vet = await build.veterinarian(clinic, weekdays=())
    await build.rule(vet, clinic, 7, *rule)
    slots = await veterinarian_slots(
        db_session,
        veterinarian_id=vet.id,
        clinic_id=clinic.id,
        first_day=sunday,
        last_day=sunday,
        service_type=ServiceType.WELLNESS_EXAM,
        policy=HALF_HOURLY,
        now=datetime.combine(sunday, time(0), tzinfo=UTC) - timedelta(days=3),
    )
    assert [s.starts_at.astimezone(zone).strftime("%H:%M") for s in slots] == expected
    starts = [s.starts_at for s in slots]
    assert starts == sorted(set(starts)), "every instant once, in order"
    # Each slot lasts 30 real minutes, and none starts inside another.
    assert all(s.ends_at - s.starts_at == timedelta(minutes=30) for s in slots)
    assert all(b.starts_at >= a.ends_at for a, b in itertools.pairwise(slots))


@pytest.mark.parametrize(
    ("zone_name", "monday"),
    [
        ("America/New_York", date(2031, 3, 3)),
        ("America/New_York", date(2031, 10, 27)),
        ("Europe/London", date(2031, 3, 24)),
        ("Europe/London", date(2031, 10, 20)),
    ],
)
async def test_a_week_across_the_change_keeps_the_wall_clock_hours(
    db_session, build: Builder, zone_name, monday
):
    """09:00–17:00 stays 09:00–17:00 local every day, so its UTC hours move by one."""
    zone = ZoneInfo(zone_name)
    clinic = await build.clinic(timezone=zone_name, weekdays=(1, 2, 3, 4, 5, 6, 7), breaks=[])
    vet = await build.veterinarian(clinic, weekdays=(1, 2, 3, 4, 5, 6, 7))
    slots = await veterinarian_slots(
        db_session,
        veterinarian_id=vet.id,
        clinic_id=clinic.id,
        first_day=monday,
        last_day=monday + timedelta(days=13),
        service_type=ServiceType.WELLNESS_EXAM,
        policy=HALF_HOURLY,
        now=datetime.combine(monday, time(0), tzinfo=UTC) - timedelta(days=1),
    )
    by_day: dict[date, list[str]] = {}
    for slot in slots:
        local = slot.starts_at.astimezone(zone)
        by_day.setdefault(local.date(), []).append(local.strftime("%H:%M"))
    assert len(by_day) == 14
    for times in by_day.values():
        assert times[0] == "09:00"
        assert times[-1] == "16:30"
        assert len(times) == 16
    utc_offsets = {s.starts_at.astimezone(zone).utcoffset() for s in slots}
    assert len(utc_offsets) == 2, "the fortnight straddles the change"
