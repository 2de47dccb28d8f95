"""Reading appointments and waitlist entries by visibility, and editing an appointment in place."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from factories import Builder, Practice
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from vet_core.exceptions import (
    ConflictException,
    NotFoundException,
    PermissionDeniedException,
    SchemaValidationException,
)
from vet_core.models import AuditLog, WaitlistEntry
from vet_core.models.enums import (
    AppointmentPriority,
    AppointmentStatus,
    ServiceType,
    StaffRole,
    UserRole,
    WaitlistStatus,
)
from vet_core.schemas.scheduling import AppointmentStaffUpdate, AppointmentUpdate
from vet_services.auth.permissions import Action, Actor
from vet_services.pagination import PageRequest
from vet_services.scheduling import (
    AppointmentFilters,
    get_appointment,
    list_appointments,
    my_waitlist_entries,
    update_appointment,
)

START = datetime(2031, 3, 4, 15, tzinfo=UTC)


async def three_visits(build: Builder, p: Practice) -> list[uuid.UUID]:
    made = [
        await build.appointment(
            vet=p.vet, clinic=p.clinic, pet=p.pet, starts_at=START + timedelta(hours=h)
        )
        for h in range(3)
    ]
    return [a.id for a in made]


async def test_owners_staff_and_strangers_see_what_they_may(
    db_session: AsyncSession, build: Builder, practice: Practice
) -> None:
    p = practice
    mine = await three_visits(build, p)
    theirs = await build.appointment(
        vet=p.vet, clinic=p.clinic, pet=p.other_pet, starts_at=START + timedelta(days=1)
    )
    everything = AppointmentFilters()
    page = PageRequest(limit=10)

    owner_sees = await list_appointments(db_session, p.owner.actor, everything, page)
    assert sorted(a.id for a in owner_sees.items) == sorted(mine)
    staff_sees = await list_appointments(db_session, p.receptionist.actor, everything, page)
    assert {a.id for a in staff_sees.items} == {*mine, theirs.id}
    stranger = Actor(role=UserRole.PET_OWNER, user_id=uuid.uuid4())
    assert (await list_appointments(db_session, stranger, everything, page)).items == []
    # An API key sees its clinic's appointments only with appointment:read in its scopes.
    key = Actor(
        role=None,
        api_key_id=uuid.uuid4(),
        memberships={p.clinic.id: StaffRole.CLINIC_ADMIN},
        scopes=frozenset({Action.SCHEDULE_READ}),
    )
    assert (await list_appointments(db_session, key, everything, page)).items == []
    admin = Actor(role=UserRole.PLATFORM_ADMIN, user_id=uuid.uuid4())
    filtered = await list_appointments(
        db_session, admin, AppointmentFilters(pet_id=p.other_pet.id), page
    )
    assert [a.id for a in filtered.items] == [theirs.id]


async def test_listing_pages_and_filters(
    db_session: AsyncSession, build: Builder, practice: Practice
) -> None:
    p = practice
    mine = await three_visits(build, p)
    first = await list_appointments(
        db_session, p.owner.actor, AppointmentFilters(), PageRequest(limit=2)
    )
    assert [a.id for a in first.items] == mine[::-1][:2]  # newest booking first
    assert first.next_cursor is not None
    rest = await list_appointments(
        db_session, p.owner.actor, AppointmentFilters(), PageRequest(2, first.next_cursor)
    )
    assert [a.id for a in rest.items] == [mine[0]]
    assert rest.next_cursor is None

    window = AppointmentFilters(
        starts_from=START + timedelta(minutes=30), starts_before=START + timedelta(hours=2)
    )
    inside = await list_appointments(db_session, p.owner.actor, window, PageRequest(10))
    assert [a.id for a in inside.items] == [mine[1]]
    none_cancelled = await list_appointments(
        db_session,
        p.owner.actor,
        AppointmentFilters(statuses=(AppointmentStatus.CANCELLED,)),
        PageRequest(10),
    )
    assert none_cancelled.items == []

    with pytest.raises(SchemaValidationException) as backwards:
        await list_appointments(
            db_session,
            p.owner.actor,
            AppointmentFilters(starts_from=START, starts_before=START),
            PageRequest(10),
        )
    assert backwards.value.details == {"field": "starts_before"}
    with pytest.raises(SchemaValidationException):
        await list_appointments(db_session, p.owner.actor, AppointmentFilters(), PageRequest(0))


async def test_get_appointment_is_404_for_those_who_may_not_see_it(
    db_session: AsyncSession, build: Builder, practice: Practice
) -> None:
    p = practice
    [visit, *_] = await three_visits(build, p)
    assert (await get_appointment(db_session, p.owner.actor, visit)).id == visit
    assert (await get_appointment(db_session, p.receptionist.actor, visit)).id == visit
    for outsider in (p.other_owner.actor, Actor(role=UserRole.PET_OWNER, user_id=uuid.uuid4())):
        with pytest.raises(NotFoundException):
            await get_appointment(db_session, outsider, visit)
    with pytest.raises(NotFoundException):
        await get_appointment(db_session, p.owner.actor, uuid.uuid4())


async def test_the_owner_edits_reason_and_notes_only(
    db_session: AsyncSession, build: Builder, practice: Practice
) -> None:
    p = practice
    [visit, *_] = await three_visits(build, p)
    changed = await update_appointment(
        db_session, p.owner.actor, visit, AppointmentUpdate(reason="cough", notes="nervous")
    )
    assert (changed.reason, changed.notes, changed.version) == ("cough", "nervous", 2)
    assert changed.updated_by == p.owner.user.id
    logged = (
        await db_session.execute(select(AuditLog).where(AuditLog.entity_id == visit))
    ).scalar_one()
    assert set(logged.changes) == {"reason", "notes"}

    with pytest.raises(PermissionDeniedException) as refused:
        await update_appointment(
            db_session,
            p.owner.actor,
            visit,
            AppointmentStaffUpdate(internal_notes="x", price=Decimal("10.00")),
        )
    assert refused.value.details == {"fields": ["internal_notes", "price"]}
    with pytest.raises(NotFoundException):
        await update_appointment(
            db_session, p.other_owner.actor, visit, AppointmentUpdate(notes="mine now")
        )


async def test_staff_edit_their_fields_even_after_the_visit(
    db_session: AsyncSession, build: Builder, practice: Practice
) -> None:
    p = practice
    done = await build.appointment(
        vet=p.vet,
        clinic=p.clinic,
        pet=p.pet,
        starts_at=START - timedelta(days=400),
        status=AppointmentStatus.COMPLETED,
    )
    with pytest.raises(ConflictException) as late:
        await update_appointment(db_session, p.owner.actor, done.id, AppointmentUpdate(notes="x"))
    assert late.value.code == "APPOINTMENT_NOT_EDITABLE"

    changed = await update_appointment(
        db_session,
        p.receptionist.actor,
        done.id,
        AppointmentStaffUpdate(
            priority=AppointmentPriority.URGENT,
            internal_notes="nervous with men",
            price=Decimal("80.00"),
            currency="EUR",
        ),
    )
    assert changed.priority is AppointmentPriority.URGENT
    assert (changed.internal_notes, changed.price, changed.currency) == (
        "nervous with men",
        Decimal("80.00"),
        "EUR",
    )


async def test_my_waitlist_entries(
    db_session: AsyncSession, build: Builder, practice: Practice
) -> None:
    p = practice
    entries = [
        await build.add(
            WaitlistEntry(
                clinic_id=p.clinic.id,
                pet_id=p.pet.id,
                requested_by_id=p.owner.user.id,
                service_type=ServiceType.WELLNESS_EXAM,
                status=status,
            )
        )
        for status in (WaitlistStatus.WAITING, WaitlistStatus.CANCELLED)
    ]
    await build.add(
        WaitlistEntry(
            clinic_id=p.clinic.id,
            pet_id=p.other_pet.id,
            requested_by_id=p.other_owner.user.id,
            service_type=ServiceType.WELLNESS_EXAM,
        )
    )
    mine = await my_waitlist_entries(db_session, p.owner.actor, PageRequest(10))
    assert [e.id for e in mine.items] == [e.id for e in entries[::-1]]
    waiting = await my_waitlist_entries(
        db_session, p.owner.actor, PageRequest(10), statuses=(WaitlistStatus.WAITING,)
    )
    assert [e.id for e in waiting.items] == [entries[0].id]
    paged = await my_waitlist_entries(db_session, p.owner.actor, PageRequest(1))
    assert len(paged.items) == 1
    assert paged.next_cursor is not None
    key = Actor(
        role=None, api_key_id=uuid.uuid4(), memberships={p.clinic.id: StaffRole.CLINIC_ADMIN}
    )
    assert (await my_waitlist_entries(db_session, key, PageRequest(10))).items == []
