"""Pets: the owner's list, the clinic's patient search, and creating, reading, changing and
deleting one pet.

Every function that takes a pet id loads it through :func:`load_pet_resource` and calls
``authorize``, so another person's pet is ``PET_NOT_FOUND`` exactly like a missing one. Services
flush and never commit: the caller owns the transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from vet_core.database import constraint_name
from vet_core.exceptions import (
    BusinessRuleException,
    ConflictException,
    NotFoundException,
    PermissionDeniedException,
)
from vet_core.models import Pet, PetOwnership, User
from vet_core.models.base import uuid7
from vet_core.models.enums import OwnershipRole, PetStatus, Species
from vet_core.schemas.pets import PetCreate, PetUpdate
from vet_services.auth.permissions import Action, Actor, Resource, authorize
from vet_services.outbox import enqueue
from vet_services.pagination import DEFAULT_LIMIT, Page, check_limit, keyset, page_of
from vet_services.pets.access import (
    load_pet_resource,
    owned_by_clause,
    require_primary_owner,
    treated_by_clause,
)

MICROCHIP_CONSTRAINT = "uq_pets_microchip"
#: Outbox topic: a pet died, so its pending reminders must stop (the jobs app cancels them).
PET_DECEASED_TOPIC = "reminders.pet_deceased"


def microchip_taken(microchip: str | None) -> ConflictException:
    return ConflictException(
        "Another pet already has this microchip",
        code="MICROCHIP_TAKEN",
        details={"microchip": microchip},
    )


def _check_pet_rules(pet: Pet, changes: Mapping[str, Any]) -> None:
    """The table's cross-field CHECKs, said in words before the database says them in SQL.

    Checked on the values *after* ``changes`` and before touching the pet, so a refused update
    leaves the loaded object as it was. A partial update can break a rule no single field
    breaks: clearing ``birth_date`` leaves no age at all; a death before the birth is impossible.
    """

    def after(name: str) -> Any:
        return changes[name] if name in changes else getattr(pet, name)

    birth_date = after("birth_date")
    no_estimate = after("approximate_age_years") is None and after("approximate_age_months") is None
    if birth_date is None and no_estimate:
        raise BusinessRuleException(
            "Give birth_date or an approximate age",
            code="AGE_REQUIRED",
            details={"field": "birth_date"},
        )
    deceased_on = after("deceased_on")
    if deceased_on is not None and birth_date is not None and deceased_on < birth_date:
        raise BusinessRuleException(
            "deceased_on must not be before birth_date",
            code="DECEASED_BEFORE_BIRTH",
            details={"field": "deceased_on"},
        )


async def _flush_guarding_microchip(session: AsyncSession, pet: Pet, *rows: object) -> None:
    """Flush in a savepoint so a duplicate microchip becomes ``MICROCHIP_TAKEN``, race-free.

    The partial unique index decides (two concurrent registrations cannot both pass a
    check-then-insert); the savepoint keeps the caller's transaction usable after the refusal.
    Any other refused CHECK becomes ``PET_INVALID`` naming the constraint, never a 500.
    """
    try:
        async with session.begin_nested():
            session.add_all([pet, *rows])
            await session.flush()
    except IntegrityError as error:
        name = constraint_name(error)
        if name == MICROCHIP_CONSTRAINT:
            raise microchip_taken(pet.microchip) from error
        if name is not None and name.startswith("ck_pets_"):
            raise BusinessRuleException(
                "The pet's data breaks a rule", code="PET_INVALID", details={"constraint": name}
            ) from error
        raise


# --- lists ------------------------------------------------------------------------------------


async def list_my_pets(
    session: AsyncSession,
    actor: Actor,
    *,
    species: Species | None = None,
    status: PetStatus | None = None,
    name: str | None = None,
    cursor: str | None = None,
    limit: int = DEFAULT_LIMIT,
) -> Page[Pet]:
    """The pets the caller owns or co-owns, oldest first, one keyset page at a time.

    ``name`` matches case-insensitively anywhere in the name. Staff and admins get only their
    own pets here too: a clinic's patients are :func:`search_patients`.
    """
    check_limit(limit)
    if actor.user_id is None:
        return Page(items=[], next_cursor=None, limit=limit)
    criteria: list[ColumnElement[bool]] = [Pet.not_deleted(), owned_by_clause(actor.user_id)]
    if species is not None:
        criteria.append(Pet.species == species)
    if status is not None:
        criteria.append(Pet.status == status)
    if name:
        criteria.append(Pet.name.icontains(name.strip(), autoescape=True))
    statement = keyset(
        select(Pet).where(*criteria),
        Pet.created_at,
        Pet.id,
        cursor=cursor,
        limit=limit,
        descending=False,
    )
    return page_of((await session.execute(statement)).scalars().all(), limit)


async def search_patients(
    session: AsyncSession,
    actor: Actor,
    clinic_id: uuid.UUID,
    *,
    name: str | None = None,
    microchip: str | None = None,
    limit: int = 20,
) -> list[Pet]:
    """A clinic's patients (pets it treats) by fuzzy name and/or exact microchip.

    Names match by trigram similarity (pg_trgm, GIN-indexed), so "Bela" finds "Bella", or by
    prefix, so short queries work too; best matches come first. Staff of another clinic get
    ``CLINIC_NOT_FOUND``.
    """
    check_limit(limit)
    authorize(actor, Action.PET_READ, Resource.of("clinic", clinic_id, clinics=[clinic_id]))
    criteria: list[ColumnElement[bool]] = [Pet.not_deleted(), treated_by_clause([clinic_id])]
    order: list[ColumnElement[object]] = []
    if microchip:
        criteria.append(Pet.microchip == microchip.replace(" ", "").replace("-", ""))
    if name and name.strip():
        query = name.strip()
        score = func.similarity(Pet.name, query)
        criteria.append(
            or_(
                Pet.name.op("%", is_comparison=True)(query),
                Pet.name.istartswith(query, autoescape=True),
            )
        )
        order.append(score.desc())
    statement = select(Pet).where(*criteria).order_by(*order, Pet.name, Pet.id).limit(limit)
    return list((await session.execute(statement)).scalars().all())


# --- one pet ----------------------------------------------------------------------------------


async def create_pet(session: AsyncSession, actor: Actor, data: PetCreate) -> Pet:
    """Register a pet; its owner (the caller unless staff name one) becomes the primary owner.

    The pet and its primary :class:`PetOwnership` are written in one flush, so a pet never
    exists without an owner. Staff of any clinic, and platform admins, may register a pet for
    an existing owner; an owner registers only their own.
    """
    owner_id = data.owner_id or actor.user_id
    if owner_id is None:
        raise PermissionDeniedException("Only a signed-in user can own a pet")
    if owner_id != actor.user_id:
        may_register_for_others = (actor.is_platform_admin and actor.api_key_id is None) or bool(
            actor.staff_clinic_ids(Action.PET_WRITE)
        )
        if not may_register_for_others:
            raise PermissionDeniedException("You may only register your own pets")
        owner_exists = await session.scalar(
            select(User.id).where(User.id == owner_id, User.not_deleted())
        )
        if owner_exists is None:
            raise NotFoundException("User not found", code="USER_NOT_FOUND")
    fields = data.model_dump(exclude={"owner_id"})
    pet = Pet(
        id=uuid7(), owner_id=owner_id, created_by=actor.user_id, updated_by=actor.user_id, **fields
    )
    ownership = PetOwnership(
        pet_id=pet.id,
        user_id=owner_id,
        role=OwnershipRole.PRIMARY,
        created_by=actor.user_id,
        updated_by=actor.user_id,
    )
    await _flush_guarding_microchip(session, pet, ownership)
    return pet


async def get_pet(session: AsyncSession, actor: Actor, pet_id: uuid.UUID) -> Pet:
    """One pet the caller may see (owner, co-owner, staff of a treating clinic, admin)."""
    pet, resource = await load_pet_resource(session, pet_id)
    authorize(actor, Action.PET_READ, resource)
    return pet


async def update_pet(
    session: AsyncSession, actor: Actor, pet_id: uuid.UUID, data: PetUpdate
) -> Pet:
    """Apply a partial change.

    Marking a pet deceased (the schema demands ``deceased_on`` with it) enqueues
    ``reminders.pet_deceased`` in the same transaction: no vaccination or check-up reminder may
    reach the family of a pet that has died. Moving a pet out of ``deceased`` (a mistake being
    corrected) clears ``deceased_on``, as the database requires.
    """
    pet, resource = await load_pet_resource(session, pet_id, for_update=True)
    authorize(actor, Action.PET_WRITE, resource)
    was_deceased = pet.status is PetStatus.DECEASED
    changes = data.changes()
    if changes.get("status", pet.status) is not PetStatus.DECEASED:
        changes["deceased_on"] = None
    _check_pet_rules(pet, changes)
    for name, value in changes.items():
        setattr(pet, name, value)
    pet.updated_by = actor.user_id
    await _flush_guarding_microchip(session, pet)
    if pet.status is PetStatus.DECEASED and not was_deceased:
        await enqueue(
            session,
            PET_DECEASED_TOPIC,
            {"pet_id": str(pet.id), "deceased_on": str(pet.deceased_on)},
            dedup_key=f"{PET_DECEASED_TOPIC}:{pet.id}:{pet.deceased_on}",
        )
    return pet


async def delete_pet(session: AsyncSession, actor: Actor, pet_id: uuid.UUID) -> None:
    """Soft-delete a pet (primary owner or platform admin only).

    The row and its medical history stay for the clinics' legal retention; the pet just stops
    being listed or found, and its microchip is free for a new registration.
    """
    pet, resource = await load_pet_resource(session, pet_id, for_update=True)
    authorize(actor, Action.PET_DELETE, resource)
    require_primary_owner(actor, pet, Action.PET_DELETE)
    pet.soft_delete(datetime.now(UTC))
    pet.updated_by = actor.user_id
    await session.flush()


__all__ = [
    "MICROCHIP_CONSTRAINT",
    "PET_DECEASED_TOPIC",
    "create_pet",
    "delete_pet",
    "get_pet",
    "list_my_pets",
    "microchip_taken",
    "search_patients",
    "update_pet",
]
