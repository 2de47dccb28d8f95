"""Creating, listing, searching, changing and deleting pets."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from vet_core.exceptions import (
    BusinessRuleException,
    ConflictException,
    NotFoundException,
    PermissionDeniedException,
    SchemaValidationException,
)
from vet_core.models import OutboxEvent, PetOwnership
from vet_core.models.enums import OwnershipRole, PetStatus, Species
from vet_core.schemas.pets import PetCreate, PetUpdate
from vet_services.pets.service import (
    PET_DECEASED_TOPIC,
    create_pet,
    delete_pet,
    get_pet,
    list_my_pets,
    search_patients,
    update_pet,
)

CHIP = "985112003456789"


def new_pet(**fields) -> PetCreate:
    return PetCreate(
        **{"name": "Pepper", "species": Species.CAT, "birth_date": date(2024, 2, 29), **fields}
    )


async def test_the_creator_becomes_the_primary_owner(db_session, world):
    owner = await world.owner()

    pet = await create_pet(db_session, owner.actor, new_pet(microchip=CHIP))

    assert pet.owner_id == owner.user.id
    ownerships = (
        (await db_session.execute(select(PetOwnership).where(PetOwnership.pet_id == pet.id)))
        .scalars()
        .all()
    )
    assert [(o.user_id, o.role, o.ended_at) for o in ownerships] == [
        (owner.user.id, OwnershipRole.PRIMARY, None)
    ]
    assert (await get_pet(db_session, owner.actor, pet.id)).microchip == CHIP


async def test_a_microchip_belongs_to_one_live_pet(db_session, world):
    first, second = await world.owner(), await world.owner()
    original = await create_pet(db_session, first.actor, new_pet(microchip=CHIP))

    with pytest.raises(ConflictException) as caught:
        await create_pet(db_session, second.actor, new_pet(microchip=CHIP))
    assert caught.value.code == "MICROCHIP_TAKEN"

    # The transaction is still usable, and deleting the first pet frees the chip.
    await delete_pet(db_session, first.actor, original.id)
    again = await create_pet(db_session, second.actor, new_pet(microchip=CHIP))
    assert again.microchip == CHIP


async def test_changing_to_a_taken_microchip_is_a_conflict(db_session, world):
    owner = await world.owner()
    await world.pet(owner, microchip=CHIP)
    other = await world.pet(owner, name="Other")

    with pytest.raises(ConflictException) as caught:
        await update_pet(db_session, owner.actor, other.id, PetUpdate(microchip=CHIP))
    assert caught.value.code == "MICROCHIP_TAKEN"


async def test_an_owner_cannot_register_a_pet_for_someone_else(db_session, world):
    owner, other = await world.owner(), await world.owner()

    with pytest.raises(PermissionDeniedException):
        await create_pet(db_session, owner.actor, new_pet(owner_id=other.user.id))


async def test_staff_register_a_pet_for_an_existing_owner(db_session, world):
    clinic = await world.clinic()
    receptionist = await world.staff(clinic)
    owner = await world.owner()

    pet = await create_pet(db_session, receptionist.actor, new_pet(owner_id=owner.user.id))

    assert pet.owner_id == owner.user.id
    assert (await get_pet(db_session, owner.actor, pet.id)).id == pet.id


async def test_update_changes_only_the_given_fields(db_session, world):
    owner = await world.owner()
    pet = await world.pet(owner, name="Rex")

    updated = await update_pet(db_session, owner.actor, pet.id, PetUpdate(notes="Hates the vacuum"))

    assert (updated.name, updated.notes) == ("Rex", "Hates the vacuum")


async def test_a_stranger_cannot_update_a_pet(db_session, world):
    pet = await world.pet(await world.owner())
    stranger = await world.owner()

    with pytest.raises(NotFoundException):
        await update_pet(db_session, stranger.actor, pet.id, PetUpdate(name="Mine now"))


async def test_marking_a_pet_deceased_stops_its_reminders(db_session, world):
    owner = await world.owner()
    pet = await world.pet(owner)
    died = date(2025, 6, 1)

    updated = await update_pet(
        db_session, owner.actor, pet.id, PetUpdate(status=PetStatus.DECEASED, deceased_on=died)
    )

    assert (updated.status, updated.deceased_on) == (PetStatus.DECEASED, died)
    jobs = (
        (
            await db_session.execute(
                select(OutboxEvent).where(OutboxEvent.topic == PET_DECEASED_TOPIC)
            )
        )
        .scalars()
        .all()
    )
    assert [job.payload["pet_id"] for job in jobs] == [str(pet.id)]


async def test_undoing_a_mistaken_death_clears_the_date(db_session, world):
    owner = await world.owner()
    pet = await world.pet(owner)
    await update_pet(
        db_session,
        owner.actor,
        pet.id,
        PetUpdate(status=PetStatus.DECEASED, deceased_on=date(2025, 6, 1)),
    )

    revived = await update_pet(db_session, owner.actor, pet.id, PetUpdate(status=PetStatus.ACTIVE))

    assert (revived.status, revived.deceased_on) == (PetStatus.ACTIVE, None)


async def test_only_the_primary_owner_deletes_a_pet(db_session, world):
    owner, co_owner = await world.owner(), await world.owner()
    pet = await world.pet(owner, co_owners=(co_owner,))

    with pytest.raises(PermissionDeniedException):
        await delete_pet(db_session, co_owner.actor, pet.id)
    await delete_pet(db_session, owner.actor, pet.id)

    with pytest.raises(NotFoundException):
        await get_pet(db_session, owner.actor, pet.id)
    assert (await list_my_pets(db_session, owner.actor)).items == []


async def test_my_pets_are_the_owned_and_co_owned_ones(db_session, world):
    me, friend = await world.owner(), await world.owner()
    mine = await world.pet(me, name="Mine")
    shared = await world.pet(friend, name="Shared", co_owners=(me,))
    await world.pet(friend, name="Not mine")

    page = await list_my_pets(db_session, me.actor)

    assert [p.id for p in page.items] == [mine.id, shared.id]
    assert page.next_cursor is None


async def test_my_pets_filter_by_species_status_and_name(db_session, world):
    me = await world.owner()
    dog = await world.pet(me, name="Barnaby", species=Species.DOG)
    cat = await world.pet(me, name="Barney", species=Species.CAT)
    await world.pet(me, name="Whiskers", species=Species.CAT)
    await update_pet(
        db_session,
        me.actor,
        dog.id,
        PetUpdate(status=PetStatus.DECEASED, deceased_on=date(2025, 1, 2)),
    )

    by_species = await list_my_pets(db_session, me.actor, species=Species.DOG)
    by_status = await list_my_pets(db_session, me.actor, status=PetStatus.ACTIVE)
    by_name = await list_my_pets(db_session, me.actor, name="barn")
    literal_percent = await list_my_pets(db_session, me.actor, name="%")

    assert [p.id for p in by_species.items] == [dog.id]
    assert {p.name for p in by_status.items} == {"Barney", "Whiskers"}
    assert [p.id for p in by_name.items] == [dog.id, cat.id]
    assert literal_percent.items == []


async def test_pages_are_complete_and_do_not_repeat_even_when_pets_are_added(db_session, world):
    me = await world.owner()
    created = [await world.pet(me, name=f"Pet {n}") for n in range(7)]

    seen, cursor = [], None
    first = await list_my_pets(db_session, me.actor, limit=3)
    seen += first.items
    cursor = first.next_cursor
    late = await world.pet(me, name="Latecomer")  # sorts after everything already listed
    while cursor is not None:
        page = await list_my_pets(db_session, me.actor, limit=3, cursor=cursor)
        seen += page.items
        cursor = page.next_cursor

    assert [p.id for p in seen] == [p.id for p in created] + [late.id]


async def test_a_forged_cursor_or_limit_is_a_validation_error(db_session, world):
    me = await world.owner()

    with pytest.raises(SchemaValidationException) as caught:
        await list_my_pets(db_session, me.actor, cursor="not-a-cursor")
    assert caught.value.code == "INVALID_CURSOR"
    with pytest.raises(SchemaValidationException):
        await list_my_pets(db_session, me.actor, limit=0)


async def test_staff_find_their_patients_by_fuzzy_name_and_microchip(db_session, world):
    clinic, other = await world.clinic(), await world.clinic()
    owner = await world.owner()
    bella = await world.pet(owner, name="Bella", microchip=CHIP)
    bello = await world.pet(owner, name="Bellamy")
    stranger = await world.pet(owner, name="Bella")  # treated elsewhere only
    unrelated = await world.pet(owner, name="Max")
    for patient in (bella, bello, unrelated):
        await world.visit(patient, clinic)
    await world.visit(stranger, other)
    receptionist = await world.staff(clinic)

    by_typo = await search_patients(db_session, receptionist.actor, clinic.id, name="Bela")
    by_chip = await search_patients(db_session, receptionist.actor, clinic.id, microchip=CHIP)

    assert by_typo[0].id == bella.id
    assert stranger.id not in {p.id for p in by_typo}
    assert unrelated.id not in {p.id for p in by_typo}
    assert [p.id for p in by_chip] == [bella.id]


async def test_staff_cannot_search_another_clinics_patients(db_session, world):
    clinic, other = await world.clinic(), await world.clinic()
    receptionist = await world.staff(clinic)

    with pytest.raises(NotFoundException) as caught:
        await search_patients(db_session, receptionist.actor, other.id, name="Bella")
    assert caught.value.code == "CLINIC_NOT_FOUND"
    owner = await world.owner()
    with pytest.raises(NotFoundException):
        await search_patients(db_session, owner.actor, clinic.id, name="Bella")


async def test_a_partial_update_may_not_break_a_rule_across_fields(db_session, world):
    owner = await world.owner()
    pet = await world.pet(owner)  # born 2020-05-01

    with pytest.raises(BusinessRuleException) as no_age:
        await update_pet(db_session, owner.actor, pet.id, PetUpdate(birth_date=None))
    assert no_age.value.code == "AGE_REQUIRED"
    with pytest.raises(BusinessRuleException) as impossible:
        await update_pet(
            db_session,
            owner.actor,
            pet.id,
            PetUpdate(status=PetStatus.DECEASED, deceased_on=date(2019, 1, 1)),
        )
    assert impossible.value.code == "DECEASED_BEFORE_BIRTH"
