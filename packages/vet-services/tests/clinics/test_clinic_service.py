"""The clinic service as a specification: who may create, change and retire a clinic, how the
week's hours are replaced, and how closures and settings are kept."""

from __future__ import annotations

import uuid
from datetime import date, time

import pytest
from clinic_world import Staffed
from sqlalchemy import select

from vet_core.exceptions import (
    BusinessRuleException,
    ConflictException,
    NotFoundException,
    PermissionDeniedException,
    SchemaValidationException,
)
from vet_core.models.audit import AuditLog
from vet_core.models.enums import AuditAction
from vet_core.schemas.clinics import (
    ClinicClosureCreate,
    ClinicCreate,
    ClinicOperatingHoursCreate,
    ClinicUpdate,
)
from vet_services.clinics import service


def new_clinic(slug: str | None = None) -> ClinicCreate:
    return ClinicCreate(
        name="Northside Vets",
        slug=slug or f"northside-{uuid.uuid4().hex[:8]}",
        address_line1="9 North Road",
        city="Albany",
        country_code="US",
        timezone="America/New_York",
        latitude=42.65,
        longitude=-73.75,
    )


def hours(weekday: int, opens: int, closes: int) -> ClinicOperatingHoursCreate:
    return ClinicOperatingHoursCreate(weekday=weekday, opens_at=time(opens), closes_at=time(closes))


async def test_platform_admins_create_clinics_with_unique_live_slugs(world: Staffed) -> None:
    session = world.build.session
    created = await service.create_clinic(session, world.platform.actor, new_clinic())
    assert created.created_by == world.platform.user.id
    with pytest.raises(ConflictException) as taken:
        await service.create_clinic(session, world.platform.actor, new_clinic(created.slug))
    assert taken.value.code == "SLUG_TAKEN"
    # The refusal left the transaction usable: retiring frees the slug for a new clinic.
    await service.delete_clinic(session, world.platform.actor, created.id)
    again = await service.create_clinic(session, world.platform.actor, new_clinic(created.slug))
    assert again.id != created.id


@pytest.mark.parametrize("who", ["admin", "receptionist", "vet", "owner"])
async def test_nobody_but_platform_admins_creates_or_retires_clinics(
    world: Staffed, who: str
) -> None:
    actor = getattr(world, who).actor
    with pytest.raises(PermissionDeniedException):
        await service.create_clinic(world.build.session, actor, new_clinic())
    with pytest.raises(PermissionDeniedException):
        await service.delete_clinic(world.build.session, actor, world.clinic.id)


#: Who may change the clinic's profile: allowed, refused (403) or kept in the dark (404).
UPDATE_MATRIX = {
    "admin": None,
    "platform": None,
    "receptionist": PermissionDeniedException,
    "vet": PermissionDeniedException,
    "other_admin": NotFoundException,
    "owner": NotFoundException,
}


@pytest.mark.parametrize(("who", "refusal"), UPDATE_MATRIX.items())
async def test_who_may_change_a_clinic(
    world: Staffed, who: str, refusal: type[Exception] | None
) -> None:
    actor = getattr(world, who).actor
    change = ClinicUpdate(description="Cats and dogs")
    if refusal is None:
        clinic = await service.update_clinic(world.build.session, actor, world.clinic.id, change)
        assert clinic.description == "Cats and dogs"
    else:
        with pytest.raises(refusal):
            await service.update_clinic(world.build.session, actor, world.clinic.id, change)


async def test_retiring_a_clinic_is_audited_and_hides_it(world: Staffed) -> None:
    session = world.build.session
    await service.delete_clinic(session, world.platform.actor, world.clinic.id)
    with pytest.raises(NotFoundException):
        await service.get_clinic(session, world.clinic.id)
    entries = (
        (await session.execute(select(AuditLog).where(AuditLog.entity_id == world.clinic.id)))
        .scalars()
        .all()
    )
    assert [e.action for e in entries] == [AuditAction.DELETE]
    assert entries[0].changes["deleted_at"]["before"] is None


async def test_the_week_is_replaced_whole(world: Staffed) -> None:
    session = world.build.session
    week = [hours(1, 8, 12), hours(1, 13, 17), hours(6, 9, 12)]
    saved = await service.replace_hours(session, world.admin.actor, world.clinic.id, week)
    assert [(h.weekday, h.opens_at) for h in saved] == [(1, time(8)), (1, time(13)), (6, time(9))]
    listed = await service.list_hours(session, world.clinic.id)
    assert [h.id for h in listed] == [h.id for h in saved]


async def test_overlapping_intervals_on_one_weekday_are_refused(world: Staffed) -> None:
    with pytest.raises(BusinessRuleException) as refused:
        await service.replace_hours(
            world.build.session,
            world.admin.actor,
            world.clinic.id,
            [hours(3, 8, 12), hours(3, 11, 15), hours(4, 11, 15)],
        )
    assert refused.value.code == "HOURS_OVERLAP"
    assert refused.value.details["weekday"] == 3
    # Touching intervals (12:00 closes, 12:00 opens) are fine.
    service.check_week([hours(3, 8, 12), hours(3, 12, 15)])


async def test_overnight_hours_are_stored_and_returned(world: Staffed) -> None:
    session = world.build.session
    night = ClinicOperatingHoursCreate.model_validate(
        {
            "weekday": 1,
            "opens_at": "18:00",
            "closes_at": "08:00",
            "breaks": [{"start": "02:00", "end": "02:30"}],
        }
    )
    week = [hours(2, 8, 18), night, hours(7, 0, 0)]
    saved = await service.replace_hours(session, world.admin.actor, world.clinic.id, week)
    assert [(h.weekday, h.opens_at, h.closes_at) for h in saved] == [
        (1, time(18), time(8)),
        (2, time(8), time(18)),
        (7, time(0), time(0)),
    ]
    listed = await service.list_hours(session, world.clinic.id)
    assert [(h.weekday, h.opens_at, h.closes_at, h.breaks) for h in listed] == [
        (1, time(18), time(8), [{"start": "02:00", "end": "02:30"}]),
        (2, time(8), time(18), []),
        (7, time(0), time(0), []),
    ]
    special = ClinicClosureCreate(
        starts_on=date(2031, 12, 31),
        ends_on=date(2031, 12, 31),
        is_closed_all_day=False,
        opens_at=time(20),
        closes_at=time(2),
    )
    added = await service.add_closure(session, world.admin.actor, world.clinic.id, special)
    assert (added.opens_at, added.closes_at) == (time(20), time(2))


@pytest.mark.parametrize(
    ("week", "message"),
    [
        pytest.param(
            [hours(1, 18, 8), hours(2, 7, 12)],
            "Monday 18:00-08:00 and Tuesday 07:00-12:00",
            id="monday-night-into-tuesday-morning",
        ),
        pytest.param(
            [hours(1, 6, 9), hours(7, 22, 7)],
            "Monday 06:00-09:00 and Sunday 22:00-07:00",
            id="sunday-night-into-monday",
        ),
        pytest.param(
            [hours(3, 18, 8), hours(3, 20, 22), hours(3, 7, 12)],
            "Wednesday 18:00-08:00 and Wednesday 20:00-22:00",
            id="same-day-inside-the-night",
        ),
    ],
)
async def test_hours_spilling_into_the_next_day_may_not_overlap_it(
    world: Staffed, week: list[ClinicOperatingHoursCreate], message: str
) -> None:
    with pytest.raises(BusinessRuleException) as refused:
        await service.replace_hours(world.build.session, world.admin.actor, world.clinic.id, week)
    assert refused.value.code == "HOURS_OVERLAP"
    assert refused.value.details["field"] == "hours"
    assert refused.value.message.startswith("hours: opening intervals overlap")
    assert message in refused.value.message
    # Closing at 08:00 and opening at 08:00 the next morning only touch.
    service.check_week([hours(1, 18, 8), hours(2, 8, 18), hours(7, 18, 0)])


async def test_closures_are_managed_by_schedule_managers(world: Staffed) -> None:
    session = world.build.session
    closure = ClinicClosureCreate(starts_on=date(2031, 12, 24), ends_on=date(2031, 12, 26))
    added = await service.add_closure(session, world.vet.actor, world.clinic.id, closure)
    listed = await service.list_closures(session, world.clinic.id)
    assert added.id in [c.id for c in listed]
    with pytest.raises(PermissionDeniedException):
        await service.add_closure(session, world.receptionist.actor, world.clinic.id, closure)
    with pytest.raises(NotFoundException):
        await service.remove_closure(session, world.other_admin.actor, world.clinic.id, added.id)
    await service.remove_closure(session, world.admin.actor, world.clinic.id, added.id)
    with pytest.raises(NotFoundException):
        await service.remove_closure(session, world.admin.actor, world.clinic.id, added.id)


async def test_settings_parts_are_validated_and_kept_apart(world: Staffed) -> None:
    session = world.build.session
    await service.update_settings(
        session, world.admin.actor, world.clinic.id, "reminders", {"vaccination_lead_days": [7]}
    )
    await service.update_settings(
        session, world.admin.actor, world.clinic.id, "scheduling", {"slot_interval_minutes": 10}
    )
    clinic = await service.get_clinic(session, world.clinic.id)
    assert clinic.settings == {
        "reminders": {"vaccination_lead_days": [7]},
        "scheduling": {"slot_interval_minutes": 10},
    }
    with pytest.raises(SchemaValidationException):
        await service.update_settings(
            session, world.admin.actor, world.clinic.id, "scheduling", {"slot_minutes": 10}
        )
    with pytest.raises(PermissionDeniedException):
        await service.update_settings(
            session, world.vet.actor, world.clinic.id, "scheduling", {"slot_interval_minutes": 5}
        )
