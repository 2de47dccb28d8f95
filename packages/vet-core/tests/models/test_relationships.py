"""Relationships never load behind the caller's back (``lazy="raise"``) but load when asked."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.exc import InvalidRequestError
from sqlalchemy.orm import selectinload

from vet_core.models import Appointment, Base, Order, OrderItem, Pet, WeightRecord


def test_every_relationship_is_lazy_raise():
    for mapper in Base.registry.mappers:
        for relationship in mapper.relationships:
            assert relationship.lazy == "raise", f"{mapper.class_.__name__}.{relationship.key}"


async def test_unloaded_relationships_raise_instead_of_querying(db_session, factory):
    appointment = await factory.create(Appointment)
    db_session.expunge_all()
    loaded = (
        await db_session.execute(select(Appointment).where(Appointment.id == appointment.id))
    ).scalar_one()
    with pytest.raises(InvalidRequestError, match="lazy='raise'"):
        _ = loaded.pet


async def test_relationships_load_eagerly_on_request(db_session, factory):
    pet = await factory.create(Pet)
    await factory.create(WeightRecord, pet_id=pet.id)
    appointment = await factory.create(Appointment, pet_id=pet.id)
    db_session.expunge_all()

    loaded = (
        await db_session.execute(
            select(Appointment)
            .where(Appointment.id == appointment.id)
            .options(
                selectinload(Appointment.pet).selectinload(Pet.weight_records),
                selectinload(Appointment.veterinarian),
                selectinload(Appointment.booked_by),
            )
        )
    ).scalar_one()
    assert loaded.pet.id == pet.id
    assert len(loaded.pet.weight_records) == 1
    assert loaded.booked_by.id == appointment.booked_by_id
    assert loaded.veterinarian.id == appointment.veterinarian_id


async def test_order_items_are_owned_by_their_order(db_session, factory):
    order = await factory.create(Order)
    order_id = order.id
    await factory.create(OrderItem, order_id=order_id)
    db_session.expunge_all()
    loaded = (
        await db_session.execute(
            select(Order).where(Order.id == order_id).options(selectinload(Order.items))
        )
    ).scalar_one()
    assert len(loaded.items) == 1
    await db_session.delete(loaded)
    await db_session.flush()
    remaining = await db_session.execute(select(OrderItem).where(OrderItem.order_id == order_id))
    assert remaining.first() is None
