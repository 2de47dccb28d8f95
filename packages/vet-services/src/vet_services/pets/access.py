"""Who is related to a pet: its current owners and the clinics that treat it.

Every pet and clinical service starts from :func:`load_pet_resource`, so access to a pet and to
its medical history is decided the same way everywhere. A clinic *treats* a pet once the pet has
an appointment, a health record or a vaccination there; that is what lets its staff find the pet
(and lets them lose nothing when an owner books elsewhere). Owners are the current ownerships
only, so a former owner stops seeing a transferred pet at once.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Iterable
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    Uuid,
    and_,
    bindparam,
    exists,
    false,
    func,
    or_,
    select,
    true,
    union,
)
from sqlalchemy.ext.asyncio import AsyncSession

from vet_core.exceptions import NotFoundException, PermissionDeniedException
from vet_core.models import Appointment, HealthRecord, Pet, PetOwnership, Vaccination
from vet_services.auth.permissions import Action, Actor, Resource

PET_NOT_FOUND = "PET_NOT_FOUND"


def pet_not_found() -> NotFoundException:
    """The one answer for a pet that does not exist, is deleted, or is someone else's."""
    return NotFoundException("Pet not found", code=PET_NOT_FOUND)


@functools.cache
def _pet_resource_statement(for_update: bool) -> Select[tuple[Pet, Any, Any]]:
    """The statement of :func:`load_pet_resource`, built once per process (``:pet_id`` bound).

    Building it (two aggregates over a three-way ``UNION``) and computing its cache key cost
    more CPU than running it; a statement is immutable, so every request shares one.
    """
    pet_id = bindparam("pet_id", type_=Uuid())
    owners = (
        select(func.array_agg(PetOwnership.user_id))
        .where(PetOwnership.pet_id == pet_id, PetOwnership.ended_at.is_(None))
        .scalar_subquery()
    )
    treating = union(
        select(Appointment.clinic_id.label("clinic_id")).where(
            Appointment.pet_id == pet_id, Appointment.not_deleted()
        ),
        select(HealthRecord.clinic_id).where(
            HealthRecord.pet_id == pet_id,
            HealthRecord.not_deleted(),
            HealthRecord.clinic_id.is_not(None),
        ),
        select(Vaccination.clinic_id).where(
            Vaccination.pet_id == pet_id,
            Vaccination.not_deleted(),
            Vaccination.clinic_id.is_not(None),
        ),
    ).subquery()
    clinics = select(func.array_agg(treating.c.clinic_id)).scalar_subquery()
    statement = select(Pet, owners, clinics).where(Pet.id == pet_id, Pet.not_deleted())
    if for_update:
        statement = statement.with_for_update(of=Pet)
    return statement


async def load_pet_resource(
    session: AsyncSession, pet_id: uuid.UUID, *, for_update: bool = False
) -> tuple[Pet, Resource]:
    """The live pet and the resource access control checks it as, in one query.

    Owners and treating clinics come back as two aggregated scalar subqueries of the same
    statement. ``for_update`` locks the pet row (not the related rows) so that concurrent
    ownership changes of one pet are serialised.
    """
    statement = _pet_resource_statement(for_update)
    row = (await session.execute(statement, {"pet_id": pet_id})).one_or_none()
    if row is None:
        raise pet_not_found()
    pet, owner_ids, clinic_ids = row
    return pet, pet_resource(pet.id, owner_ids or (), clinic_ids or ())


def pet_resource(
    pet_id: uuid.UUID, owners: Iterable[uuid.UUID], clinics: Iterable[uuid.UUID | None]
) -> Resource:
    """The resource a pet is checked as (kind ``pet``: refusals say ``PET_NOT_FOUND``)."""
    return Resource.of("pet", pet_id, owners=owners, clinics=clinics)


def treated_by_clause(clinic_ids: Iterable[uuid.UUID]) -> ColumnElement[bool]:
    """SQL: the pet (``Pet.id``) is treated by one of ``clinic_ids``."""
    clinics = list(clinic_ids)
    if not clinics:
        return false()
    return or_(
        exists().where(
            Appointment.pet_id == Pet.id,
            Appointment.clinic_id.in_(clinics),
            Appointment.not_deleted(),
        ),
        exists().where(
            HealthRecord.pet_id == Pet.id,
            HealthRecord.clinic_id.in_(clinics),
            HealthRecord.not_deleted(),
        ),
        exists().where(
            Vaccination.pet_id == Pet.id,
            Vaccination.clinic_id.in_(clinics),
            Vaccination.not_deleted(),
        ),
    )


def owned_by_clause(user_id: uuid.UUID) -> ColumnElement[bool]:
    """SQL: ``user_id`` currently owns or co-owns the pet (``Pet.id``)."""
    return exists().where(
        and_(
            PetOwnership.pet_id == Pet.id,
            PetOwnership.user_id == user_id,
            PetOwnership.ended_at.is_(None),
        )
    )


def visible_pets_clause(actor: Actor, action: Action = Action.PET_READ) -> ColumnElement[bool]:
    """SQL criterion on :class:`Pet` for list queries: the pets ``actor`` may see.

    The same rule as :func:`load_pet_resource` + ``authorize``: pets the actor owns or co-owns,
    pets treated by a clinic where the actor's role (or API key) allows ``action``, and every pet
    for a platform admin. Soft-deleted pets are not excluded here; callers add that.
    """
    if actor.is_platform_admin and actor.api_key_id is None:
        return true()
    clauses: list[ColumnElement[bool]] = []
    if actor.user_id is not None:
        clauses.append(owned_by_clause(actor.user_id))
    staff_clinics = actor.staff_clinic_ids(action)
    if staff_clinics:
        clauses.append(treated_by_clause(staff_clinics))
    if not clauses:
        return false()
    return or_(*clauses)


def require_primary_owner(actor: Actor, pet: Pet, action: Action) -> None:
    """Deleting or giving a pet away is the primary owner's decision (or a platform admin's).

    ``authorize`` lets co-owners do what owners do; call this after it, so a co-owner gets a
    403 (they can see the pet) rather than a 404.
    """
    if actor.is_platform_admin and actor.api_key_id is None:
        return
    if actor.user_id is None or actor.user_id != pet.owner_id:
        raise PermissionDeniedException(
            f"Only the primary owner may perform {action.value} on this pet",
            details={"action": action.value},
        )


__all__ = [
    "PET_NOT_FOUND",
    "load_pet_resource",
    "owned_by_clause",
    "pet_not_found",
    "pet_resource",
    "require_primary_owner",
    "treated_by_clause",
    "visible_pets_clause",
]
