"""Who owns a pet over time: co-owners, and transfers to a new primary owner.

Ownership rows are never deleted: ending one (``ended_at`` + ``end_reason``) keeps the history
of who was responsible for the animal when, which clinics and shelters are asked for. Ownership
changes decide who may read a medical history, so they are audited like medical writes.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from vet_core.exceptions import (
    BusinessRuleException,
    ConflictException,
    NotFoundException,
)
from vet_core.models import Pet, PetOwnership, User
from vet_core.models.enums import AuditAction, OwnershipEndReason, OwnershipRole
from vet_core.schemas.pets import PetTransferCreate
from vet_services.audit import record_change
from vet_services.auth.permissions import Action, Actor, authorize
from vet_services.pets.access import load_pet_resource, require_primary_owner


def _user_not_found() -> NotFoundException:
    return NotFoundException("User not found", code="USER_NOT_FOUND")


async def _current_ownerships(session: AsyncSession, pet_id: uuid.UUID) -> list[PetOwnership]:
    rows = await session.execute(
        select(PetOwnership)
        .where(PetOwnership.pet_id == pet_id, PetOwnership.ended_at.is_(None))
        .order_by(PetOwnership.started_at, PetOwnership.id)
    )
    return list(rows.scalars().all())


def _owners_snapshot(pet: Pet, ownerships: list[PetOwnership]) -> dict[str, Any]:
    """The audit view of who owns a pet: the primary and the sorted co-owners."""
    return {
        "owner_id": pet.owner_id,
        "co_owner_ids": sorted(
            str(o.user_id) for o in ownerships if o.role is OwnershipRole.CO_OWNER
        ),
    }


def _end(ownership: PetOwnership, reason: OwnershipEndReason, actor: Actor, at: datetime) -> None:
    # Never before it started, even if this server's clock lags the database's.
    ownership.ended_at = max(at, ownership.started_at)
    ownership.end_reason = reason
    ownership.updated_by = actor.user_id


async def list_owners(
    session: AsyncSession, actor: Actor, pet_id: uuid.UUID, *, include_history: bool = False
) -> list[PetOwnership]:
    """The pet's current owners (primary first), or its whole ownership history."""
    _, resource = await load_pet_resource(session, pet_id)
    authorize(actor, Action.PET_READ, resource)
    statement = select(PetOwnership).where(PetOwnership.pet_id == pet_id)
    if not include_history:
        statement = statement.where(PetOwnership.ended_at.is_(None))
    statement = statement.order_by(
        PetOwnership.ended_at.is_not(None),
        PetOwnership.role != OwnershipRole.PRIMARY,
        PetOwnership.started_at,
        PetOwnership.id,
    )
    return list((await session.execute(statement)).scalars().all())


async def add_co_owner(
    session: AsyncSession, actor: Actor, pet_id: uuid.UUID, email: str
) -> PetOwnership:
    """Share a pet with an existing user, found by e-mail (case-insensitive).

    Only the primary owner decides who else sees the pet's records. An unknown address is
    ``USER_NOT_FOUND``; someone who already owns the pet is ``ALREADY_OWNER``.
    """
    pet, resource = await load_pet_resource(session, pet_id, for_update=True)
    authorize(actor, Action.PET_WRITE, resource)
    require_primary_owner(actor, pet, Action.PET_WRITE)
    user_id = await session.scalar(
        select(User.id).where(func.lower(User.email) == email.strip().lower(), User.not_deleted())
    )
    if user_id is None:
        raise _user_not_found()
    current = await _current_ownerships(session, pet_id)
    if any(o.user_id == user_id for o in current):
        raise ConflictException("This user already owns the pet", code="ALREADY_OWNER")
    before = _owners_snapshot(pet, current)
    ownership = PetOwnership(
        pet_id=pet.id,
        user_id=user_id,
        role=OwnershipRole.CO_OWNER,
        created_by=actor.user_id,
        updated_by=actor.user_id,
    )
    session.add(ownership)
    await session.flush()
    await record_change(
        session,
        actor,
        AuditAction.UPDATE,
        "pet",
        pet.id,
        before=before,
        after=_owners_snapshot(pet, [*current, ownership]),
    )
    return ownership


async def remove_co_owner(
    session: AsyncSession, actor: Actor, pet_id: uuid.UUID, user_id: uuid.UUID
) -> PetOwnership:
    """End a co-ownership (reason ``removed``); the row stays as history.

    The primary owner may remove any co-owner, and a co-owner may leave. The primary owner
    cannot be removed: a pet always has one; give it away with :func:`transfer_pet`.
    """
    pet, resource = await load_pet_resource(session, pet_id, for_update=True)
    authorize(actor, Action.PET_READ, resource)
    if actor.user_id != user_id:
        authorize(actor, Action.PET_WRITE, resource)
        require_primary_owner(actor, pet, Action.PET_WRITE)
    current = await _current_ownerships(session, pet_id)
    target = next((o for o in current if o.user_id == user_id), None)
    if target is None:
        raise NotFoundException("This user does not own the pet", code="OWNERSHIP_NOT_FOUND")
    if target.role is OwnershipRole.PRIMARY:
        raise BusinessRuleException(
            "The primary owner cannot be removed; transfer the pet instead",
            code="PRIMARY_OWNER_NOT_REMOVABLE",
        )
    before = _owners_snapshot(pet, current)
    _end(target, OwnershipEndReason.REMOVED, actor, datetime.now(UTC))
    await session.flush()
    await record_change(
        session,
        actor,
        AuditAction.UPDATE,
        "pet",
        pet.id,
        before=before,
        after=_owners_snapshot(pet, [o for o in current if o is not target]),
    )
    return target


async def transfer_pet(
    session: AsyncSession,
    actor: Actor,
    pet_id: uuid.UUID,
    data: PetTransferCreate,
    *,
    keep_co_owners: bool = True,
) -> PetOwnership:
    """Give the pet to a new primary owner (a rehoming, a sale, a family change).

    The old primary ownership ends as ``transferred`` (with the note), a new primary ownership
    starts and ``Pet.owner_id`` follows, all audited with before and after. The old owner keeps
    nothing: they lose access at once. Co-owners stay unless ``keep_co_owners`` is false (they
    end as ``removed``); a co-owner who becomes the primary owner ends their co-ownership first,
    since a person holds one current ownership per pet.
    """
    pet, resource = await load_pet_resource(session, pet_id, for_update=True)
    authorize(actor, Action.PET_TRANSFER, resource)
    require_primary_owner(actor, pet, Action.PET_TRANSFER)
    if data.new_owner_id == pet.owner_id:
        raise BusinessRuleException("The pet already belongs to this user", code="SAME_OWNER")
    new_owner = await session.scalar(
        select(User.id).where(User.id == data.new_owner_id, User.not_deleted())
    )
    if new_owner is None:
        raise _user_not_found()

    current = await _current_ownerships(session, pet_id)
    before = _owners_snapshot(pet, current)
    # One instant closes the old ownerships and opens the new one: the history has no gap.
    now = max([datetime.now(UTC), *(o.started_at for o in current)])
    remaining: list[PetOwnership] = []
    for ownership in current:
        if ownership.role is OwnershipRole.PRIMARY or ownership.user_id == data.new_owner_id:
            _end(ownership, OwnershipEndReason.TRANSFERRED, actor, now)
            ownership.transfer_note = data.transfer_note
        elif not keep_co_owners:
            _end(ownership, OwnershipEndReason.REMOVED, actor, now)
        else:
            remaining.append(ownership)
    # Flush the endings first: the new row would collide with the old one in the unique
    # "one current primary per pet" index otherwise.
    await session.flush()

    successor = PetOwnership(
        pet_id=pet.id,
        user_id=data.new_owner_id,
        role=OwnershipRole.PRIMARY,
        started_at=now,
        transfer_note=data.transfer_note,
        created_by=actor.user_id,
        updated_by=actor.user_id,
    )
    pet.owner_id = data.new_owner_id
    pet.updated_by = actor.user_id
    session.add(successor)
    await session.flush()
    await record_change(
        session,
        actor,
        AuditAction.UPDATE,
        "pet",
        pet.id,
        before=before,
        after=_owners_snapshot(pet, [successor, *remaining]),
    )
    return successor


__all__ = ["add_co_owner", "list_owners", "remove_co_owner", "transfer_pet"]
