"""Prescription-only products: an active prescription for the pet, then a vet's approval."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from payments.builders import Person, Rows, Vet
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from vet_core.exceptions import (
    BusinessRuleException,
    NotFoundException,
    PermissionDeniedException,
)
from vet_core.models.clinics import Clinic
from vet_core.models.commerce import Product
from vet_core.models.enums import OrderStatus, ProductType, StaffRole
from vet_core.models.outbox import OutboxEvent
from vet_core.models.pets import Pet
from vet_core.schemas.commerce import OrderCreate, OrderItemCreate
from vet_services.commerce.orders import (
    APPROVAL_REQUESTED_TOPIC,
    approve_order,
    cancel_order,
    is_awaiting_approval,
    place_order,
)


class Case:
    def __init__(self, clinic: Clinic, owner: Person, pet: Pet, vet: Vet, medicine: Product):
        self.clinic, self.owner, self.pet, self.vet, self.medicine = (
            clinic,
            owner,
            pet,
            vet,
            medicine,
        )

    def cart(self, quantity: int = 1) -> OrderCreate:
        return OrderCreate(
            clinic_id=self.clinic.id,
            currency="USD",
            items=[OrderItemCreate(product_id=self.medicine.id, quantity=quantity)],
        )


@pytest.fixture
async def case(rows: Rows) -> Case:
    clinic = await rows.clinic()
    owner = await rows.person()
    return Case(
        clinic,
        owner,
        await rows.pet(owner),
        await rows.veterinarian(clinic),
        await rows.product(
            clinic,
            name="Carprofen 75mg",
            unit_amount=1_850,
            stock=20,
            product_type=ProductType.MEDICATION,
        ),
    )


async def test_with_an_active_prescription_the_order_is_held_for_a_vet(
    db_session: AsyncSession, rows: Rows, case: Case
) -> None:
    await rows.prescription(case.pet, case.vet, "carprofen 75MG")

    order = await place_order(db_session, case.owner.actor, case.cart(2), pet_id=case.pet.id)

    assert order.status is OrderStatus.DRAFT
    assert is_awaiting_approval(order)
    assert case.medicine.stock_quantity == 18  # reserved while it waits
    job = (
        await db_session.execute(
            select(OutboxEvent).where(OutboxEvent.topic == APPROVAL_REQUESTED_TOPIC)
        )
    ).scalar_one()
    assert job.payload["pet_id"] == str(case.pet.id)

    approved = await approve_order(db_session, case.vet.person.actor, order.id, pet_id=case.pet.id)
    assert approved.status is OrderStatus.PENDING_PAYMENT
    assert not is_awaiting_approval(approved)


@pytest.mark.parametrize("prescription", ["none", "expired", "discontinued", "other drug"])
async def test_without_an_active_prescription_it_cannot_be_ordered(
    prescription: str, db_session: AsyncSession, rows: Rows, case: Case
) -> None:
    if prescription == "expired":
        yesterday = date.today() - timedelta(days=1)
        await rows.prescription(case.pet, case.vet, "Carprofen 75mg", valid_until=yesterday)
    elif prescription == "discontinued":
        await rows.prescription(case.pet, case.vet, "Carprofen 75mg", discontinued=True)
    elif prescription == "other drug":
        await rows.prescription(case.pet, case.vet, "Meloxicam")

    with pytest.raises(BusinessRuleException) as caught:
        await place_order(db_session, case.owner.actor, case.cart(), pet_id=case.pet.id)
    assert caught.value.code == "PRESCRIPTION_REQUIRED"


async def test_the_pet_must_be_named_and_be_ones_own(
    db_session: AsyncSession, rows: Rows, case: Case
) -> None:
    await rows.prescription(case.pet, case.vet, "Carprofen 75mg")
    stranger = await rows.person()

    with pytest.raises(BusinessRuleException) as caught:
        await place_order(db_session, case.owner.actor, case.cart())
    assert caught.value.code == "PRESCRIPTION_PET_REQUIRED"
    with pytest.raises(NotFoundException):
        await place_order(db_session, stranger.actor, case.cart(), pet_id=case.pet.id)


async def test_only_a_veterinarian_of_the_clinic_approves(
    db_session: AsyncSession, rows: Rows, case: Case
) -> None:
    await rows.prescription(case.pet, case.vet, "Carprofen 75mg")
    order = await place_order(db_session, case.owner.actor, case.cart(), pet_id=case.pet.id)
    receptionist = await rows.staff(case.clinic, StaffRole.RECEPTIONIST)

    with pytest.raises(PermissionDeniedException):
        await approve_order(db_session, case.owner.actor, order.id, pet_id=case.pet.id)
    with pytest.raises(PermissionDeniedException):
        await approve_order(db_session, receptionist.actor, order.id, pet_id=case.pet.id)
    assert is_awaiting_approval(order)


async def test_a_prescription_discontinued_before_approval_blocks_it(
    db_session: AsyncSession, rows: Rows, case: Case
) -> None:
    prescription = await rows.prescription(case.pet, case.vet, "Carprofen 75mg")
    order = await place_order(db_session, case.owner.actor, case.cart(), pet_id=case.pet.id)
    prescription.discontinued_at = prescription.prescribed_at
    await db_session.flush()

    with pytest.raises(BusinessRuleException) as caught:
        await approve_order(db_session, case.vet.person.actor, order.id, pet_id=case.pet.id)
    assert caught.value.code == "PRESCRIPTION_REQUIRED"


async def test_a_vet_rejecting_a_held_order_cancels_it_and_releases_stock(
    db_session: AsyncSession, rows: Rows, case: Case
) -> None:
    await rows.prescription(case.pet, case.vet, "Carprofen 75mg")
    order = await place_order(db_session, case.owner.actor, case.cart(5), pet_id=case.pet.id)

    await cancel_order(db_session, case.vet.person.actor, order.id)
    await db_session.refresh(case.medicine)

    assert order.status is OrderStatus.CANCELLED
    assert case.medicine.stock_quantity == 20
