"""Night shifts: a weekly rule ending at or before its start runs into the next day. Its slots go
on past midnight (each belonging to the local day it starts on), follow the wall clock on
daylight-saving nights, are clipped by overnight clinic hours, and can be booked."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from factories import Builder
from sqlalchemy.ext.asyncio import AsyncSession

from vet_core.exceptions import BusinessRuleException
from vet_core.models import Clinic, Veterinarian
from vet_core.models.enums import AppointmentStatus, ServiceType
from vet_services.scheduling import (
    BookingRequest,
    SchedulingPolicy,
    Slot,
    book_appointment,
    clinic_slots,
    veterinarian_slots,
)

NEW_YORK = ZoneInfo("America/New_York")
HALF_HOURLY = SchedulingPolicy(slot_interval_minutes=30)
MONDAY = date(2031, 3, 3)
TUESDAY = MONDAY + timedelta(days=1)
#: Friday before: far enough for the minimum notice, near enough for the horizon.
NOW = datetime(2031, 2, 28, 12, tzinfo=UTC)
EVERY_DAY = (1, 2, 3, 4, 5, 6, 7)


def local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=NEW_YORK).astimezone(UTC)


def wall(slots: list[Slot]) -> list[str]:
    return [s.starts_at.astimezone(NEW_YORK).strftime("%a %H:%M") for s in slots]


def half_hours(day: str, first: int, last: int) -> list[str]:
    """``day`` ``first:00``, ``first:30`` … up to ``last:30``."""
    return [
        f"{day} {hour:02d}:{minute:02d}" for hour in range(first, last + 1) for minute in (0, 30)
    ]


async def night_practice(
    build: Builder, *, opens: time = time(18), closes: time = time(8)
) -> tuple[Clinic, Veterinarian]:
    """A clinic open every night ``opens``-``closes`` and a vet on Monday nights 22:00-06:00."""
    clinic = await build.clinic(weekdays=EVERY_DAY, opens=opens, closes=closes, breaks=[])
    vet = await build.veterinarian(clinic, weekdays=())
    await build.rule(vet, clinic, 1, time(22), time(6), effective_from=date(2025, 1, 1))
    return clinic, vet


async def slots_between(
    session: AsyncSession,
    clinic: Clinic,
    vet: Veterinarian,
    first: date,
    last: date,
    *,
    now: datetime = NOW,
) -> list[Slot]:
    return await veterinarian_slots(
        session,
        veterinarian_id=vet.id,
        clinic_id=clinic.id,
        first_day=first,
        last_day=last,
        service_type=ServiceType.WELLNESS_EXAM,
        policy=HALF_HOURLY,
        now=now,
    )


async def test_a_monday_night_shift_offers_slots_until_tuesday_morning(db_session, build):
    clinic, vet = await night_practice(build)
    both = await slots_between(db_session, clinic, vet, MONDAY, TUESDAY)
    assert wall(both) == half_hours("Mon", 22, 23) + half_hours("Tue", 0, 5)
    assert all(s.ends_at - s.starts_at == timedelta(minutes=30) for s in both)
    # A slot belongs to the day it starts on: Tuesday's list has the small hours of Monday's
    # night, Monday's list stops at midnight, and the week after starts clean.
    tuesday = await slots_between(db_session, clinic, vet, TUESDAY, TUESDAY)
    assert wall(tuesday) == half_hours("Tue", 0, 5)
    monday = await slots_between(db_session, clinic, vet, MONDAY, MONDAY)
    assert wall(monday) == half_hours("Mon", 22, 23)
    at_the_clinic = await clinic_slots(
        db_session,
        clinic_id=clinic.id,
        first_day=TUESDAY,
        last_day=TUESDAY,
        service_type=ServiceType.WELLNESS_EXAM,
        policy=HALF_HOURLY,
        now=NOW,
    )
    assert [s.starts_at for s in at_the_clinic] == [s.starts_at for s in tuesday]


async def test_overnight_clinic_hours_clip_the_night_shift(db_session, build):
    clinic, vet = await night_practice(build, opens=time(23), closes=time(3))
    slots = await slots_between(db_session, clinic, vet, MONDAY, TUESDAY)
    assert wall(slots) == ["Mon 23:00", "Mon 23:30", *half_hours("Tue", 0, 2)]


async def test_the_grid_runs_on_unbroken_past_midnight(db_session, build):
    clinic = await build.clinic(weekdays=EVERY_DAY, opens=time(0), closes=time(0), breaks=[])
    vet = await build.veterinarian(clinic, weekdays=())
    await build.rule(vet, clinic, 1, time(22, 10), time(1, 30), effective_from=date(2025, 1, 1))
    slots = await slots_between(db_session, clinic, vet, MONDAY, TUESDAY)
    assert wall(slots) == [
        "Mon 22:10",
        "Mon 22:40",
        "Mon 23:10",
        "Mon 23:40",
        "Tue 00:10",
        "Tue 00:40",
    ]


# (Saturday of the change, expected local starts of the Saturday 22:00-06:00 night shift)
DST_NIGHTS = [
    pytest.param(
        date(2025, 3, 8),
        half_hours("Sat", 22, 23) + half_hours("Sun", 0, 1) + half_hours("Sun", 3, 5),
        id="spring-forward-02:00-02:59-does-not-exist",
    ),
    pytest.param(
        date(2025, 11, 1),
        half_hours("Sat", 22, 23)
        + half_hours("Sun", 0, 1)
        + ["Sun 01:00", "Sun 01:30"]  # the repeated hour, on EST this time
        + half_hours("Sun", 2, 5),
        id="fall-back-01:00-01:59-twice",
    ),
]


@pytest.mark.parametrize(("saturday", "expected"), DST_NIGHTS)
async def test_a_night_shift_over_a_daylight_saving_change(db_session, build, saturday, expected):
    clinic = await build.clinic(weekdays=EVERY_DAY, opens=time(18), closes=time(8), breaks=[])
    vet = await build.veterinarian(clinic, weekdays=())
    await build.rule(vet, clinic, 6, time(22), time(6), effective_from=date(2025, 1, 1))
    slots = await slots_between(
        db_session,
        clinic,
        vet,
        saturday,
        saturday + timedelta(days=1),
        now=datetime.combine(saturday, time(0), tzinfo=UTC) - timedelta(days=3),
    )
    assert wall(slots) == expected
    starts = [s.starts_at for s in slots]
    assert starts == sorted(set(starts)), "every instant once, in order"
    assert all(s.ends_at - s.starts_at == timedelta(minutes=30) for s in slots)
    assert all(b.starts_at >= a.ends_at for a, b in itertools.pairwise(slots))
    # The shift ends at the first 06:00 of Sunday, in real time 8 h (+/- the changed hour) later.
    sunday_six = datetime.combine(saturday + timedelta(days=1), time(6), tzinfo=NEW_YORK)
    assert slots[-1].ends_at == sunday_six.astimezone(UTC)


async def test_night_slots_can_be_booked_after_midnight(db_session, build):
    clinic, vet = await night_practice(build)
    owner = await build.owner()
    pet = await build.pet(owner)

    def request(starts_at: datetime) -> BookingRequest:
        return BookingRequest(
            pet_id=pet.id,
            veterinarian_id=vet.id,
            clinic_id=clinic.id,
            service_type=ServiceType.WELLNESS_EXAM,
            starts_at=starts_at,
        )

    small_hours = await book_appointment(
        db_session, owner.actor, request(local(TUESDAY, 3)), now=NOW
    )
    assert small_hours.status is AppointmentStatus.SCHEDULED
    across_midnight = await book_appointment(
        db_session, owner.actor, request(local(MONDAY, 23, 45)), now=NOW
    )
    assert across_midnight.ends_at == local(TUESDAY, 0, 15)
    for outside in (local(TUESDAY, 5, 45), local(TUESDAY, 7), local(MONDAY, 21)):
        with pytest.raises(BusinessRuleException) as refused:
            await book_appointment(db_session, owner.actor, request(outside), now=NOW)
        assert refused.value.code == "APPOINTMENT_OUTSIDE_AVAILABILITY", outside
    # The booked times are gone from the night's slots.
    slots = await slots_between(db_session, clinic, vet, MONDAY, TUESDAY)
    assert "Tue 03:00" not in wall(slots)
    assert "Mon 23:30" not in wall(slots)
    assert "Tue 00:00" not in wall(slots)
