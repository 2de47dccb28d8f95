"""Slot holds: a held slot is kept from others for a few minutes, then lapses by itself."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from factories import NOW, Builder, make_practice

from vet_core.exceptions import BusinessRuleException, ConflictException, NotFoundException
from vet_core.models import AppointmentHold
from vet_core.models.enums import HoldStatus, ServiceType
from vet_services.scheduling import (
    BookingRequest,
    book_appointment,
    convert_hold,
    create_hold,
    expire_holds,
    release_hold,
    veterinarian_slots,
)

NEW_YORK = ZoneInfo("America/New_York")
TUESDAY = date(2031, 3, 4)


def at(hour: int, minute: int = 0) -> datetime:
    return datetime.combine(TUESDAY, time(hour, minute), tzinfo=NEW_YORK).astimezone(UTC)


async def hold_ten(session, practice, actor=None, pet=None, now=NOW):
    return await create_hold(
        session,
        actor or practice.owner.actor,
        clinic_id=practice.clinic.id,
        veterinarian_id=practice.vet.id,
        pet_id=(pet or practice.pet).id,
        service_type=ServiceType.WELLNESS_EXAM,
        starts_at=at(10),
        now=now,
    )


async def free_starts(session, practice, now=NOW):
    slots = await veterinarian_slots(
        session,
        veterinarian_id=practice.vet.id,
        clinic_id=practice.clinic.id,
        first_day=TUESDAY,
        last_day=TUESDAY,
        service_type=ServiceType.WELLNESS_EXAM,
        now=now,
    )
    return {slot.starts_at for slot in slots}


async def test_a_hold_hides_the_slot_and_lasts_the_policys_minutes(db_session, practice):
    hold = await hold_ten(db_session, practice)
    assert hold.status is HoldStatus.ACTIVE
    assert hold.ends_at - hold.starts_at == timedelta(minutes=30)
    assert hold.expires_at == NOW + timedelta(minutes=10)
    assert at(10) not in await free_starts(db_session, practice)
    assert at(10) in await free_starts(db_session, practice, now=NOW + timedelta(minutes=11))


async def test_a_second_owner_cannot_hold_or_book_a_held_slot(db_session, practice):
    await hold_ten(db_session, practice)
    with pytest.raises(ConflictException) as held:
        await hold_ten(db_session, practice, practice.other_owner.actor, practice.other_pet)
    assert held.value.code == "APPOINTMENT_OVERLAP"
    with pytest.raises(ConflictException) as booked:
        await book_appointment(
            db_session,
            practice.other_owner.actor,
            BookingRequest(
                pet_id=practice.other_pet.id,
                veterinarian_id=practice.vet.id,
                clinic_id=practice.clinic.id,
                service_type=ServiceType.WELLNESS_EXAM,
                starts_at=at(10),
            ),
            now=NOW,
        )
    assert booked.value.code == "APPOINTMENT_OVERLAP"


async def test_converting_a_hold_books_its_slot(db_session, practice):
    hold = await hold_ten(db_session, practice)
    appointment = await convert_hold(
        db_session,
        practice.owner.actor,
        hold.id,
        service_type=ServiceType.WELLNESS_EXAM,
        now=NOW + timedelta(minutes=5),
    )
    assert (appointment.starts_at, appointment.ends_at) == (hold.starts_at, hold.ends_at)
    await db_session.refresh(hold)
    assert hold.status is HoldStatus.CONVERTED
    assert hold.appointment_id == appointment.id
    with pytest.raises(ConflictException) as again:
        await convert_hold(
            db_session,
            practice.owner.actor,
            hold.id,
            service_type=ServiceType.WELLNESS_EXAM,
            now=NOW,
        )
    assert again.value.code == "HOLD_NOT_ACTIVE"


async def test_an_expired_hold_cannot_be_converted_and_is_swept(db_session, practice):
    hold = await hold_ten(db_session, practice)
    later = NOW + timedelta(minutes=11)
    with pytest.raises(ConflictException) as raised:
        await convert_hold(
            db_session,
            practice.owner.actor,
            hold.id,
            service_type=ServiceType.WELLNESS_EXAM,
            now=later,
        )
    assert raised.value.code == "HOLD_NOT_ACTIVE"
    assert await expire_holds(db_session, now=later) == 1
    assert await expire_holds(db_session, now=later) == 0
    stored = await db_session.get(AppointmentHold, hold.id, populate_existing=True)
    assert stored is not None
    assert stored.status is HoldStatus.EXPIRED


async def test_a_released_hold_frees_the_slot(db_session, practice):
    hold = await hold_ten(db_session, practice)
    await release_hold(db_session, practice.owner.actor, hold.id, now=NOW)
    assert at(10) in await free_starts(db_session, practice)


async def test_only_the_holder_or_the_clinic_may_touch_a_hold(db_session, practice):
    hold = await hold_ten(db_session, practice)
    with pytest.raises(NotFoundException):
        await release_hold(db_session, practice.other_owner.actor, hold.id, now=NOW)
    await release_hold(db_session, practice.receptionist.actor, hold.id, now=NOW)


async def test_holds_respect_the_schedule(db_session, practice):
    with pytest.raises(BusinessRuleException):
        await create_hold(
            db_session,
            practice.owner.actor,
            clinic_id=practice.clinic.id,
            veterinarian_id=practice.vet.id,
            pet_id=practice.pet.id,
            service_type=ServiceType.WELLNESS_EXAM,
            starts_at=at(12, 15),
            now=NOW,
        )


async def test_simultaneous_holds_of_one_slot_leave_one_holder(committed_session_factory):
    async with committed_session_factory() as session:
        build = Builder(session)
        practice = await make_practice(build)
        owners = [await build.owner() for _ in range(10)]
        pets = [await build.pet(owner) for owner in owners]
        await session.commit()

    async def attempt(index: int) -> str:
        async with committed_session_factory() as session:
            try:
                await create_hold(
                    session,
                    owners[index].actor,
                    clinic_id=practice.clinic.id,
                    veterinarian_id=practice.vet.id,
                    pet_id=pets[index].id,
                    service_type=ServiceType.WELLNESS_EXAM,
                    starts_at=at(10),
                    now=NOW,
                )
                await session.commit()
            except ConflictException as error:
                await session.rollback()
                return error.code
            return "held"

    outcomes = await asyncio.gather(*(attempt(i) for i in range(10)))
    assert sorted(outcomes) == ["APPOINTMENT_OVERLAP"] * 9 + ["held"]
