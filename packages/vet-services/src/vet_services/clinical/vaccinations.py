"""Vaccinations: what a pet was given, when the next dose is due, and the reminders that follow.

Recording a vaccine enqueues ``reminders.vaccination_given`` in the same transaction: the jobs
app completes the pet's open reminders for that vaccine and schedules the next one from
``next_due_on``. The outbox makes that exactly-once with the write (no reminder for a vaccine
that was rolled back, no nagging for one that was given).
"""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.ext.asyncio import AsyncSession

from vet_core.exceptions import BusinessRuleException
from vet_core.models import ClinicMembership, HealthRecord, Vaccination, Veterinarian
from vet_core.models.enums import AuditAction, MembershipStatus, StaffRole
from vet_core.schemas.clinical import VaccinationCreate
from vet_services.audit import record_change, snapshot
from vet_services.auth.permissions import Action, Actor, authorize
from vet_services.clinical.access import authorize_clinical_write, record_resource, resolve_clinic
from vet_services.outbox import enqueue
from vet_services.pets.access import load_pet_resource

ENTITY = "vaccination"
#: Outbox topic: a vaccine was given; matching open reminders are completed by the jobs app.
VACCINATION_GIVEN_TOPIC = "reminders.vaccination_given"


async def list_vaccinations(
    session: AsyncSession, actor: Actor, pet_id: uuid.UUID
) -> list[Vaccination]:
    """Every vaccine the pet was given, most recent first."""
    _, pet = await load_pet_resource(session, pet_id)
    authorize(actor, Action.CLINICAL_READ, pet)
    rows = await session.execute(
        select(Vaccination)
        .where(Vaccination.pet_id == pet_id, Vaccination.not_deleted())
        .order_by(Vaccination.administered_at.desc(), Vaccination.id.desc())
    )
    return list(rows.scalars().all())


async def due_vaccinations(
    session: AsyncSession, actor: Actor, pet_id: uuid.UUID, *, until: date | None = None
) -> list[Vaccination]:
    """For each vaccine (by name, case-insensitive), its latest dose if a next one is due.

    Only the latest dose counts: a booster given early supersedes the older due date. Soonest
    due first; ``until`` keeps only doses due on or before that day.
    """
    _, pet = await load_pet_resource(session, pet_id)
    authorize(actor, Action.CLINICAL_READ, pet)
    vaccine = func.lower(func.btrim(Vaccination.vaccine_name))
    latest = (
        select(Vaccination)
        .where(Vaccination.pet_id == pet_id, Vaccination.not_deleted())
        .ext(distinct_on(vaccine))
        .order_by(vaccine, Vaccination.administered_at.desc(), Vaccination.id.desc())
        .subquery()
    )
    latest_dose = select(Vaccination).join(latest, Vaccination.id == latest.c.id)
    latest_dose = latest_dose.where(Vaccination.next_due_on.is_not(None))
    if until is not None:
        latest_dose = latest_dose.where(Vaccination.next_due_on <= until)
    latest_dose = latest_dose.order_by(Vaccination.next_due_on, Vaccination.vaccine_name)
    return list((await session.execute(latest_dose)).scalars().all())


async def _administering_veterinarian(
    session: AsyncSession, actor: Actor, named: uuid.UUID | None, clinic_id: uuid.UUID | None
) -> uuid.UUID | None:
    """Who gave the vaccine: the caller if they are a veterinarian, else the one named.

    A vet tech may record a dose a veterinarian gave, but only a veterinarian working at the
    same clinic; a stranger's name on a vaccination certificate would be a forgery.
    """
    if named is None or named == actor.veterinarian_id:
        return named or actor.veterinarian_id
    works_there = await session.scalar(
        select(Veterinarian.id)
        .join(ClinicMembership, ClinicMembership.user_id == Veterinarian.user_id)
        .where(
            Veterinarian.id == named,
            Veterinarian.not_deleted(),
            ClinicMembership.clinic_id == clinic_id,
            ClinicMembership.role == StaffRole.VETERINARIAN,
            ClinicMembership.status == MembershipStatus.ACTIVE,
            ClinicMembership.ended_at.is_(None),
        )
    )
    if works_there is None:
        raise BusinessRuleException(
            "The veterinarian does not work at this clinic",
            code="VETERINARIAN_NOT_AT_CLINIC",
            details={"field": "administered_by_id"},
        )
    return named


async def record_vaccination(
    session: AsyncSession, actor: Actor, data: VaccinationCreate
) -> Vaccination:
    """Record a vaccine given at one of the caller's clinics (veterinarians and vet techs).

    The administering veterinarian defaults to the caller (see
    :func:`_administering_veterinarian`); a linked health record must be one of this pet's.
    """
    _, pet = await load_pet_resource(session, data.pet_id)
    readable = record_resource(ENTITY, None, pet)
    authorize(actor, Action.CLINICAL_READ, readable)
    clinic_id = resolve_clinic(actor, data.clinic_id)
    authorize_clinical_write(actor, readable, clinic_id)
    if data.health_record_id is not None:
        linked = await session.scalar(
            select(HealthRecord.id).where(
                HealthRecord.id == data.health_record_id,
                HealthRecord.pet_id == data.pet_id,
                HealthRecord.not_deleted(),
            )
        )
        if linked is None:
            raise BusinessRuleException(
                "The health record is not one of this pet's",
                code="HEALTH_RECORD_MISMATCH",
                details={"field": "health_record_id"},
            )
    administered_by_id = await _administering_veterinarian(
        session, actor, data.administered_by_id, clinic_id
    )
    vaccination = Vaccination(
        pet_id=data.pet_id,
        health_record_id=data.health_record_id,
        vaccine_name=data.vaccine_name,
        manufacturer=data.manufacturer,
        lot_number=data.lot_number,
        administered_at=data.administered_at,
        administered_by_id=administered_by_id,
        clinic_id=clinic_id,
        next_due_on=data.next_due_on,
        notes=data.notes,
        created_by=actor.user_id,
        updated_by=actor.user_id,
    )
    session.add(vaccination)
    await session.flush()
    await record_change(
        session, actor, AuditAction.CREATE, ENTITY, vaccination.id, after=snapshot(vaccination)
    )
    await enqueue(
        session,
        VACCINATION_GIVEN_TOPIC,
        {
            "pet_id": str(vaccination.pet_id),
            "vaccination_id": str(vaccination.id),
            "vaccine_name": vaccination.vaccine_name,
            "administered_at": vaccination.administered_at.isoformat(),
            "next_due_on": vaccination.next_due_on.isoformat() if vaccination.next_due_on else None,
        },
        dedup_key=f"{VACCINATION_GIVEN_TOPIC}:{vaccination.id}",
    )
    return vaccination


__all__ = [
    "ENTITY",
    "VACCINATION_GIVEN_TOPIC",
    "due_vaccinations",
    "list_vaccinations",
    "record_vaccination",
]
