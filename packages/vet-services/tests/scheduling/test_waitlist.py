"""The waitlist: a freed slot is offered to the first matching owners; the first claimer wins."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from factories import NOW, Builder, make_practice
from sqlalchemy import select

from vet_core.exceptions import BusinessRuleException, ConflictException, NotFoundException
from vet_core.models import Appointment, WaitlistEntry
from vet_core.models.enums import AppointmentStatus, ServiceType, WaitlistStatus
from vet_services.scheduling import (
    cancel,
    claim_offer,
    expire_waitlist,
    join_waitlist,
    leave_waitlist,
    offer_freed_slot,
)

NEW_YORK = ZoneInfo("America/New_York")
TUESDAY = date(2031, 3, 4)


def at(hour: int, minute: int = 0, day: date = TUESDAY) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=NEW_YORK).astimezone(UTC)


async def waiting_owners(build: Builder, practice, count: int, **window):
    """``count`` owners, each with a pet on the waitlist (in joining order)."""
    people = []
    for _ in range(count):
        owner = await build.owner()
        pet = await build.pet(owner)
        entry = await join_waitlist(
            build.session,
            owner.actor,
            clinic_id=practice.clinic.id,
            pet_id=pet.id,
            service_type=ServiceType.WELLNESS_EXAM,
            **window,
        )
        people.append((owner, pet, entry))
    return people


async def cancelled_ten(build: Builder, practice) -> Appointment:
    appointment = await build.appointment(
        vet=practice.vet, clinic=practice.clinic, pet=practice.pet, starts_at=at(10)
    )
    return await cancel(build.session, practice.receptionist.actor, appointment.id, now=NOW)


async def test_a_freed_slot_is_offered_to_the_first_matching_entries(db_session, build, practice):
    early, *rest = await waiting_owners(build, practice, 4)
    too_late = await join_waitlist(
        db_session,
        practice.other_owner.actor,
        clinic_id=practice.clinic.id,
        pet_id=practice.other_pet.id,
        service_type=ServiceType.WELLNESS_EXAM,
        earliest_at=at(12),
    )
    other_service = await join_waitlist(
        db_session,
        practice.owner.actor,
        clinic_id=practice.clinic.id,
        pet_id=practice.pet.id,
        service_type=ServiceType.DENTAL,
    )
    freed = await cancelled_ten(build, practice)

    offered = await offer_freed_slot(db_session, freed_appointment_id=freed.id, count=3, now=NOW)

    assert [e.id for e in offered] == [entry.id for _, _, entry in [early, *rest[:2]]]
    assert all(e.status is WaitlistStatus.OFFERED for e in offered)
    assert all(e.offered_appointment_id == freed.id for e in offered)
    assert all(e.offer_expires_at == NOW + timedelta(minutes=30) for e in offered)
    untouched = await db_session.scalars(
        select(WaitlistEntry.status).where(
            WaitlistEntry.id.in_([rest[2][2].id, too_late.id, other_service.id])
        )
    )
    assert set(untouched) == {WaitlistStatus.WAITING}


async def test_an_active_appointment_frees_nothing(db_session, build, practice):
    await waiting_owners(build, practice, 1)
    active = await build.appointment(
        vet=practice.vet, clinic=practice.clinic, pet=practice.pet, starts_at=at(10)
    )
    assert await offer_freed_slot(db_session, freed_appointment_id=active.id, now=NOW) == []


async def test_the_first_claimer_wins_and_the_others_get_a_clear_conflict(
    db_session, build, practice
):
    people = await waiting_owners(build, practice, 2)
    freed = await cancelled_ten(build, practice)
    await offer_freed_slot(db_session, freed_appointment_id=freed.id, now=NOW)
    (first, _, first_entry), (second, _, second_entry) = people

    booked = await claim_offer(db_session, second.actor, second_entry.id, now=NOW)
    assert (booked.starts_at, booked.status) == (at(10), AppointmentStatus.SCHEDULED)
    with pytest.raises(ConflictException) as raised:
        await claim_offer(db_session, first.actor, first_entry.id, now=NOW)
    assert raised.value.code == "WAITLIST_SLOT_TAKEN"
    assert "alternatives" in raised.value.details
    await db_session.refresh(second_entry)
    assert second_entry.status is WaitlistStatus.BOOKED


async def test_simultaneous_claims_book_the_slot_once(committed_session_factory):
    async with committed_session_factory() as session:
        build = Builder(session)
        practice = await make_practice(build)
        people = await waiting_owners(build, practice, 5)
        freed = await cancelled_ten(build, practice)
        await offer_freed_slot(session, freed_appointment_id=freed.id, count=5, now=NOW)
        await session.commit()

    async def claim(owner, entry_id):
        async with committed_session_factory() as session:
            try:
                await claim_offer(session, owner.actor, entry_id, now=NOW)
                await session.commit()
            except ConflictException as error:
                await session.rollback()
                return error.code
            return "booked"

    outcomes = await asyncio.gather(*(claim(owner, entry.id) for owner, _, entry in people))
    assert sorted(outcomes) == ["WAITLIST_SLOT_TAKEN"] * 4 + ["booked"]


async def test_claims_need_a_live_offer_of_ones_own(db_session, build, practice):
    [(owner, _, entry)] = await waiting_owners(build, practice, 1)
    with pytest.raises(ConflictException) as not_offered:
        await claim_offer(db_session, owner.actor, entry.id, now=NOW)
    assert not_offered.value.code == "WAITLIST_OFFER_NOT_ACTIVE"
    freed = await cancelled_ten(build, practice)
    await offer_freed_slot(db_session, freed_appointment_id=freed.id, now=NOW)
    with pytest.raises(NotFoundException):
        await claim_offer(db_session, practice.other_owner.actor, entry.id, now=NOW)
    with pytest.raises(ConflictException) as lapsed:
        await claim_offer(db_session, owner.actor, entry.id, now=NOW + timedelta(hours=1))
    assert lapsed.value.code == "WAITLIST_OFFER_NOT_ACTIVE"


async def test_lapsed_offers_wait_again_and_past_windows_expire(db_session, build, practice):
    [(_, _, offered)] = await waiting_owners(build, practice, 1)
    [(_, _, short)] = await waiting_owners(
        build, practice, 1, latest_at=at(9, day=date(2031, 3, 5))
    )
    freed = await cancelled_ten(build, practice)
    await offer_freed_slot(db_session, freed_appointment_id=freed.id, count=1, now=NOW)

    lapsed, expired = await expire_waitlist(db_session, now=at(10, day=date(2031, 3, 5)))

    assert (lapsed, expired) == (1, 1)
    rows = dict(
        (
            await db_session.execute(
                select(WaitlistEntry.id, WaitlistEntry.status).where(
                    WaitlistEntry.id.in_([offered.id, short.id])
                )
            )
        ).all()
    )
    assert rows == {offered.id: WaitlistStatus.WAITING, short.id: WaitlistStatus.EXPIRED}


async def test_owners_leave_their_own_entries_only(db_session, build, practice):
    [(owner, _, entry)] = await waiting_owners(build, practice, 1)
    with pytest.raises(NotFoundException):
        await leave_waitlist(db_session, practice.other_owner.actor, entry.id)
    await leave_waitlist(db_session, owner.actor, entry.id)
    await db_session.refresh(entry)
    assert entry.status is WaitlistStatus.CANCELLED


async def test_a_waiting_window_must_end_after_it_starts(db_session, practice):
    with pytest.raises(BusinessRuleException) as raised:
        await join_waitlist(
            db_session,
            practice.owner.actor,
            clinic_id=practice.clinic.id,
            pet_id=practice.pet.id,
            service_type=ServiceType.WELLNESS_EXAM,
            earliest_at=at(12),
            latest_at=at(9),
        )
    assert raised.value.code == "WAITLIST_WINDOW_INVALID"
