"""A pet's weight history, and the size category it implies.

The size category (toy … giant) prices grooming and boarding and picks dosage bands, so it
follows the *latest* weighing automatically; entering an old measurement afterwards does not
move it backwards.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from vet_core.models import WeightRecord
from vet_core.schemas.pets import WeightRecordCreate
from vet_core.utils.pets import size_category_from_weight
from vet_services.auth.permissions import Action, Actor, authorize
from vet_services.pets.access import load_pet_resource


async def add_weight(
    session: AsyncSession, actor: Actor, pet_id: uuid.UUID, data: WeightRecordCreate
) -> WeightRecord:
    """Record a weighing (now, unless ``measured_at`` says when) and refresh the size category."""
    pet, resource = await load_pet_resource(session, pet_id, for_update=True)
    authorize(actor, Action.PET_WRITE, resource)
    measured_at = data.measured_at or datetime.now(UTC)
    later = await session.scalar(
        select(WeightRecord.id)
        .where(WeightRecord.pet_id == pet.id, WeightRecord.measured_at > measured_at)
        .limit(1)
    )
    record = WeightRecord(
        pet_id=pet.id,
        weight_kg=data.weight_kg,
        measured_at=measured_at,
        note=data.note,
        recorded_by_id=actor.user_id,
        created_by=actor.user_id,
        updated_by=actor.user_id,
    )
    session.add(record)
    if later is None:
        pet.size_category = size_category_from_weight(data.weight_kg, pet.species.value)
        pet.updated_by = actor.user_id
    await session.flush()
    return record


async def list_weights(
    session: AsyncSession, actor: Actor, pet_id: uuid.UUID
) -> list[WeightRecord]:
    """The whole weight history, oldest first (the order a growth chart draws it)."""
    _, resource = await load_pet_resource(session, pet_id)
    authorize(actor, Action.PET_READ, resource)
    rows = await session.execute(
        select(WeightRecord)
        .where(WeightRecord.pet_id == pet_id)
        .order_by(WeightRecord.measured_at, WeightRecord.id)
    )
    return list(rows.scalars().all())


__all__ = ["add_weight", "list_weights"]
