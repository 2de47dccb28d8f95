"""The exclusion constraint: one veterinarian never has two overlapping active appointments."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from vet_core.models import Appointment, Clinic, Pet, User, Veterinarian
from vet_core.models.enums import ACTIVE_APPOINTMENT_STATUSES, AppointmentStatus, ServiceType
from vet_core.models.scheduling import APPOINTMENT_OVERLAP_CONSTRAINT

START = datetime(2031, 6, 2, 14, 0, tzinfo=UTC)
INACTIVE_STATUSES = [s for s in AppointmentStatus if s not in ACTIVE_APPOINTMENT_STATUSES]


async def _book(factory, vet, minutes_from_start, length=30, **overrides):
    starts_at = START + timedelta(minutes=minutes_from_start)
    return await factory.create(
        Appointment,
        veterinarian_id=vet.id,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=length),
        **overrides,
    )


async def _expect_overlap(db_session, coroutine_factory):
    with pytest.raises(IntegrityError) as raised:
        async with db_session.begin_nested():
            await coroutine_factory()
    assert APPOINTMENT_OVERLAP_CONSTRAINT in str(raised.value.orig)


@pytest.mark.parametrize("status", ACTIVE_APPOINTMENT_STATUSES, ids=str)
async def test_overlapping_active_appointment_is_rejected(db_session, factory, status):
    vet = await factory.create(Veterinarian)
    await _book(factory, vet, 0, status=status)
    await _expect_overlap(db_session, lambda: _book(factory, vet, 15))


async def test_identical_and_enclosing_slots_are_rejected(db_session, factory):
    vet = await factory.create(Veterinarian)
    await _book(factory, vet, 0, length=60)
    await _expect_overlap(db_session, lambda: _book(factory, vet, 0, length=60))
    await _expect_overlap(db_session, lambda: _book(factory, vet, 15, length=10))
    await _expect_overlap(db_session, lambda: _book(factory, vet, -30, length=120))


async def test_back_to_back_appointments_do_not_overlap(factory):
    """Ranges are half-open ``[start, end)``: one ending at 14:30 and one starting then is fine."""
    vet = await factory.create(Veterinarian)
    first = await _book(factory, vet, 0)
    second = await _book(factory, vet, 30)
    assert first.ends_at == second.starts_at


async def test_other_veterinarians_are_independent(factory):
    await _book(factory, await factory.create(Veterinarian), 0)
    await _book(factory, await factory.create(Veterinarian), 0)


@pytest.mark.parametrize("status", INACTIVE_STATUSES, ids=str)
async def test_inactive_appointments_do_not_block_the_slot(factory, status):
    vet = await factory.create(Veterinarian)
    await _book(factory, vet, 0, status=status)
    await _book(factory, vet, 0)


async def test_soft_deleted_appointments_do_not_block_the_slot(db_session, factory):
    vet = await factory.create(Veterinarian)
    gone = await _book(factory, vet, 0)
    gone.soft_delete()
    await db_session.flush()
    await _book(factory, vet, 0)


async def test_cancelling_frees_the_slot_and_reactivating_is_refused(db_session, factory):
    vet = await factory.create(Veterinarian)
    first = await _book(factory, vet, 0)
    first.status = AppointmentStatus.CANCELLED
    first.cancelled_at = START - timedelta(days=1)
    await db_session.flush()
    await _book(factory, vet, 0)

    async def reactivate():
        await db_session.execute(
            text(
                "UPDATE appointments SET status = 'scheduled', cancelled_at = NULL WHERE id = :id"
            ),
            {"id": first.id},
        )

    await _expect_overlap(db_session, reactivate)


async def test_moving_an_appointment_onto_another_is_refused(db_session, factory):
    vet = await factory.create(Veterinarian)
    await _book(factory, vet, 0)
    later = await _book(factory, vet, 60)

    async def move():
        await db_session.execute(
            text("UPDATE appointments SET starts_at = :s, ends_at = :e WHERE id = :id"),
            {
                "s": START + timedelta(minutes=10),
                "e": START + timedelta(minutes=40),
                "id": later.id,
            },
        )

    await _expect_overlap(db_session, move)


# --- really concurrent, really committed ---------------------------------------------------


async def _committed_parents(committed_session_factory, factory_class):
    async with committed_session_factory() as session:
        factory = factory_class(session)
        owner = await factory.create(User)
        pet = await factory.create(Pet, owner_id=owner.id)
        vet = await factory.create(Veterinarian)
        clinic = await factory.create(Clinic)
        await session.commit()
    return owner, pet, vet, clinic


async def _attempt(committed_session_factory, parents, starts_at, ends_at, **extra) -> str | None:
    """Book in a session of its own; ``None`` on success, else the database's error message."""
    owner, pet, vet, clinic = parents
    async with committed_session_factory() as session:
        session.add(
            Appointment(
                pet_id=pet.id,
                booked_by_id=owner.id,
                veterinarian_id=vet.id,
                clinic_id=clinic.id,
                service_type=ServiceType.SICK_VISIT,
                starts_at=starts_at,
                ends_at=ends_at,
                **extra,
            )
        )
        try:
            await session.commit()
        except IntegrityError as error:
            return str(error.orig)
        return None


def _booked(results: list[str | None]) -> int:
    """How many attempts succeeded; every failure must be the overlap constraint."""
    for error in results:
        assert error is None or APPOINTMENT_OVERLAP_CONSTRAINT in error, error
    return sum(error is None for error in results)


async def _count(committed_session_factory, vet_id, *, active_only=False) -> int:
    statement = (
        select(func.count()).select_from(Appointment).where(Appointment.veterinarian_id == vet_id)
    )
    if active_only:
        statement = statement.where(Appointment.status.in_(ACTIVE_APPOINTMENT_STATUSES))
    async with committed_session_factory() as session:
        return (await session.execute(statement)).scalar_one()


async def test_twenty_concurrent_overlapping_bookings_leave_exactly_one(
    committed_session_factory, factory_class
):
    parents = await _committed_parents(committed_session_factory, factory_class)
    # Twenty different but pairwise overlapping 30-minute slots, all racing at once.
    attempts = [
        _attempt(
            committed_session_factory,
            parents,
            START + timedelta(minutes=i),
            START + timedelta(minutes=30 + i),
        )
        for i in range(20)
    ]
    results = await asyncio.gather(*attempts)
    assert _booked(results) == 1
    assert await _count(committed_session_factory, parents[2].id) == 1


async def test_twenty_concurrent_disjoint_bookings_all_succeed(
    committed_session_factory, factory_class
):
    parents = await _committed_parents(committed_session_factory, factory_class)
    attempts = [
        _attempt(
            committed_session_factory,
            parents,
            START + timedelta(minutes=30 * i),
            START + timedelta(minutes=30 * (i + 1)),
        )
        for i in range(20)
    ]
    assert _booked(await asyncio.gather(*attempts)) == 20
    assert await _count(committed_session_factory, parents[2].id) == 20


async def test_concurrent_cancelled_bookings_do_not_conflict(
    committed_session_factory, factory_class
):
    parents = await _committed_parents(committed_session_factory, factory_class)
    cancelled = [
        _attempt(
            committed_session_factory,
            parents,
            START,
            START + timedelta(minutes=30),
            status=AppointmentStatus.CANCELLED,
            cancelled_at=START - timedelta(days=1),
        )
        for _ in range(10)
    ]
    active = [
        _attempt(committed_session_factory, parents, START, START + timedelta(minutes=30))
        for _ in range(10)
    ]
    results = await asyncio.gather(*cancelled, *active)
    assert _booked(results[:10]) == 10
    assert _booked(results[10:]) == 1
    assert await _count(committed_session_factory, parents[2].id) == 11
    assert await _count(committed_session_factory, parents[2].id, active_only=True) == 1
