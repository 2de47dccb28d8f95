"""Veterinarians as a specification: profiles made by their clinic's staff managers, edited by
the vet or their admin; weekly rules and time off managed by the vet themself or a clinic
admin, never by a colleague; a vet is never scheduled twice at the same hour."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time

import pytest
from clinic_world import Staffed
from factories import unique

from vet_core.exceptions import (
    BusinessRuleException,
    ConflictException,
    NotFoundException,
    PermissionDeniedException,
)
from vet_core.models import ClinicMembership
from vet_core.models.enums import Species, StaffRole, UserRole
from vet_core.schemas.veterinarians import (
    VeterinarianAvailabilityCreate,
    VeterinarianCreate,
    VeterinarianTimeOffCreate,
    VeterinarianUpdate,
)
from vet_services.clinics import veterinarians


def profile(user_id: uuid.UUID, license_number: str | None = None) -> VeterinarianCreate:
    return VeterinarianCreate(
        user_id=user_id,
        license_number=license_number or unique("LIC-"),
        license_state="NY",
        species_expertise=[Species.CAT],
    )


def rule(
    clinic_id: uuid.UUID, weekday: int, starts: int, ends: int
) -> VeterinarianAvailabilityCreate:
    return VeterinarianAvailabilityCreate(
        clinic_id=clinic_id,
        weekday=weekday,
        starts_at_local=time(starts),
        ends_at_local=time(ends),
        effective_from=date(2031, 1, 1),
    )


async def test_staff_managers_create_profiles_for_their_veterinarians(world: Staffed) -> None:
    session = world.build.session
    newcomer = await world.build.staff(world.clinic, StaffRole.VETERINARIAN)
    created = await veterinarians.create_veterinarian(
        session, world.admin.actor, profile(newcomer.user.id)
    )
    assert created.species_expertise == ["cat"]
    with pytest.raises(ConflictException) as twice:
        await veterinarians.create_veterinarian(
            session, world.admin.actor, profile(newcomer.user.id)
        )
    assert twice.value.code == "VETERINARIAN_EXISTS"
    colleague = await world.build.staff(world.clinic, StaffRole.VETERINARIAN)
    with pytest.raises(ConflictException) as licence:
        await veterinarians.create_veterinarian(
            session, world.admin.actor, profile(colleague.user.id, created.license_number)
        )
    assert licence.value.code == "LICENSE_NUMBER_TAKEN"
    with pytest.raises(PermissionDeniedException):
        await veterinarians.create_veterinarian(
            session, world.receptionist.actor, profile(colleague.user.id)
        )
    with pytest.raises(NotFoundException):
        await veterinarians.create_veterinarian(
            session, world.other_admin.actor, profile(colleague.user.id)
        )


async def test_a_profile_needs_a_veterinarian_membership(world: Staffed) -> None:
    outsider = await world.build.user(UserRole.VETERINARIAN)
    with pytest.raises(BusinessRuleException) as refused:
        await veterinarians.create_veterinarian(
            world.build.session, world.platform.actor, profile(outsider.id)
        )
    assert refused.value.code == "NOT_A_CLINIC_VETERINARIAN"
    with pytest.raises(NotFoundException):
        await veterinarians.create_veterinarian(
            world.build.session, world.admin.actor, profile(world.receptionist.user.id)
        )


async def test_listing_by_clinic_follows_current_memberships(world: Staffed) -> None:
    session = world.build.session
    page = await veterinarians.list_veterinarians(session, clinic_id=world.clinic.id)
    assert [v.id for v in page.items] == [world.veterinarian.id]
    membership = await session.get(ClinicMembership, (await world.membership_of(world.vet)).id)
    assert membership is not None
    membership.ended_at = datetime.now(UTC)
    await session.flush()
    page = await veterinarians.list_veterinarians(session, clinic_id=world.clinic.id)
    assert page.items == []


@pytest.mark.parametrize(
    ("who", "refusal"),
    [
        ("vet", None),
        ("admin", None),
        ("platform", None),
        ("receptionist", PermissionDeniedException),
        ("other_admin", NotFoundException),
        ("owner", NotFoundException),
    ],
)
async def test_who_may_edit_a_profile(
    world: Staffed, who: str, refusal: type[Exception] | None
) -> None:
    change = VeterinarianUpdate(bio="Feline medicine")
    call = veterinarians.update_veterinarian(
        world.build.session, getattr(world, who).actor, world.veterinarian.id, change
    )
    if refusal is None:
        assert (await call).bio == "Feline medicine"
    else:
        with pytest.raises(refusal):
            await call


async def test_rules_never_overlap_even_across_clinics(world: Staffed) -> None:
    session = world.build.session
    second = await world.build.clinic()
    session.add(
        ClinicMembership(
            clinic_id=second.id, user_id=world.vet.user.id, role=StaffRole.VETERINARIAN
        )
    )
    await session.flush()
    vet_id = world.veterinarian.id
    await veterinarians.add_rule(session, world.vet.actor, vet_id, rule(world.clinic.id, 1, 9, 13))
    with pytest.raises(ConflictException) as clash:
        await veterinarians.add_rule(
            session, world.platform.actor, vet_id, rule(second.id, 1, 12, 16)
        )
    assert clash.value.code == "AVAILABILITY_OVERLAP"
    afternoon = await veterinarians.add_rule(
        session, world.platform.actor, vet_id, rule(second.id, 1, 13, 17)
    )
    rules = await veterinarians.list_rules(session, vet_id)
    assert [(r.clinic_id, r.starts_at_local) for r in rules] == [
        (world.clinic.id, time(9)),
        (second.id, time(13)),
    ]
    await veterinarians.remove_rule(session, world.vet.actor, vet_id, afternoon.id)
    assert len(await veterinarians.list_rules(session, vet_id)) == 1


async def test_night_shifts_are_kept_and_checked_against_the_next_day(world: Staffed) -> None:
    session = world.build.session
    vet_id = world.veterinarian.id
    night = await veterinarians.add_rule(
        session, world.vet.actor, vet_id, rule(world.clinic.id, 1, 22, 6)
    )
    assert (night.weekday, night.starts_at_local, night.ends_at_local) == (1, time(22), time(6))
    for weekday, starts, ends in [(2, 5, 9), (1, 21, 23), (7, 23, 23)]:
        with pytest.raises(ConflictException) as clash:
            await veterinarians.add_rule(
                session, world.vet.actor, vet_id, rule(world.clinic.id, weekday, starts, ends)
            )
        assert clash.value.code == "AVAILABILITY_OVERLAP", (weekday, starts, ends)
        assert clash.value.details["rule_id"] == str(night.id)
    # Tuesday from 06:00, Monday until 22:00 and Sunday night until Monday 00:00 only touch.
    for weekday, starts, ends in [(2, 6, 14), (1, 14, 22), (7, 18, 0)]:
        await veterinarians.add_rule(
            session, world.vet.actor, vet_id, rule(world.clinic.id, weekday, starts, ends)
        )
    rules = await veterinarians.list_rules(session, vet_id)
    assert [(r.weekday, r.starts_at_local, r.ends_at_local) for r in rules] == [
        (1, time(14), time(22)),
        (1, time(22), time(6)),
        (2, time(6), time(14)),
        (7, time(18), time(0)),
    ]


async def test_a_colleague_may_not_touch_another_vets_schedule(world: Staffed) -> None:
    session = world.build.session
    colleague = await world.build.staff(world.clinic, StaffRole.VETERINARIAN)
    with pytest.raises(PermissionDeniedException):
        await veterinarians.add_rule(
            session, colleague.actor, world.veterinarian.id, rule(world.clinic.id, 2, 9, 12)
        )
    with pytest.raises(NotFoundException):
        await veterinarians.add_rule(
            session, world.other_admin.actor, world.veterinarian.id, rule(world.clinic.id, 2, 9, 12)
        )
    with pytest.raises(BusinessRuleException) as elsewhere:
        await veterinarians.add_rule(
            session, world.vet.actor, world.veterinarian.id, rule(uuid.uuid4(), 2, 9, 12)
        )
    assert elsewhere.value.code == "VETERINARIAN_NOT_AT_CLINIC"


async def test_time_off_is_private_to_the_clinic(world: Staffed) -> None:
    session = world.build.session
    vet_id = world.veterinarian.id
    block = VeterinarianTimeOffCreate(
        starts_at=datetime(2031, 8, 1, tzinfo=UTC), ends_at=datetime(2031, 8, 8, tzinfo=UTC)
    )
    entry = await veterinarians.add_time_off(session, world.admin.actor, vet_id, block)
    seen = await veterinarians.list_time_off(session, world.receptionist.actor, vet_id)
    assert [t.id for t in seen] == [entry.id]
    with pytest.raises(NotFoundException):
        await veterinarians.list_time_off(session, world.owner.actor, vet_id)
    with pytest.raises(PermissionDeniedException):
        await veterinarians.add_time_off(session, world.receptionist.actor, vet_id, block)
    await veterinarians.remove_time_off(session, world.vet.actor, vet_id, entry.id)
    assert await veterinarians.list_time_off(session, world.vet.actor, vet_id) == []
