"""Health records: the pet's medical history, edited under optimistic concurrency, signed by a
veterinarian and then only amended.

A signed record is evidence: the database refuses any UPDATE of a locked row, and this service
says so first (``RECORD_LOCKED``) instead of surfacing a trigger error. Corrections are addenda,
new records pointing at the original. Every write is audited with before and after values in the
same transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from vet_core.exceptions import BusinessRuleException, ConflictException, NotFoundException
from vet_core.models import Appointment, HealthRecord
from vet_core.models.enums import AuditAction, HealthRecordType
from vet_core.schemas.base import Attachment
from vet_core.schemas.clinical import HealthRecordCreate, HealthRecordUpdate
from vet_services.audit import record_change, snapshot
from vet_services.auth.permissions import Action, Actor, Resource, authorize
from vet_services.clinical.access import (
    authorize_clinical_write,
    record_resource,
    require_veterinarian,
    resolve_clinic,
)
from vet_services.clinical.concurrency import check_version, version_token
from vet_services.pets.access import load_pet_resource

ENTITY = "health_record"


def record_not_found() -> NotFoundException:
    return NotFoundException("Health record not found", code="HEALTH_RECORD_NOT_FOUND")


def record_locked(record: HealthRecord) -> ConflictException:
    return ConflictException(
        "This health record is signed and cannot change; add an addendum instead",
        code="RECORD_LOCKED",
        details={"health_record_id": str(record.id)},
    )


def record_version(record: HealthRecord) -> str:
    """The version token of a record, for ``ETag`` and as ``expected_version`` of an update."""
    return version_token(record.id, record.updated_at)


def _attachments_json(attachments: Sequence[Attachment]) -> list[dict[str, Any]]:
    return [attachment.model_dump(mode="json") for attachment in attachments]


async def _load(
    session: AsyncSession, record_id: uuid.UUID, *, for_update: bool = False
) -> tuple[HealthRecord, Resource]:
    """A live record and the resource it is read as (its pet's relations)."""
    statement = select(HealthRecord).where(HealthRecord.id == record_id, HealthRecord.not_deleted())
    if for_update:
        statement = statement.with_for_update()
    record = await session.scalar(statement)
    if record is None:
        raise record_not_found()
    try:
        _, pet = await load_pet_resource(session, record.pet_id)
    except NotFoundException as error:
        raise record_not_found() from error
    return record, record_resource(ENTITY, record.id, pet)


async def _check_appointment(
    session: AsyncSession,
    appointment_id: uuid.UUID | None,
    pet_id: uuid.UUID,
    clinic_id: uuid.UUID | None,
) -> None:
    """A record may name a visit only if it is this pet's visit at this clinic."""
    if appointment_id is None:
        return
    found = await session.scalar(
        select(Appointment.id).where(
            Appointment.id == appointment_id,
            Appointment.pet_id == pet_id,
            Appointment.clinic_id == clinic_id,
            Appointment.not_deleted(),
        )
    )
    if found is None:
        raise BusinessRuleException(
            "The appointment is not a visit of this pet at this clinic",
            code="APPOINTMENT_MISMATCH",
            details={"field": "appointment_id"},
        )


async def list_health_records(
    session: AsyncSession,
    actor: Actor,
    pet_id: uuid.UUID,
    *,
    record_type: HealthRecordType | None = None,
) -> list[HealthRecord]:
    """A pet's history, newest first (addenda appear as records of their own)."""
    _, pet = await load_pet_resource(session, pet_id)
    authorize(actor, Action.CLINICAL_READ, pet)
    statement = select(HealthRecord).where(
        HealthRecord.pet_id == pet_id, HealthRecord.not_deleted()
    )
    if record_type is not None:
        statement = statement.where(HealthRecord.record_type == record_type)
    statement = statement.order_by(HealthRecord.occurred_at.desc(), HealthRecord.id.desc())
    return list((await session.execute(statement)).scalars().all())


async def get_health_record(
    session: AsyncSession, actor: Actor, record_id: uuid.UUID
) -> HealthRecord:
    """One record the caller may read; pair it with :func:`record_version` for the ETag."""
    record, readable = await _load(session, record_id)
    authorize(actor, Action.CLINICAL_READ, readable)
    return record


async def create_health_record(
    session: AsyncSession, actor: Actor, data: HealthRecordCreate
) -> HealthRecord:
    """Add an entry to a pet's history, for one of the caller's clinics.

    The author is the caller's veterinarian profile (none for a vet tech); ``data.veterinarian_id``
    is not trusted, so nobody writes in a veterinarian's name. An ``addendum`` must amend a live
    record of the same pet, locked or not.
    """
    _, pet = await load_pet_resource(session, data.pet_id)
    readable = record_resource(ENTITY, None, pet)
    authorize(actor, Action.CLINICAL_READ, readable)
    clinic_id = resolve_clinic(actor, data.clinic_id)
    authorize_clinical_write(actor, readable, clinic_id)
    if data.amends_id is not None:
        amended = await session.scalar(
            select(HealthRecord.id).where(
                HealthRecord.id == data.amends_id,
                HealthRecord.pet_id == data.pet_id,
                HealthRecord.not_deleted(),
            )
        )
        if amended is None:
            raise record_not_found()
    await _check_appointment(session, data.appointment_id, data.pet_id, clinic_id)
    record = HealthRecord(
        pet_id=data.pet_id,
        record_type=data.record_type,
        title=data.title,
        notes=data.notes,
        occurred_at=data.occurred_at or datetime.now(UTC),
        follow_up_on=data.follow_up_on,
        veterinarian_id=actor.veterinarian_id,
        clinic_id=clinic_id,
        appointment_id=data.appointment_id,
        attachments=_attachments_json(data.attachments),
        amends_id=data.amends_id,
        created_by=actor.user_id,
        updated_by=actor.user_id,
    )
    session.add(record)
    await session.flush()
    await record_change(
        session, actor, AuditAction.CREATE, ENTITY, record.id, after=snapshot(record)
    )
    return record


async def add_addendum(
    session: AsyncSession,
    actor: Actor,
    record_id: uuid.UUID,
    *,
    title: str,
    notes: str | None = None,
    attachments: Sequence[Attachment] = (),
    clinic_id: uuid.UUID | None = None,
) -> HealthRecord:
    """Amend a (usually signed) record with a new ``addendum`` record pointing at it.

    The addendum belongs to the original's clinic unless the caller names another of theirs.
    """
    original, readable = await _load(session, record_id)
    authorize(actor, Action.CLINICAL_READ, readable)
    return await create_health_record(
        session,
        actor,
        HealthRecordCreate(
            pet_id=original.pet_id,
            record_type=HealthRecordType.ADDENDUM,
            title=title,
            notes=notes,
            clinic_id=clinic_id or original.clinic_id,
            attachments=list(attachments),
            amends_id=original.id,
        ),
    )


async def update_health_record(
    session: AsyncSession,
    actor: Actor,
    record_id: uuid.UUID,
    data: HealthRecordUpdate,
    *,
    expected_version: str,
) -> HealthRecord:
    """Edit an unsigned record, if nobody changed it since the caller read ``expected_version``.

    The row is locked while checking, so two writers holding the same version cannot both win:
    the second sees the first one's version and gets ``VERSION_MISMATCH`` (HTTP 412).
    """
    record, readable = await _load(session, record_id, for_update=True)
    authorize_clinical_write(actor, readable, record.clinic_id)
    if record.is_locked:
        raise record_locked(record)
    check_version(record.id, record.updated_at, expected_version)
    changes = data.changes()
    if "clinic_id" in changes and changes["clinic_id"] != record.clinic_id:
        authorize_clinical_write(actor, readable, changes["clinic_id"])
    if "attachments" in changes:
        changes["attachments"] = _attachments_json(data.attachments or [])
    clinic_after = changes.get("clinic_id", record.clinic_id)
    appointment_after = changes.get("appointment_id", record.appointment_id)
    if "appointment_id" in changes or "clinic_id" in changes:
        await _check_appointment(session, appointment_after, record.pet_id, clinic_after)
    before = snapshot(record)
    for name, value in changes.items():
        setattr(record, name, value)
    record.updated_by = actor.user_id
    await session.flush()
    await record_change(
        session, actor, AuditAction.UPDATE, ENTITY, record.id, before=before, after=snapshot(record)
    )
    return record


async def sign_health_record(
    session: AsyncSession,
    actor: Actor,
    record_id: uuid.UUID,
    *,
    expected_version: str | None = None,
) -> HealthRecord:
    """Sign (lock) a record: a veterinarian of its clinic vouches for it; no edits after this.

    ``expected_version`` makes sure the veterinarian signs the text they read.
    """
    record, readable = await _load(session, record_id, for_update=True)
    authorize(actor, Action.CLINICAL_READ, readable)
    require_veterinarian(actor, record.clinic_id)
    if record.is_locked:
        raise record_locked(record)
    if expected_version is not None:
        check_version(record.id, record.updated_at, expected_version)
    before = snapshot(record)
    record.locked_at = datetime.now(UTC)
    record.locked_by = actor.user_id
    record.updated_by = actor.user_id
    await session.flush()
    await record_change(
        session, actor, AuditAction.UPDATE, ENTITY, record.id, before=before, after=snapshot(record)
    )
    return record


__all__ = [
    "ENTITY",
    "add_addendum",
    "create_health_record",
    "get_health_record",
    "list_health_records",
    "record_locked",
    "record_not_found",
    "record_version",
    "sign_health_record",
    "update_health_record",
]
