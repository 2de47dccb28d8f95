"""Weight history, and the size category that follows the latest weighing."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from vet_core.exceptions import NotFoundException
from vet_core.models.enums import PetSizeCategory, Species
from vet_core.schemas.pets import WeightRecordCreate
from vet_services.pets.weights import add_weight, list_weights


async def test_a_weighing_sets_the_size_category(db_session, world):
    owner = await world.owner()
    pet = await world.pet(owner, species=Species.DOG)

    record = await add_weight(
        db_session, owner.actor, pet.id, WeightRecordCreate(weight_kg=Decimal("12.400"))
    )

    assert record.recorded_by_id == owner.user.id
    assert pet.size_category is PetSizeCategory.MEDIUM


async def test_an_old_measurement_entered_late_does_not_move_the_category_back(db_session, world):
    owner = await world.owner()
    pet = await world.pet(owner, species=Species.DOG)
    await add_weight(
        db_session,
        owner.actor,
        pet.id,
        WeightRecordCreate(weight_kg=Decimal("30"), measured_at=datetime(2030, 5, 1, tzinfo=UTC)),
    )
    await add_weight(
        db_session,
        owner.actor,
        pet.id,
        WeightRecordCreate(weight_kg=Decimal("3"), measured_at=datetime(2028, 1, 1, tzinfo=UTC)),
    )

    assert pet.size_category is PetSizeCategory.LARGE
    history = await list_weights(db_session, owner.actor, pet.id)
    assert [w.weight_kg for w in history] == [Decimal("3.000"), Decimal("30.000")]


async def test_strangers_neither_weigh_nor_read_the_history(db_session, world):
    pet = await world.pet(await world.owner())
    stranger = await world.owner()

    with pytest.raises(NotFoundException):
        await add_weight(db_session, stranger.actor, pet.id, WeightRecordCreate(weight_kg=1))
    with pytest.raises(NotFoundException):
        await list_weights(db_session, stranger.actor, pet.id)
