"""Soft delete: ``deleted_at`` hides rows from the helpers unless deleted rows are asked for."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from vet_core.models import Pet, User, select_active
from vet_core.models.base import SoftDeleteMixin


async def _names(db_session, statement, owner_id) -> set[str]:
    rows = await db_session.execute(statement.where(Pet.owner_id == owner_id))
    return {pet.name for pet in rows.scalars()}


async def test_select_active_leaves_deleted_rows_out_unless_asked(db_session, factory):
    owner = await factory.create(User)
    await factory.create(Pet, owner_id=owner.id, name="Kept")
    gone = await factory.create(Pet, owner_id=owner.id, name="Gone")
    gone.soft_delete()
    await db_session.flush()

    assert await _names(db_session, select_active(Pet), owner.id) == {"Kept"}
    assert await _names(db_session, select_active(Pet, include_deleted=True), owner.id) == {
        "Kept",
        "Gone",
    }
    assert await _names(db_session, select(Pet).where(Pet.not_deleted()), owner.id) == {"Kept"}
    assert await _names(db_session, select(Pet).where(Pet.is_deleted), owner.id) == {"Gone"}


async def test_is_deleted_is_derived_not_stored(db_session, factory):
    pet = await factory.create(Pet)
    assert pet.is_deleted is False
    assert "is_deleted" not in Pet.__table__.c

    pet.soft_delete()
    await db_session.flush()
    assert pet.is_deleted is True
    assert pet.deleted_at is not None
    assert pet.deleted_at.tzinfo is not None

    pet.restore()
    await db_session.flush()
    assert pet.is_deleted is False
    assert (
        await db_session.execute(select_active(Pet).where(Pet.id == pet.id))
    ).scalar_one() is pet


async def test_soft_delete_accepts_an_explicit_time(db_session, factory):
    pet = await factory.create(Pet)
    at = datetime(2031, 1, 1, tzinfo=UTC)
    pet.soft_delete(at)
    await db_session.flush()
    assert pet.deleted_at == at


async def test_a_deleted_pets_microchip_can_be_registered_again(db_session, factory):
    chip = "985141000000999"
    old = await factory.create(Pet, microchip=chip)
    old.soft_delete()
    await db_session.flush()
    new = await factory.create(Pet, microchip=chip)
    assert new.microchip == old.microchip


def test_the_mixin_is_on_the_models_that_need_it():
    assert issubclass(Pet, SoftDeleteMixin)
    assert issubclass(User, SoftDeleteMixin)
