"""The appointment state machine: every pair of statuses from one table, compare-and-set under
concurrency, the owners' cancellation window and rescheduling with history."""

from __future__ import annotations

import asyncio
import itertools
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from factories import NOW, Builder, make_practice
from sqlalchemy import select

from vet_core.exceptions import (
    BusinessRuleException,
    ConflictException,
    NotFoundException,
    PermissionDeniedException,
)
from vet_core.models import Appointment
from vet_core.models.enums import AppointmentStatus
from vet_services.scheduling import cancel, confirm, reschedule, reschedule_history, transition
from vet_services.scheduling.lifecycle import TRANSITIONS

S = AppointmentStatus
NEW_YORK = ZoneInfo("America/New_York")


def at(hour: int, minute: int = 0, day: date = date(2031, 3, 4)) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=NEW_YORK).astimezone(UTC)


#: The specification, written out once: what each status may become.
ALLOWED = {
    (S.REQUESTED, S.SCHEDULED),
    (S.REQUESTED, S.CONFIRMED),
    (S.REQUESTED, S.CANCELLED),
    (S.SCHEDULED, S.CONFIRMED),
    (S.SCHEDULED, S.CANCELLED),
    (S.SCHEDULED, S.NO_SHOW),
    (S.CONFIRMED, S.CHECKED_IN),
    (S.CONFIRMED, S.CANCELLED),
    (S.CONFIRMED, S.NO_SHOW),
    (S.CHECKED_IN, S.IN_PROGRESS),
    (S.IN_PROGRESS, S.COMPLETED),
}
PAIRS = list(itertools.product(S, S))


def test_the_transition_table_is_the_specification():
    assert {(a, b) for a, targets in TRANSITIONS.items() for b in targets} == ALLOWED


@pytest.mark.parametrize(("current", "target"), PAIRS, ids=[f"{a}->{b}" for a, b in PAIRS])
async def test_every_transition_is_applied_or_refused_by_the_table(
    db_session, build, practice, current, target
):
    appointment = await build.appointment(
        vet=practice.vet,
        clinic=practice.clinic,
        pet=practice.pet,
        starts_at=at(10),
        status=current,
    )
    staff = practice.receptionist.actor
    if (current, target) in ALLOWED:
        moved = await transition(db_session, staff, appointment.id, target, now=NOW)
        assert moved.status is target
        assert moved.version == 2
        stamp = {
            S.CHECKED_IN: moved.checked_in_at,
            S.IN_PROGRESS: moved.started_at,
            S.COMPLETED: moved.completed_at,
            S.CANCELLED: moved.cancelled_at,
        }.get(target, NOW)
        assert stamp == NOW
    else:
        with pytest.raises(ConflictException) as raised:
            await transition(db_session, staff, appointment.id, target, now=NOW)
        assert raised.value.code == "APPOINTMENT_TRANSITION_INVALID"


async def test_a_stale_expected_status_is_refused(db_session, build, practice):
    appointment = await build.appointment(
        vet=practice.vet, clinic=practice.clinic, pet=practice.pet, starts_at=at(10)
    )
    await confirm(db_session, practice.receptionist.actor, appointment.id, now=NOW)
    with pytest.raises(ConflictException) as raised:
        await transition(
            db_session,
            practice.receptionist.actor,
            appointment.id,
            S.CONFIRMED,
            expected=S.SCHEDULED,
            now=NOW,
        )
    assert raised.value.code == "APPOINTMENT_STATE_CHANGED"


async def test_two_staff_clicking_at_once_cannot_both_succeed(committed_session_factory):
    async with committed_session_factory() as session:
        build = Builder(session)
        practice = await make_practice(build)
        second_receptionist = await build.staff(practice.clinic)
        appointment = await build.appointment(
            vet=practice.vet, clinic=practice.clinic, pet=practice.pet, starts_at=at(10)
        )
        await session.commit()
    ready = asyncio.Barrier(2)

    async def click(actor, target):
        async with committed_session_factory() as session:
            try:
                await ready.wait()
                moved = await transition(
                    session, actor, appointment.id, target, expected=S.SCHEDULED, now=NOW
                )
                await asyncio.sleep(0.05)  # hold the row lock while the other click arrives
                await session.commit()
                return moved.status
            except ConflictException as error:
                await session.rollback()
                return error.code

    outcomes = await asyncio.gather(
        click(practice.receptionist.actor, S.CONFIRMED),
        click(second_receptionist.actor, S.CANCELLED),
    )
    assert sorted(map(str, outcomes)) in (
        ["APPOINTMENT_STATE_CHANGED", "confirmed"],
        ["APPOINTMENT_STATE_CHANGED", "cancelled"],
    )
    async with committed_session_factory() as session:
        stored = await session.get(Appointment, appointment.id)
        assert stored is not None
        assert stored.version == 2


async def test_owners_cancel_only_before_the_window_and_staff_at_any_time(
    db_session, build, practice
):
    soon = await build.appointment(
        vet=practice.vet,
        clinic=practice.clinic,
        pet=practice.pet,
        starts_at=NOW + timedelta(hours=20),
    )
    later = await build.appointment(
        vet=practice.vet,
        clinic=practice.clinic,
        pet=practice.pet,
        starts_at=NOW + timedelta(hours=30),
    )
    with pytest.raises(BusinessRuleException) as raised:
        await cancel(db_session, practice.owner.actor, soon.id, now=NOW)
    assert raised.value.code == "CANCELLATION_WINDOW_PASSED"
    cancelled = await cancel(db_session, practice.owner.actor, later.id, reason="sick", now=NOW)
    assert cancelled.status is S.CANCELLED
    assert cancelled.cancelled_by_id == practice.owner.user.id
    assert cancelled.cancellation_reason == "sick"
    by_staff = await cancel(db_session, practice.receptionist.actor, soon.id, now=NOW)
    assert by_staff.status is S.CANCELLED


async def test_rescheduling_cancels_the_old_and_links_the_new(db_session, build, practice):
    original = await build.appointment(
        vet=practice.vet, clinic=practice.clinic, pet=practice.pet, starts_at=at(10)
    )
    moved = await reschedule(
        db_session, practice.owner.actor, original.id, starts_at=at(10, 15), now=NOW
    )
    moved_again = await reschedule(
        db_session, practice.owner.actor, moved.id, starts_at=at(14), now=NOW
    )
    old = await db_session.get(Appointment, original.id, populate_existing=True)
    assert old is not None
    assert old.status is S.CANCELLED
    assert old.cancellation_reason == "rescheduled"
    assert moved.rescheduled_from_id == original.id
    assert moved_again.starts_at == at(14)
    assert moved_again.ends_at - moved_again.starts_at == timedelta(minutes=30)
    history = await reschedule_history(db_session, practice.owner.actor, moved_again.id)
    assert [a.id for a in history] == [original.id, moved.id, moved_again.id]


async def test_a_failed_reschedule_leaves_the_original_untouched(db_session, build, practice):
    original = await build.appointment(
        vet=practice.vet, clinic=practice.clinic, pet=practice.pet, starts_at=at(10)
    )
    await build.appointment(
        vet=practice.vet, clinic=practice.clinic, pet=practice.other_pet, starts_at=at(14)
    )
    with pytest.raises(ConflictException) as raised:
        await reschedule(db_session, practice.owner.actor, original.id, starts_at=at(14), now=NOW)
    assert raised.value.code == "APPOINTMENT_OVERLAP"
    assert raised.value.details["alternatives"]
    stored = (
        await db_session.scalars(
            select(Appointment)
            .where(Appointment.id == original.id)
            .execution_options(populate_existing=True)
        )
    ).one()
    assert stored.status is S.SCHEDULED
    assert stored.cancelled_at is None


async def test_owners_of_other_pets_see_nothing_and_owners_cannot_manage(
    db_session, build, practice
):
    appointment = await build.appointment(
        vet=practice.vet, clinic=practice.clinic, pet=practice.pet, starts_at=at(10)
    )
    with pytest.raises(NotFoundException):
        await cancel(db_session, practice.other_owner.actor, appointment.id, now=NOW)
    with pytest.raises(PermissionDeniedException):
        await confirm(db_session, practice.owner.actor, appointment.id, now=NOW)
    confirmed = await confirm(db_session, practice.receptionist.actor, appointment.id, now=NOW)
    assert confirmed.status is S.CONFIRMED


async def test_staff_of_another_clinic_see_nothing(db_session, build, practice):
    appointment = await build.appointment(
        vet=practice.vet, clinic=practice.clinic, pet=practice.pet, starts_at=at(10)
    )
    elsewhere = await build.staff(await build.clinic())
    with pytest.raises(NotFoundException):
        await confirm(db_session, elsewhere.actor, appointment.id, now=NOW)


async def test_owners_cannot_move_an_appointment_inside_the_window(db_session, build, practice):
    soon = await build.appointment(
        vet=practice.vet,
        clinic=practice.clinic,
        pet=practice.pet,
        starts_at=NOW + timedelta(hours=20),
    )
    with pytest.raises(BusinessRuleException) as raised:
        await reschedule(db_session, practice.owner.actor, soon.id, starts_at=at(14), now=NOW)
    assert raised.value.code == "CANCELLATION_WINDOW_PASSED"
    moved = await reschedule(
        db_session, practice.receptionist.actor, soon.id, starts_at=at(14), now=NOW
    )
    assert moved.rescheduled_from_id == soon.id
