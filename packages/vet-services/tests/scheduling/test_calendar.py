"""Day and week calendars, per veterinarian and per clinic, in the clinic's local time."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from vet_core.exceptions import NotFoundException
from vet_core.models.enums import AppointmentStatus, StaffRole
from vet_services.scheduling import day_view, week_view

NEW_YORK = ZoneInfo("America/New_York")
TUESDAY = date(2031, 3, 4)


def at(hour: int, minute: int = 0, day: date = TUESDAY) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=NEW_YORK).astimezone(UTC)


async def test_a_day_lists_the_clinics_appointments_in_local_time(db_session, build, practice):
    second_vet = await build.veterinarian(practice.clinic)
    await build.appointment(
        vet=practice.vet, clinic=practice.clinic, pet=practice.pet, starts_at=at(14)
    )
    await build.appointment(
        vet=second_vet, clinic=practice.clinic, pet=practice.other_pet, starts_at=at(9)
    )
    await build.appointment(
        vet=practice.vet,
        clinic=practice.clinic,
        pet=practice.other_pet,
        starts_at=at(10),
        status=AppointmentStatus.CANCELLED,
    )
    await build.appointment(  # 23:30 on Monday in New York is already Tuesday in UTC
        vet=practice.vet,
        clinic=practice.clinic,
        pet=practice.pet,
        starts_at=at(23, 30, day=TUESDAY - timedelta(days=1)),
    )

    whole_clinic = await day_view(
        db_session, practice.receptionist.actor, clinic_id=practice.clinic.id, day=TUESDAY
    )
    one_vet = await day_view(
        db_session,
        practice.receptionist.actor,
        clinic_id=practice.clinic.id,
        day=TUESDAY,
        veterinarian_id=practice.vet.id,
    )

    [day] = whole_clinic.days
    assert day.day == TUESDAY
    assert [e.starts_at.strftime("%H:%M") for e in day.entries] == ["09:00", "14:00"]
    assert all(e.starts_at.tzinfo == NEW_YORK for e in day.entries)
    assert [e.veterinarian_id for e in one_vet.days[0].entries] == [practice.vet.id]


async def test_a_week_runs_monday_to_sunday_across_the_clocks_going_back(db_session, build):
    clinic = await build.clinic(open_24h=True)
    vet = await build.veterinarian(clinic)
    owner = await build.owner()
    pet = await build.pet(owner)
    receptionist = await build.staff(clinic)
    sunday = date(2031, 11, 2)
    # Both 01:30s of the night the clocks go back belong to that Sunday.
    first = datetime(2031, 11, 2, 1, 30, tzinfo=NEW_YORK)
    second = datetime(2031, 11, 2, 1, 30, fold=1, tzinfo=NEW_YORK)
    for starts_at in (first, second, datetime(2031, 10, 27, 9, tzinfo=NEW_YORK)):
        await build.appointment(
            vet=vet, clinic=clinic, pet=pet, starts_at=starts_at.astimezone(UTC)
        )

    week = await week_view(
        db_session, receptionist.actor, clinic_id=clinic.id, day=date(2031, 10, 30)
    )

    assert [d.day for d in week.days] == [date(2031, 10, 27) + timedelta(days=n) for n in range(7)]
    assert len(week.days[0].entries) == 1
    night = week.days[6]
    assert night.day == sunday
    assert [e.starts_at.utcoffset() for e in night.entries] == [
        timedelta(hours=-4),
        timedelta(hours=-5),
    ]


@pytest.mark.parametrize("who", ["owner", "other_clinic_staff"])
async def test_calendars_are_for_the_clinics_staff_only(db_session, build, practice, who):
    actor = (
        practice.owner.actor
        if who == "owner"
        else (await build.staff(await build.clinic(), StaffRole.CLINIC_ADMIN)).actor
    )
    with pytest.raises(NotFoundException):
        await day_view(db_session, actor, clinic_id=practice.clinic.id, day=TUESDAY)
