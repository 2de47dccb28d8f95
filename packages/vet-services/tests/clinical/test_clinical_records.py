"""Health records: who reads and writes them, optimistic concurrency, signing and addenda,
and an audit entry for every write."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import select, update
from sqlalchemy.exc import DBAPIError

from vet_core.exceptions import (
    BusinessRuleException,
    ConflictException,
    NotFoundException,
    PermissionDeniedException,
)
from vet_core.models import AuditLog, HealthRecord
from vet_core.models.enums import AuditAction, HealthRecordType, StaffRole
from vet_core.schemas.clinical import HealthRecordCreate, HealthRecordUpdate
from vet_services.clinical.concurrency import PreconditionFailed
from vet_services.clinical.records import (
    add_addendum,
    create_health_record,
    get_health_record,
    list_health_records,
    record_version,
    sign_health_record,
    update_health_record,
)
from vet_services.pets.service import get_pet


def exam(practice, **fields) -> HealthRecordCreate:
    return HealthRecordCreate(
        **{
            "pet_id": practice.pet.id,
            "record_type": HealthRecordType.EXAMINATION,
            "title": "Annual check-up",
            "notes": "Bright, alert, heart and lungs normal.",
            **fields,
        }
    )


async def audit_of(db_session, record_id) -> list[AuditLog]:
    rows = await db_session.execute(
        select(AuditLog)
        .where(AuditLog.entity_type == "health_record", AuditLog.entity_id == record_id)
        .order_by(AuditLog.occurred_at, AuditLog.id)
    )
    return list(rows.scalars().all())


async def test_a_veterinarian_writes_a_record_for_a_patient_and_it_is_audited(db_session, practice):
    record = await create_health_record(
        db_session,
        practice.vet.actor,
        exam(practice, appointment_id=practice.appointment.id),
    )

    assert record.clinic_id == practice.clinic.id  # the vet's only clinic
    assert record.veterinarian_id == practice.vet.actor.veterinarian_id
    [entry] = await audit_of(db_session, record.id)
    assert (entry.action, entry.actor_id) == (AuditAction.CREATE, practice.vet.user.id)
    assert entry.changes["title"] == {"before": None, "after": "Annual check-up"}


async def test_the_author_is_the_caller_whatever_the_request_says(db_session, practice):
    record = await create_health_record(
        db_session,
        practice.tech.actor,
        exam(practice, veterinarian_id=practice.other_vet.actor.veterinarian_id),
    )

    assert record.veterinarian_id is None  # a vet tech has no veterinarian profile


async def test_owners_co_owners_and_the_clinical_team_read_the_history(db_session, practice):
    record = await create_health_record(db_session, practice.vet.actor, exam(practice))

    for reader in (practice.owner, practice.co_owner, practice.tech, practice.clinic_admin):
        history = await list_health_records(db_session, reader.actor, practice.pet.id)
        assert [r.id for r in history] == [record.id]
        assert (await get_health_record(db_session, reader.actor, record.id)).id == record.id


async def test_strangers_and_other_clinics_get_not_found(db_session, practice):
    record = await create_health_record(db_session, practice.vet.actor, exam(practice))

    for outsider in (practice.stranger, practice.other_vet):
        with pytest.raises(NotFoundException) as listed:
            await list_health_records(db_session, outsider.actor, practice.pet.id)
        assert listed.value.code == "PET_NOT_FOUND"
        with pytest.raises(NotFoundException) as read:
            await get_health_record(db_session, outsider.actor, record.id)
        assert read.value.code == "HEALTH_RECORD_NOT_FOUND"
        with pytest.raises(NotFoundException):
            await create_health_record(db_session, outsider.actor, exam(practice))


async def test_a_receptionist_sees_the_pet_but_not_its_medical_record(db_session, practice):
    record = await create_health_record(db_session, practice.vet.actor, exam(practice))

    assert (await get_pet(db_session, practice.receptionist.actor, practice.pet.id)).id
    with pytest.raises(PermissionDeniedException):
        await create_health_record(db_session, practice.receptionist.actor, exam(practice))
    with pytest.raises(PermissionDeniedException):
        await list_health_records(db_session, practice.receptionist.actor, practice.pet.id)
    with pytest.raises(PermissionDeniedException):
        await update_health_record(
            db_session,
            practice.receptionist.actor,
            record.id,
            HealthRecordUpdate(title="Changed"),
            expected_version=record_version(record),
        )


async def test_owners_and_clinic_admins_may_not_write_clinical_records(db_session, practice):
    for reader in (practice.owner, practice.clinic_admin):
        with pytest.raises(PermissionDeniedException):
            await create_health_record(
                db_session, reader.actor, exam(practice, clinic_id=practice.clinic.id)
            )


async def test_a_record_must_belong_to_one_of_the_callers_clinics(db_session, practice, world):
    # A veterinarian of the treating clinic who also works elsewhere must name the clinic ...
    in_two_clinics = replace(
        practice.vet.actor,
        memberships={
            practice.clinic.id: StaffRole.VETERINARIAN,
            practice.other_clinic.id: StaffRole.VETERINARIAN,
        },
    )
    with pytest.raises(BusinessRuleException) as caught:
        await create_health_record(db_session, in_two_clinics, exam(practice))
    assert caught.value.code == "CLINIC_REQUIRED"
    # ... and cannot file a record under a clinic they do not work for.
    stranger_clinic = await world.clinic()
    with pytest.raises(PermissionDeniedException):
        await create_health_record(
            db_session, practice.vet.actor, exam(practice, clinic_id=stranger_clinic.id)
        )


async def test_a_record_may_only_name_this_pets_visit(db_session, practice, world):
    other_pet = await world.pet(practice.owner, name="Other")
    other_visit = await world.visit(other_pet, practice.clinic, practice.vet)

    with pytest.raises(BusinessRuleException) as caught:
        await create_health_record(
            db_session, practice.vet.actor, exam(practice, appointment_id=other_visit.id)
        )
    assert caught.value.code == "APPOINTMENT_MISMATCH"


async def test_an_update_with_the_current_version_succeeds_and_changes_the_version(
    db_session, practice
):
    record = await create_health_record(db_session, practice.vet.actor, exam(practice))
    version = record_version(record)

    updated = await update_health_record(
        db_session,
        practice.tech.actor,
        record.id,
        HealthRecordUpdate(notes="Mild tartar on upper molars."),
        expected_version=f'W/"{version}"',
    )

    assert updated.notes == "Mild tartar on upper molars."
    assert record_version(updated) != version
    _create, change = await audit_of(db_session, record.id)
    assert change.action is AuditAction.UPDATE
    assert change.changes["notes"] == {
        "before": "Bright, alert, heart and lungs normal.",
        "after": "Mild tartar on upper molars.",
    }


async def test_a_stale_version_is_refused_with_412(db_session, practice):
    record = await create_health_record(db_session, practice.vet.actor, exam(practice))
    read_by_both = record_version(record)
    await update_health_record(
        db_session,
        practice.vet.actor,
        record.id,
        HealthRecordUpdate(title="First writer"),
        expected_version=read_by_both,
    )

    with pytest.raises(PreconditionFailed) as caught:
        await update_health_record(
            db_session,
            practice.tech.actor,
            record.id,
            HealthRecordUpdate(title="Second writer"),
            expected_version=read_by_both,
        )

    assert isinstance(caught.value, ConflictException)
    assert (caught.value.code, caught.value.http_status) == ("VERSION_MISMATCH", 412)
    assert record.title == "First writer"


async def test_only_a_veterinarian_of_the_clinic_signs_a_record(db_session, practice):
    record = await create_health_record(db_session, practice.tech.actor, exam(practice))

    for not_a_vet in (practice.tech, practice.clinic_admin):
        with pytest.raises(PermissionDeniedException) as caught:
            await sign_health_record(db_session, not_a_vet.actor, record.id)
        assert caught.value.code == "VETERINARIAN_REQUIRED"
    with pytest.raises(PermissionDeniedException):
        await sign_health_record(db_session, practice.owner.actor, record.id)


async def test_a_signed_record_is_locked_and_only_an_addendum_adds_to_it(db_session, practice):
    record = await create_health_record(db_session, practice.vet.actor, exam(practice))

    signed = await sign_health_record(
        db_session, practice.vet.actor, record.id, expected_version=record_version(record)
    )
    assert signed.locked_at is not None
    assert signed.locked_by == practice.vet.user.id

    with pytest.raises(ConflictException) as edit:
        await update_health_record(
            db_session,
            practice.vet.actor,
            record.id,
            HealthRecordUpdate(notes="Rewritten"),
            expected_version=record_version(signed),
        )
    assert edit.value.code == "RECORD_LOCKED"
    with pytest.raises(ConflictException) as again:
        await sign_health_record(db_session, practice.vet.actor, record.id)
    assert again.value.code == "RECORD_LOCKED"

    addendum = await add_addendum(
        db_session, practice.tech.actor, record.id, title="Correction", notes="Left, not right ear."
    )
    assert (addendum.record_type, addendum.amends_id) == (HealthRecordType.ADDENDUM, record.id)
    assert addendum.clinic_id == record.clinic_id
    history = await list_health_records(db_session, practice.owner.actor, practice.pet.id)
    assert {r.id for r in history} == {record.id, addendum.id}
    actions = [entry.action for entry in await audit_of(db_session, record.id)]
    assert actions == [AuditAction.CREATE, AuditAction.UPDATE]  # created, signed
    assert [e.action for e in await audit_of(db_session, addendum.id)] == [AuditAction.CREATE]


async def test_the_database_itself_refuses_to_change_a_signed_record(db_session, practice):
    record = await create_health_record(db_session, practice.vet.actor, exam(practice))
    await sign_health_record(db_session, practice.vet.actor, record.id)

    with pytest.raises(DBAPIError):
        async with db_session.begin_nested():
            await db_session.execute(
                update(HealthRecord).where(HealthRecord.id == record.id).values(title="Forged")
            )


async def test_an_addendum_must_amend_a_record_of_the_same_pet(db_session, practice, world):
    other_pet = await world.pet(practice.owner, name="Other")
    await world.visit(other_pet, practice.clinic, practice.vet)
    foreign = await create_health_record(
        db_session, practice.vet.actor, exam(practice, pet_id=other_pet.id)
    )

    with pytest.raises(NotFoundException) as caught:
        await create_health_record(
            db_session,
            practice.vet.actor,
            exam(practice, record_type=HealthRecordType.ADDENDUM, amends_id=foreign.id),
        )
    assert caught.value.code == "HEALTH_RECORD_NOT_FOUND"
