"""What access control needs to know about scheduling records, loaded in as few queries as possible.

Owners of a pet are its *current* ownerships (``ended_at IS NULL``), so a transferred pet's former
owner loses sight of its future appointments. Whoever booked an appointment stays related to it.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from vet_core.exceptions import NotFoundException
from vet_core.models import Pet, PetOwnership
from vet_services.auth.permissions import Resource


async def pet_owner_ids(session: AsyncSession, pet_id: uuid.UUID) -> frozenset[uuid.UUID]:
    """The current owners of a live pet; :class:`NotFoundException` when there is no such pet."""
    rows = (
        await session.execute(
            select(Pet.id, PetOwnership.user_id)
            .outerjoin(
                PetOwnership,
                (PetOwnership.pet_id == Pet.id) & PetOwnership.ended_at.is_(None),
            )
            .where(Pet.id == pet_id, Pet.not_deleted())
        )
    ).all()
    if not rows:
        raise NotFoundException("Pet not found", code="PET_NOT_FOUND")
    return frozenset(user_id for _, user_id in rows if user_id is not None)


def appointment_resource(
    appointment_id: uuid.UUID | None,
    *,
    clinic_id: uuid.UUID,
    owners: frozenset[uuid.UUID],
    booked_by_id: uuid.UUID | None = None,
) -> Resource:
    """The resource an appointment (or a booking about to become one) is checked as."""
    everyone = owners | {booked_by_id} if booked_by_id is not None else owners
    return Resource.of("appointment", appointment_id, owners=everyone, clinics=[clinic_id])


def schedule_resource(clinic_id: uuid.UUID) -> Resource:
    """A clinic's schedule (calendars, rules, time off): visible to its staff only."""
    return Resource.of("schedule", clinic_id, clinics=[clinic_id])


__all__ = ["appointment_resource", "pet_owner_ids", "schedule_resource"]
