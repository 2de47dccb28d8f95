"""Co-owners and transfers: history is kept, access follows the current owners, changes are
audited."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from vet_core.exceptions import (
    BusinessRuleException,
    ConflictException,
    NotFoundException,
    PermissionDeniedException,
)
from vet_core.models import AuditLog, PetOwnership
from vet_core.models.enums import AuditAction, OwnershipEndReason, OwnershipRole
from vet_core.schemas.pets import PetTransferCreate
from vet_services.pets.ownership import add_co_owner, list_owners, remove_co_owner, transfer_pet
from vet_services.pets.service import get_pet, list_my_pets


async def audit_entries(db_session, entity_id) -> list[AuditLog]:
    rows = await db_session.execute(
        select(AuditLog).where(AuditLog.entity_id == entity_id).order_by(AuditLog.occurred_at)
    )
    return list(rows.scalars().all())


async def test_the_primary_owner_adds_a_co_owner_by_email(db_session, world):
    owner = await world.owner()
    partner = await world.owner(email="Partner.Smith@Example.com")
    pet = await world.pet(owner)

    ownership = await add_co_owner(db_session, owner.actor, pet.id, "partner.smith@example.com")

    assert (ownership.user_id, ownership.role) == (partner.user.id, OwnershipRole.CO_OWNER)
    assert (await get_pet(db_session, partner.actor, pet.id)).id == pet.id
    owners = await list_owners(db_session, partner.actor, pet.id)
    assert [(o.user_id, o.role) for o in owners] == [
        (owner.user.id, OwnershipRole.PRIMARY),
        (partner.user.id, OwnershipRole.CO_OWNER),
    ]


async def test_adding_an_unknown_address_or_an_existing_owner_is_refused(db_session, world):
    owner, partner = await world.owner(), await world.owner()
    pet = await world.pet(owner, co_owners=(partner,))

    with pytest.raises(NotFoundException) as unknown:
        await add_co_owner(db_session, owner.actor, pet.id, "nobody@example.com")
    assert unknown.value.code == "USER_NOT_FOUND"
    with pytest.raises(ConflictException) as twice:
        await add_co_owner(db_session, owner.actor, pet.id, partner.user.email)
    assert twice.value.code == "ALREADY_OWNER"


async def test_a_co_owner_cannot_invite_others(db_session, world):
    owner, partner, friend = await world.owner(), await world.owner(), await world.owner()
    pet = await world.pet(owner, co_owners=(partner,))

    with pytest.raises(PermissionDeniedException):
        await add_co_owner(db_session, partner.actor, pet.id, friend.user.email)


async def test_removing_a_co_owner_ends_the_ownership_and_keeps_it_as_history(db_session, world):
    owner, partner = await world.owner(), await world.owner()
    pet = await world.pet(owner, co_owners=(partner,))

    ended = await remove_co_owner(db_session, owner.actor, pet.id, partner.user.id)

    assert ended.end_reason is OwnershipEndReason.REMOVED
    assert ended.ended_at is not None
    with pytest.raises(NotFoundException):
        await get_pet(db_session, partner.actor, pet.id)
    history = await list_owners(db_session, owner.actor, pet.id, include_history=True)
    assert [(o.user_id, o.ended_at is None) for o in history] == [
        (owner.user.id, True),
        (partner.user.id, False),
    ]
    [entry] = await audit_entries(db_session, pet.id)
    assert entry.changes["co_owner_ids"] == {"before": [str(partner.user.id)], "after": []}


async def test_a_co_owner_may_leave_but_the_primary_owner_cannot_be_removed(db_session, world):
    owner, partner = await world.owner(), await world.owner()
    pet = await world.pet(owner, co_owners=(partner,))

    with pytest.raises(PermissionDeniedException):
        await remove_co_owner(db_session, partner.actor, pet.id, owner.user.id)
    left = await remove_co_owner(db_session, partner.actor, pet.id, partner.user.id)
    assert left.end_reason is OwnershipEndReason.REMOVED
    with pytest.raises(BusinessRuleException) as primary:
        await remove_co_owner(db_session, owner.actor, pet.id, owner.user.id)
    assert primary.value.code == "PRIMARY_OWNER_NOT_REMOVABLE"


async def test_a_transfer_hands_the_pet_over_and_keeps_the_history(db_session, world):
    old, new, partner = await world.owner(), await world.owner(), await world.owner()
    pet = await world.pet(old, co_owners=(partner,))

    successor = await transfer_pet(
        db_session,
        old.actor,
        pet.id,
        PetTransferCreate(new_owner_id=new.user.id, transfer_note="Moving abroad"),
    )

    assert (successor.user_id, successor.role) == (new.user.id, OwnershipRole.PRIMARY)
    assert pet.owner_id == new.user.id
    rows = (
        (await db_session.execute(select(PetOwnership).where(PetOwnership.pet_id == pet.id)))
        .scalars()
        .all()
    )
    by_user = {row.user_id: row for row in rows}
    assert by_user[old.user.id].end_reason is OwnershipEndReason.TRANSFERRED
    assert by_user[old.user.id].transfer_note == "Moving abroad"
    assert by_user[old.user.id].ended_at == successor.started_at  # no gap in the history
    assert by_user[partner.user.id].ended_at is None  # co-owners kept by default
    assert by_user[new.user.id].ended_at is None

    with pytest.raises(NotFoundException):
        await get_pet(db_session, old.actor, pet.id)
    assert (await list_my_pets(db_session, old.actor)).items == []
    assert [p.id for p in (await list_my_pets(db_session, new.actor)).items] == [pet.id]

    [entry] = await audit_entries(db_session, pet.id)
    assert entry.action is AuditAction.UPDATE
    assert entry.entity_type == "pet"
    assert entry.actor_id == old.user.id
    assert entry.changes["owner_id"] == {"before": str(old.user.id), "after": str(new.user.id)}


async def test_a_transfer_may_drop_co_owners_and_promote_one(db_session, world):
    old, partner, other = await world.owner(), await world.owner(), await world.owner()
    pet = await world.pet(old, co_owners=(partner, other))

    await transfer_pet(
        db_session,
        old.actor,
        pet.id,
        PetTransferCreate(new_owner_id=partner.user.id),
        keep_co_owners=False,
    )

    current = await list_owners(db_session, partner.actor, pet.id)
    assert [(o.user_id, o.role) for o in current] == [(partner.user.id, OwnershipRole.PRIMARY)]
    with pytest.raises(NotFoundException):
        await get_pet(db_session, other.actor, pet.id)


async def test_only_the_primary_owner_transfers_and_never_to_themselves(db_session, world):
    owner, partner = await world.owner(), await world.owner()
    pet = await world.pet(owner, co_owners=(partner,))
    stranger = await world.owner()

    with pytest.raises(PermissionDeniedException):
        await transfer_pet(
            db_session, partner.actor, pet.id, PetTransferCreate(new_owner_id=partner.user.id)
        )
    with pytest.raises(NotFoundException):
        await transfer_pet(
            db_session, stranger.actor, pet.id, PetTransferCreate(new_owner_id=stranger.user.id)
        )
    with pytest.raises(BusinessRuleException) as same:
        await transfer_pet(
            db_session, owner.actor, pet.id, PetTransferCreate(new_owner_id=owner.user.id)
        )
    assert same.value.code == "SAME_OWNER"
