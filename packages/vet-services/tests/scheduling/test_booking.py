"""Booking: idempotent requests, clear conflicts with alternatives, and never a double booking."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from factories import NOW, Builder, Practice, make_practice
from sqlalchemy import func, select

from vet_core.exceptions import (
    BusinessRuleException,
    ConflictException,
    NotFoundException,
)
from vet_core.models import Appointment
from vet_core.models.enums import AppointmentPriority, AppointmentStatus, ServiceType
from vet_services.scheduling import BookingRequest, SchedulingPolicy, book_appointment

NEW_YORK = ZoneInfo("America/New_York")
TUESDAY = date(2031, 3, 4)


def at(hour: int, minute: int = 0, day: date = TUESDAY) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=NEW_YORK).astimezone(UTC)


def request_for(practice: Practice, starts_at: datetime, **changes) -> BookingRequest:
    return BookingRequest(
        pet_id=changes.pop("pet_id", practice.pet.id),
        veterinarian_id=practice.vet.id,
        clinic_id=practice.clinic.id,
        service_type=ServiceType.WELLNESS_EXAM,
        starts_at=starts_at,
        **changes,
    )


async def test_an_owner_books_a_free_slot_for_their_pet(db_session, practice):
    appointment = await book_appointment(
        db_session, practice.owner.actor, request_for(practice, at(10)), now=NOW
    )
    assert appointment.status is AppointmentStatus.SCHEDULED
    assert appointment.ends_at - appointment.starts_at == timedelta(minutes=30)
    assert appointment.booked_by_id == practice.owner.user.id


async def test_clinics_requiring_approval_get_owner_bookings_as_requests(db_session, practice):
    policy = SchedulingPolicy(owner_bookings_need_approval=True)
    by_owner = await book_appointment(
        db_session, practice.owner.actor, request_for(practice, at(10)), policy=policy, now=NOW
    )
    by_staff = await book_appointment(
        db_session,
        practice.receptionist.actor,
        request_for(practice, at(11)),
        policy=policy,
        now=NOW,
    )
    assert by_owner.status is AppointmentStatus.REQUESTED
    assert by_staff.status is AppointmentStatus.SCHEDULED


async def test_the_same_key_and_body_return_the_same_appointment(db_session, practice):
    request = request_for(practice, at(10), idempotency_key="checkout-1")
    first = await book_appointment(db_session, practice.owner.actor, request, now=NOW)
    again = await book_appointment(db_session, practice.owner.actor, request, now=NOW)
    assert again.id == first.id
    count = await db_session.scalar(
        select(func.count()).select_from(Appointment).where(Appointment.pet_id == practice.pet.id)
    )
    assert count == 1


async def test_the_same_key_with_another_body_is_a_conflict(db_session, practice):
    await book_appointment(
        db_session,
        practice.owner.actor,
        request_for(practice, at(10), idempotency_key="checkout-2"),
        now=NOW,
    )
    with pytest.raises(ConflictException) as raised:
        await book_appointment(
            db_session,
            practice.owner.actor,
            request_for(practice, at(11), idempotency_key="checkout-2"),
            now=NOW,
        )
    assert raised.value.code == "IDEMPOTENCY_KEY_REUSED"


async def test_keys_belong_to_their_user(db_session, practice):
    """Another user's identical key is a different booking, not a replay of the first."""
    await book_appointment(
        db_session,
        practice.owner.actor,
        request_for(practice, at(10), idempotency_key="same"),
        now=NOW,
    )
    other = await book_appointment(
        db_session,
        practice.other_owner.actor,
        request_for(practice, at(11), pet_id=practice.other_pet.id, idempotency_key="same"),
        now=NOW,
    )
    assert other.pet_id == practice.other_pet.id


async def test_an_overlap_is_a_conflict_offering_the_next_free_slots(db_session, build, practice):
    await build.appointment(
        vet=practice.vet, clinic=practice.clinic, pet=practice.other_pet, starts_at=at(10)
    )
    with pytest.raises(ConflictException) as raised:
        await book_appointment(
            db_session, practice.owner.actor, request_for(practice, at(10, 15)), now=NOW
        )
    assert raised.value.code == "APPOINTMENT_OVERLAP"
    alternatives = raised.value.details["alternatives"]
    assert [datetime.fromisoformat(a["starts_at"]) for a in alternatives] == [
        at(10, 30),
        at(10, 45),
        at(11),
    ]
    assert {a["veterinarian_id"] for a in alternatives} == {str(practice.vet.id)}


async def test_a_conflict_leaves_the_callers_transaction_usable(db_session, build, practice):
    await build.appointment(
        vet=practice.vet, clinic=practice.clinic, pet=practice.other_pet, starts_at=at(10)
    )
    with pytest.raises(ConflictException):
        await book_appointment(
            db_session, practice.owner.actor, request_for(practice, at(10)), now=NOW
        )
    booked = await book_appointment(
        db_session, practice.owner.actor, request_for(practice, at(11)), now=NOW
    )
    assert booked.starts_at == at(11)


@pytest.mark.parametrize(
    ("starts_at", "code"),
    [
        (at(7), "APPOINTMENT_OUTSIDE_AVAILABILITY"),
        (at(12, 15), "APPOINTMENT_OUTSIDE_AVAILABILITY"),  # lunch break
        (at(16, 45), "APPOINTMENT_OUTSIDE_AVAILABILITY"),  # would end after 17:00
        (NOW + timedelta(minutes=30), "APPOINTMENT_NOTICE_TOO_SHORT"),
        (NOW + timedelta(days=120), "APPOINTMENT_BEYOND_HORIZON"),
    ],
    ids=["before-hours", "lunch", "past-closing", "short-notice", "beyond-horizon"],
)
async def test_times_outside_the_schedule_are_refused(db_session, practice, starts_at, code):
    with pytest.raises(BusinessRuleException) as raised:
        await book_appointment(
            db_session, practice.owner.actor, request_for(practice, starts_at), now=NOW
        )
    assert raised.value.code == code


async def test_emergencies_may_be_booked_at_night_but_never_over_another_visit(
    db_session, build, practice
):
    night = at(2, 0, day=date(2031, 3, 8))
    emergency = await book_appointment(
        db_session,
        practice.receptionist.actor,
        request_for(practice, night, priority=AppointmentPriority.EMERGENCY),
        now=NOW,
    )
    assert emergency.priority is AppointmentPriority.EMERGENCY
    with pytest.raises(ConflictException) as raised:
        await book_appointment(
            db_session,
            practice.receptionist.actor,
            request_for(
                practice,
                night + timedelta(minutes=10),
                pet_id=practice.other_pet.id,
                priority=AppointmentPriority.EMERGENCY,
            ),
            now=NOW,
        )
    assert raised.value.code == "APPOINTMENT_OVERLAP"


async def test_an_owner_cannot_book_for_someone_elses_pet(db_session, practice):
    with pytest.raises(NotFoundException):
        await book_appointment(
            db_session,
            practice.owner.actor,
            request_for(practice, at(10), pet_id=practice.other_pet.id),
            now=NOW,
        )


async def test_a_receptionist_books_for_any_pet_at_their_clinic(db_session, practice):
    booked = await book_appointment(
        db_session,
        practice.receptionist.actor,
        request_for(practice, at(10), pet_id=practice.other_pet.id),
        now=NOW,
    )
    assert booked.booked_by_id == practice.receptionist.user.id


async def test_fifty_simultaneous_bookings_of_one_slot_yield_one_appointment(
    committed_session_factory,
):
    async with committed_session_factory() as session:
        build = Builder(session)
        practice = await make_practice(build)
        owners = [await build.owner() for _ in range(50)]
        pets = [await build.pet(owner) for owner in owners]
        await session.commit()

    async def attempt(index: int) -> object:
        async with committed_session_factory() as session:
            try:
                appointment = await book_appointment(
                    session,
                    owners[index].actor,
                    replace(request_for(practice, at(10)), pet_id=pets[index].id),
                    now=NOW,
                )
                await session.commit()
            except ConflictException as error:
                await session.rollback()
                return error
            return appointment.id

    outcomes = await asyncio.gather(*(attempt(i) for i in range(50)), return_exceptions=True)

    conflicts = [o for o in outcomes if isinstance(o, ConflictException)]
    booked = [o for o in outcomes if not isinstance(o, BaseException)]
    others = [o for o in outcomes if isinstance(o, BaseException) and o not in conflicts]
    assert others == []
    assert len(booked) == 1
    assert len(conflicts) == 49
    assert {c.code for c in conflicts} == {"APPOINTMENT_OVERLAP"}
    assert all("alternatives" in c.details for c in conflicts)
    async with committed_session_factory() as session:
        stored = await session.scalar(
            select(func.count())
            .select_from(Appointment)
            .where(Appointment.veterinarian_id == practice.vet.id)
        )
    assert stored == 1


async def test_time_off_and_closed_days_cannot_be_booked(db_session, build, practice):
    await build.time_off(practice.vet, at(13), at(18))
    await build.closure(practice.clinic, date(2031, 3, 5))
    for starts_at in (at(14), at(10, day=date(2031, 3, 5))):
        with pytest.raises(BusinessRuleException) as raised:
            await book_appointment(
                db_session, practice.owner.actor, request_for(practice, starts_at), now=NOW
            )
        assert raised.value.code == "APPOINTMENT_OUTSIDE_AVAILABILITY"
