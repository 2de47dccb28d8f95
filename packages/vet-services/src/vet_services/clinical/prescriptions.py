"""Prescriptions: written by veterinarians, refilled within their limits, discontinued for good.

A prescription is *active* while it is not discontinued and not past ``valid_until``; the shop
asks :func:`active_prescription_exists` before selling a prescription-only product. Refills are
counted under a row lock, so two counters cannot both hand out the last refill. Every write is
audited.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

from sqlalchemy import ColumnElement, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from vet_core.exceptions import BusinessRuleException, ConflictException, NotFoundException
from vet_core.models import Appointment, Prescription
from vet_core.models.enums import AuditAction
from vet_core.schemas.clinical import PrescriptionCreate
from vet_services.audit import record_change, snapshot
from vet_services.auth.permissions import Action, Actor, Resource, authorize
from vet_services.clinical.access import (
    authorize_clinical_write,
    record_resource,
    require_veterinarian,
    resolve_clinic,
)
from vet_services.pets.access import load_pet_resource

ENTITY = "prescription"


def _today() -> date:
    return datetime.now(UTC).date()


def active_on(day: date) -> ColumnElement[bool]:
    """SQL: the prescription is live, not discontinued and still valid on ``day``."""
    return (
        Prescription.not_deleted()
        & Prescription.discontinued_at.is_(None)
        & or_(Prescription.valid_until.is_(None), Prescription.valid_until >= day)
    )


def _not_found() -> NotFoundException:
    return NotFoundException("Prescription not found", code="PRESCRIPTION_NOT_FOUND")


async def _load(session: AsyncSession, prescription_id: uuid.UUID) -> tuple[Prescription, Resource]:
    """A live prescription, locked for the rest of the transaction, and its read resource."""
    prescription = await session.scalar(
        select(Prescription)
        .where(Prescription.id == prescription_id, Prescription.not_deleted())
        .with_for_update()
    )
    if prescription is None:
        raise _not_found()
    try:
        _, pet = await load_pet_resource(session, prescription.pet_id)
    except NotFoundException as error:
        raise _not_found() from error
    return prescription, record_resource(ENTITY, prescription.id, pet)


async def list_prescriptions(
    session: AsyncSession,
    actor: Actor,
    pet_id: uuid.UUID,
    *,
    active_only: bool = False,
    today: date | None = None,
) -> list[Prescription]:
    """The pet's prescriptions, newest first; ``active_only`` hides ended ones."""
    _, pet = await load_pet_resource(session, pet_id)
    authorize(actor, Action.CLINICAL_READ, pet)
    statement = select(Prescription).where(
        Prescription.pet_id == pet_id, Prescription.not_deleted()
    )
    if active_only:
        statement = statement.where(active_on(today or _today()))
    statement = statement.order_by(Prescription.prescribed_at.desc(), Prescription.id.desc())
    return list((await session.execute(statement)).scalars().all())


async def create_prescription(
    session: AsyncSession,
    actor: Actor,
    data: PrescriptionCreate,
    *,
    clinic_id: uuid.UUID | None = None,
    today: date | None = None,
) -> Prescription:
    """Prescribe as a veterinarian of the clinic (the appointment's, the one given, or the
    caller's only clinic); the prescriber is always the caller."""
    _, pet = await load_pet_resource(session, data.pet_id)
    readable = record_resource(ENTITY, None, pet)
    authorize(actor, Action.CLINICAL_READ, readable)
    if data.appointment_id is not None:
        visit_clinic = await session.scalar(
            select(Appointment.clinic_id).where(
                Appointment.id == data.appointment_id,
                Appointment.pet_id == data.pet_id,
                Appointment.not_deleted(),
            )
        )
        if visit_clinic is None or (clinic_id is not None and clinic_id != visit_clinic):
            raise BusinessRuleException(
                "The appointment is not a visit of this pet at this clinic",
                code="APPOINTMENT_MISMATCH",
                details={"field": "appointment_id"},
            )
        clinic_id = visit_clinic
    clinic_id = resolve_clinic(actor, clinic_id, Action.PRESCRIPTION_WRITE)
    authorize_clinical_write(actor, readable, clinic_id, Action.PRESCRIPTION_WRITE)
    prescriber = require_veterinarian(actor, clinic_id)
    if data.valid_until is not None and data.valid_until < (today or _today()):
        raise BusinessRuleException(
            "valid_until must not be in the past", details={"field": "valid_until"}
        )
    prescription = Prescription(
        **data.model_dump(),
        prescribed_by_id=prescriber,
        prescribed_at=datetime.now(UTC),
        created_by=actor.user_id,
        updated_by=actor.user_id,
    )
    session.add(prescription)
    await session.flush()
    await record_change(
        session, actor, AuditAction.CREATE, ENTITY, prescription.id, after=snapshot(prescription)
    )
    return prescription


async def record_refill(
    session: AsyncSession,
    actor: Actor,
    prescription_id: uuid.UUID,
    *,
    today: date | None = None,
) -> Prescription:
    """Count one refill dispensed by clinical staff of a clinic treating the pet.

    Refused (409) once discontinued (``PRESCRIPTION_DISCONTINUED``), past ``valid_until``
    (``PRESCRIPTION_EXPIRED``) or with every allowed refill used (``REFILLS_EXHAUSTED``).
    """
    prescription, readable = await _load(session, prescription_id)
    authorize(actor, Action.CLINICAL_WRITE, readable)
    day = today or _today()
    if prescription.discontinued_at is not None:
        raise ConflictException(
            "This prescription was discontinued", code="PRESCRIPTION_DISCONTINUED"
        )
    if prescription.valid_until is not None and prescription.valid_until < day:
        raise ConflictException(
            "This prescription has expired",
            code="PRESCRIPTION_EXPIRED",
            details={"valid_until": prescription.valid_until.isoformat()},
        )
    if prescription.refills_used >= prescription.refills_allowed:
        raise ConflictException(
            "Every allowed refill of this prescription has been used",
            code="REFILLS_EXHAUSTED",
            details={"refills_allowed": prescription.refills_allowed},
        )
    before = snapshot(prescription)
    prescription.refills_used += 1
    prescription.updated_by = actor.user_id
    await session.flush()
    await record_change(
        session,
        actor,
        AuditAction.UPDATE,
        ENTITY,
        prescription.id,
        before=before,
        after=snapshot(prescription),
    )
    return prescription


async def discontinue_prescription(
    session: AsyncSession, actor: Actor, prescription_id: uuid.UUID
) -> Prescription:
    """Stop a prescription for good (a veterinarian of a clinic treating the pet)."""
    prescription, readable = await _load(session, prescription_id)
    authorize(actor, Action.PRESCRIPTION_WRITE, readable)
    if prescription.discontinued_at is not None:
        raise ConflictException(
            "This prescription was already discontinued", code="PRESCRIPTION_DISCONTINUED"
        )
    before = snapshot(prescription)
    prescription.discontinued_at = max(datetime.now(UTC), prescription.prescribed_at)
    prescription.updated_by = actor.user_id
    await session.flush()
    await record_change(
        session,
        actor,
        AuditAction.UPDATE,
        ENTITY,
        prescription.id,
        before=before,
        after=snapshot(prescription),
    )
    return prescription


async def active_prescription_exists(
    session: AsyncSession,
    pet_id: uuid.UUID,
    medication_name: str | None = None,
    *,
    today: date | None = None,
) -> bool:
    """Whether the pet has an active prescription (for ``medication_name``, case-insensitive).

    For the shop, which has already authorised its caller for the pet: no actor here.
    """
    criteria = [Prescription.pet_id == pet_id, active_on(today or _today())]
    if medication_name is not None:
        criteria.append(
            func.lower(func.btrim(Prescription.medication_name)) == medication_name.strip().lower()
        )
    return bool(await session.scalar(select(exists().where(*criteria))))


__all__ = [
    "ENTITY",
    "active_on",
    "active_prescription_exists",
    "create_prescription",
    "discontinue_prescription",
    "list_prescriptions",
    "record_refill",
]
