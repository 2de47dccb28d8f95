"""Who sees a pet: its owners and co-owners, staff of clinics that treat it, platform admins.
Anyone else is told the pet does not exist."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import event, select

from vet_core.exceptions import NotFoundException, PermissionDeniedException
from vet_core.models import HealthRecord, Pet
from vet_core.models.enums import HealthRecordType, StaffRole
from vet_core.schemas.pets import PetUpdate
from vet_services.auth.permissions import Actor
from vet_services.pets.access import load_pet_resource, visible_pets_clause
from vet_services.pets.service import delete_pet, get_pet, update_pet


async def visible_ids(db_session, actor: Actor) -> set:
    rows = await db_session.execute(
        select(Pet.id).where(visible_pets_clause(actor), Pet.not_deleted())
    )
    return set(rows.scalars().all())


async def test_the_resource_names_current_owners_and_every_treating_clinic(db_session, world):
    owner, co_owner = await world.owner(), await world.owner()
    pet = await world.pet(owner, co_owners=(co_owner,))
    visited, recorded, unrelated = await world.clinic(), await world.clinic(), await world.clinic()
    await world.visit(pet, visited)
    await world.add(
        HealthRecord(
            pet_id=pet.id,
            record_type=HealthRecordType.NOTE,
            title="Referral letter",
            clinic_id=recorded.id,
        )
    )

    loaded, resource = await load_pet_resource(db_session, pet.id)

    assert loaded.id == pet.id
    assert resource.owner_ids == {owner.user.id, co_owner.user.id}
    assert resource.clinic_ids == {visited.id, recorded.id}
    assert unrelated.id not in resource.clinic_ids


async def test_the_resource_costs_one_statement(db_session, world):
    owner = await world.owner()
    pet = await world.pet(owner, co_owners=(await world.owner(),))
    await world.visit(pet, await world.clinic())
    connection = (await db_session.connection()).sync_connection
    assert connection is not None
    statements: list[str] = []

    def seen(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement)

    event.listen(connection, "before_cursor_execute", seen)
    try:
        await load_pet_resource(db_session, pet.id)
    finally:
        event.remove(connection, "before_cursor_execute", seen)

    assert len(statements) == 1


async def test_a_deleted_or_unknown_pet_is_not_found(db_session, world):
    owner = await world.owner()
    pet = await world.pet(owner)
    await delete_pet(db_session, owner.actor, pet.id)

    for missing in (pet.id, uuid.uuid4()):
        with pytest.raises(NotFoundException) as caught:
            await load_pet_resource(db_session, missing)
        assert caught.value.code == "PET_NOT_FOUND"


async def test_owner_and_co_owner_read_the_pet_a_stranger_gets_not_found(db_session, world):
    owner, co_owner, stranger = await world.owner(), await world.owner(), await world.owner()
    pet = await world.pet(owner, co_owners=(co_owner,))

    assert (await get_pet(db_session, owner.actor, pet.id)).id == pet.id
    assert (await get_pet(db_session, co_owner.actor, pet.id)).id == pet.id
    with pytest.raises(NotFoundException) as caught:
        await get_pet(db_session, stranger.actor, pet.id)
    assert caught.value.code == "PET_NOT_FOUND"


async def test_staff_of_a_treating_clinic_read_the_pet_staff_elsewhere_get_not_found(
    db_session, world
):
    owner = await world.owner()
    pet = await world.pet(owner)
    treating, other = await world.clinic(), await world.clinic()
    await world.visit(pet, treating)
    receptionist = await world.staff(treating, StaffRole.RECEPTIONIST)
    elsewhere = await world.staff(other, StaffRole.VETERINARIAN)

    assert (await get_pet(db_session, receptionist.actor, pet.id)).id == pet.id
    with pytest.raises(NotFoundException):
        await get_pet(db_session, elsewhere.actor, pet.id)


async def test_staff_may_edit_a_patient_but_not_delete_it(db_session, world):
    owner = await world.owner()
    pet = await world.pet(owner)
    clinic = await world.clinic()
    await world.visit(pet, clinic)
    receptionist = await world.staff(clinic)

    updated = await update_pet(db_session, receptionist.actor, pet.id, PetUpdate(color="brindle"))
    assert updated.color == "brindle"
    with pytest.raises(PermissionDeniedException):
        await delete_pet(db_session, receptionist.actor, pet.id)


async def test_platform_admin_sees_every_pet(db_session, world):
    admin = await world.admin()
    pet = await world.pet(await world.owner())

    assert (await get_pet(db_session, admin.actor, pet.id)).id == pet.id
    assert pet.id in await visible_ids(db_session, admin.actor)


async def test_the_list_criterion_agrees_with_the_single_pet_rule(db_session, world):
    owner, co_owner = await world.owner(), await world.owner()
    mine = await world.pet(owner, name="Mine")
    shared = await world.pet(await world.owner(), name="Shared", co_owners=(owner,))
    clinic, other = await world.clinic(), await world.clinic()
    patient = await world.pet(co_owner, name="Patient")
    await world.visit(patient, clinic)
    stranger_pet = await world.pet(await world.owner(), name="Elsewhere")
    await world.visit(stranger_pet, other)
    staff = await world.staff(clinic, StaffRole.VET_TECH)
    nobody = Actor(role=None)

    assert {mine.id, shared.id} <= await visible_ids(db_session, owner.actor)
    assert stranger_pet.id not in await visible_ids(db_session, owner.actor)
    assert await visible_ids(db_session, staff.actor) == {patient.id}
    assert await visible_ids(db_session, nobody) == set()
