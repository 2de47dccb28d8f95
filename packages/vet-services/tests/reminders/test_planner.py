"""Planning reminder rows from the rules: idempotent, per-clinic, never for a pet that died."""

from __future__ import annotations

from datetime import UTC, date, datetime

from notifications.builders import NOW, Make
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from vet_core.models import Reminder
from vet_core.models.enums import (
    AppointmentStatus,
    PetStatus,
    ReminderKind,
    ReminderStatus,
    ServiceType,
)
from vet_services.reminders.planner import plan_for_pet


async def reminders_of(session: AsyncSession, pet_id: object) -> list[Reminder]:
    rows = await session.execute(
        select(Reminder).where(Reminder.pet_id == pet_id).order_by(Reminder.due_at)
    )
    return list(rows.scalars())


async def test_planning_twice_creates_each_reminder_once(
    db_session: AsyncSession, make: Make
) -> None:
    owner = await make.owner()
    clinic = await make.clinic()
    rex = await make.pet(owner)
    await make.vaccination(rex, clinic, next_due_on=date(2031, 3, 17))
    await make.appointment(rex, clinic, datetime(2031, 3, 5, 14, 30, tzinfo=UTC))

    first = await plan_for_pet(db_session, rex.id, NOW)
    second = await plan_for_pet(db_session, rex.id, NOW)

    assert len(first) == 4
    assert second == []
    planned = await reminders_of(db_session, rex.id)
    assert [(r.kind, r.due_at) for r in planned] == [
        (ReminderKind.VACCINATION, datetime(2031, 3, 3, 15, 0, tzinfo=UTC)),  # 14 d, 10:00 EST
        (ReminderKind.APPOINTMENT, datetime(2031, 3, 4, 14, 30, tzinfo=UTC)),  # 24 h
        (ReminderKind.APPOINTMENT, datetime(2031, 3, 5, 12, 30, tzinfo=UTC)),  # 2 h
        (ReminderKind.VACCINATION, datetime(2031, 3, 14, 14, 0, tzinfo=UTC)),  # 3 d, 10:00 EDT
    ]
    assert {r.status for r in planned} == {ReminderStatus.PENDING}


async def test_the_clinics_lead_times_apply_and_past_ones_are_skipped(
    db_session: AsyncSession, make: Make
) -> None:
    owner = await make.owner()
    clinic = await make.clinic(settings={"reminders": {"vaccination_lead_days": [30, 7]}})
    rex = await make.pet(owner)
    await make.vaccination(rex, clinic, next_due_on=date(2031, 3, 17))

    await plan_for_pet(db_session, rex.id, NOW)

    # 30 days before (15 February) is already behind NOW (3 March): only the 7-day one remains.
    assert [r.due_at for r in await reminders_of(db_session, rex.id)] == [
        datetime(2031, 3, 10, 14, 0, tzinfo=UTC)
    ]


async def test_only_the_latest_dose_of_a_vaccine_counts(
    db_session: AsyncSession, make: Make
) -> None:
    owner = await make.owner()
    clinic = await make.clinic()
    rex = await make.pet(owner)
    older = await make.vaccination(rex, clinic, next_due_on=date(2031, 3, 17))
    newer = await make.vaccination(
        rex,
        clinic,
        next_due_on=date(2034, 2, 1),
        administered_at=datetime(2031, 2, 1, 15, tzinfo=UTC),
    )

    await plan_for_pet(db_session, rex.id, NOW)

    vaccination_ids = {r.vaccination_id for r in await reminders_of(db_session, rex.id)}
    assert vaccination_ids == {newer.id}
    assert older.id not in vaccination_ids


async def test_refill_and_annual_exam_reminders(db_session: AsyncSession, make: Make) -> None:
    owner = await make.owner()
    clinic = await make.clinic()
    rex = await make.pet(owner)
    await make.appointment(
        rex,
        clinic,
        datetime(2030, 3, 25, 14, tzinfo=UTC),
        service=ServiceType.WELLNESS_EXAM,
        status=AppointmentStatus.COMPLETED,
    )
    await make.prescription(rex, valid_until=date(2031, 4, 1))

    await plan_for_pet(db_session, rex.id, NOW)

    planned = {r.kind: r for r in await reminders_of(db_session, rex.id)}
    refill = planned[ReminderKind.MEDICATION]
    assert refill.title == "Prescription refill: Carprofen 75 mg"
    assert refill.due_at == datetime(2031, 3, 25, 14, 0, tzinfo=UTC)  # 7 days before, 10:00 EDT
    exam = planned[ReminderKind.CHECKUP]
    assert exam.notes == "Due 2031-03-25."
    assert exam.due_at == datetime(2031, 3, 11, 14, 0, tzinfo=UTC)


async def test_nothing_is_planned_for_a_pet_that_died(db_session: AsyncSession, make: Make) -> None:
    owner = await make.owner()
    clinic = await make.clinic()
    biscuit = await make.pet(owner, "Biscuit", status=PetStatus.DECEASED)
    await make.vaccination(biscuit, clinic)

    assert await plan_for_pet(db_session, biscuit.id, NOW) == []
