"""Prescriptions: only veterinarians prescribe, refills stay within their limits, a
discontinued or expired prescription is over, and the shop can ask whether one is active."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from vet_core.exceptions import ConflictException, NotFoundException, PermissionDeniedException
from vet_core.models import AuditLog
from vet_core.models.enums import AuditAction
from vet_core.schemas.clinical import PrescriptionCreate
from vet_services.clinical.prescriptions import (
    active_prescription_exists,
    create_prescription,
    discontinue_prescription,
    list_prescriptions,
    record_refill,
)

TODAY = datetime.now(UTC).date()


def carprofen(practice, **fields) -> PrescriptionCreate:
    return PrescriptionCreate(
        **{
            "pet_id": practice.pet.id,
            "medication_name": "Carprofen 75 mg",
            "dosage": "1 tablet",
            "frequency": "twice daily",
            "refills_allowed": 2,
            **fields,
        }
    )


async def audit_actions(db_session, prescription_id) -> list[AuditAction]:
    rows = await db_session.execute(
        select(AuditLog.action)
        .where(AuditLog.entity_type == "prescription", AuditLog.entity_id == prescription_id)
        .order_by(AuditLog.occurred_at, AuditLog.id)
    )
    return list(rows.scalars().all())


async def test_a_veterinarian_prescribes_for_a_patient(db_session, practice):
    prescription = await create_prescription(
        db_session,
        practice.vet.actor,
        carprofen(practice, appointment_id=practice.appointment.id),
    )

    assert prescription.prescribed_by_id == practice.vet.actor.veterinarian_id
    assert (prescription.refills_allowed, prescription.refills_used) == (2, 0)
    assert await audit_actions(db_session, prescription.id) == [AuditAction.CREATE]
    listed = await list_prescriptions(db_session, practice.co_owner.actor, practice.pet.id)
    assert [p.id for p in listed] == [prescription.id]


async def test_nobody_but_a_veterinarian_of_a_treating_clinic_prescribes(db_session, practice):
    for refused in (practice.tech, practice.receptionist, practice.clinic_admin, practice.owner):
        with pytest.raises(PermissionDeniedException):
            await create_prescription(
                db_session, refused.actor, carprofen(practice), clinic_id=practice.clinic.id
            )
    for outsider in (practice.other_vet, practice.stranger):
        with pytest.raises(NotFoundException):
            await create_prescription(db_session, outsider.actor, carprofen(practice))


async def test_refills_stop_at_the_allowed_number(db_session, practice):
    prescription = await create_prescription(db_session, practice.vet.actor, carprofen(practice))

    await record_refill(db_session, practice.tech.actor, prescription.id)
    await record_refill(db_session, practice.vet.actor, prescription.id)
    with pytest.raises(ConflictException) as caught:
        await record_refill(db_session, practice.vet.actor, prescription.id)

    assert caught.value.code == "REFILLS_EXHAUSTED"
    assert prescription.refills_used == 2
    assert await audit_actions(db_session, prescription.id) == [
        AuditAction.CREATE,
        AuditAction.UPDATE,
        AuditAction.UPDATE,
    ]


async def test_owners_and_receptionists_cannot_record_refills(db_session, practice):
    prescription = await create_prescription(db_session, practice.vet.actor, carprofen(practice))

    for refused in (practice.owner, practice.receptionist):
        with pytest.raises(PermissionDeniedException):
            await record_refill(db_session, refused.actor, prescription.id)
    with pytest.raises(NotFoundException) as hidden:
        await record_refill(db_session, practice.other_vet.actor, prescription.id)
    assert hidden.value.code == "PRESCRIPTION_NOT_FOUND"


async def test_no_refill_after_valid_until(db_session, practice):
    prescription = await create_prescription(
        db_session, practice.vet.actor, carprofen(practice, valid_until=TODAY + timedelta(days=30))
    )

    await record_refill(db_session, practice.vet.actor, prescription.id, today=TODAY)
    with pytest.raises(ConflictException) as caught:
        await record_refill(
            db_session, practice.vet.actor, prescription.id, today=TODAY + timedelta(days=31)
        )
    assert caught.value.code == "PRESCRIPTION_EXPIRED"


async def test_a_discontinued_prescription_is_over(db_session, practice):
    prescription = await create_prescription(db_session, practice.vet.actor, carprofen(practice))
    assert await active_prescription_exists(db_session, practice.pet.id, " carprofen 75 MG")

    stopped = await discontinue_prescription(db_session, practice.vet.actor, prescription.id)

    assert stopped.discontinued_at is not None
    with pytest.raises(ConflictException) as refill:
        await record_refill(db_session, practice.vet.actor, prescription.id)
    assert refill.value.code == "PRESCRIPTION_DISCONTINUED"
    with pytest.raises(ConflictException):
        await discontinue_prescription(db_session, practice.vet.actor, prescription.id)
    assert not await active_prescription_exists(db_session, practice.pet.id, "Carprofen 75 mg")
    assert (
        await list_prescriptions(
            db_session, practice.owner.actor, practice.pet.id, active_only=True
        )
        == []
    )
    assert await audit_actions(db_session, prescription.id) == [
        AuditAction.CREATE,
        AuditAction.UPDATE,
    ]


async def test_only_a_veterinarian_discontinues(db_session, practice):
    prescription = await create_prescription(db_session, practice.vet.actor, carprofen(practice))

    for refused in (practice.tech, practice.owner):
        with pytest.raises(PermissionDeniedException):
            await discontinue_prescription(db_session, refused.actor, prescription.id)


async def test_the_shop_sees_only_active_prescriptions_of_this_pet(db_session, practice, world):
    other_pet = await world.pet(practice.owner, name="Other")
    await create_prescription(
        db_session,
        practice.vet.actor,
        carprofen(practice, medication_name="Apoquel", valid_until=TODAY),
    )

    assert await active_prescription_exists(db_session, practice.pet.id, "apoquel", today=TODAY)
    assert await active_prescription_exists(db_session, practice.pet.id)
    assert not await active_prescription_exists(
        db_session, practice.pet.id, "apoquel", today=TODAY + timedelta(days=1)
    )
    assert not await active_prescription_exists(db_session, practice.pet.id, "Carprofen")
    assert not await active_prescription_exists(db_session, other_pet.id, "apoquel")
