"""Orders: price snapshots, tax, stock reserved atomically, and the order's life."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from payments.builders import Person, Rows
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from vet_core.database.session import SessionFactory, transaction
from vet_core.exceptions import (
    BusinessRuleException,
    ConflictException,
    NotFoundException,
    VetCoreException,
)
from vet_core.models.commerce import Order, OrderItem, Product
from vet_core.models.enums import OrderStatus, StaffRole
from vet_core.schemas.commerce import OrderCreate, OrderItemCreate, ProductUpdate
from vet_services.commerce.catalog import update_product
from vet_services.commerce.orders import cancel_order, fulfil_order, place_order, tax_for


def cart(clinic_id: uuid.UUID, *lines: tuple[Product, int], key: str | None = None) -> OrderCreate:
    return OrderCreate(
        clinic_id=clinic_id,
        currency="USD",
        items=[OrderItemCreate(product_id=p.id, quantity=q) for p, q in lines],
        idempotency_key=key,
    )


async def test_an_order_snapshots_prices_and_adds_the_clinic_tax(
    db_session: AsyncSession, rows: Rows
) -> None:
    clinic = await rows.clinic(tax_rate_bps=825)
    admin = await rows.staff(clinic, StaffRole.CLINIC_ADMIN)
    owner = await rows.person()
    kibble = await rows.product(clinic, unit_amount=2_499, stock=10)
    toy = await rows.product(clinic, name="Rope toy", unit_amount=650, stock=None)

    order = await place_order(db_session, owner.actor, cart(clinic.id, (kibble, 3), (toy, 1)))
    await update_product(db_session, admin.actor, kibble.id, ProductUpdate(unit_amount=2_999))

    assert order.status is OrderStatus.PENDING_PAYMENT
    assert order.subtotal_amount == 3 * 2_499 + 650
    assert order.tax_amount == tax_for(8_147, 825) == 672  # 8.25 % of 81.47, half up
    assert order.total_amount == 8_147 + 672
    lines = {item.name: (item.unit_amount, item.quantity) for item in order.items}
    assert lines == {"Salmon Kibble 2kg": (2_499, 3), "Rope toy": (650, 1)}
    assert kibble.stock_quantity == 7


async def test_the_same_idempotency_key_places_one_order(
    db_session: AsyncSession, rows: Rows
) -> None:
    clinic = await rows.clinic()
    owner = await rows.person()
    kibble = await rows.product(clinic, stock=5)

    first = await place_order(
        db_session, owner.actor, cart(clinic.id, (kibble, 2), key="cart-0001")
    )
    again = await place_order(
        db_session, owner.actor, cart(clinic.id, (kibble, 2), key="cart-0001")
    )

    assert again.id == first.id
    assert kibble.stock_quantity == 3


async def test_an_order_for_more_than_is_in_stock_is_out_of_stock(
    db_session: AsyncSession, rows: Rows
) -> None:
    clinic = await rows.clinic()
    owner = await rows.person()
    kibble = await rows.product(clinic, stock=2)

    with pytest.raises(ConflictException) as caught:
        await place_order(db_session, owner.actor, cart(clinic.id, (kibble, 3)))
    assert caught.value.code == "OUT_OF_STOCK"
    assert caught.value.details == {"product_id": str(kibble.id), "requested": 3}


async def test_cancelling_puts_the_stock_back_and_paid_orders_are_refunded_instead(
    db_session: AsyncSession, rows: Rows
) -> None:
    clinic = await rows.clinic()
    owner = await rows.person()
    kibble = await rows.product(clinic, stock=4)
    order = await place_order(db_session, owner.actor, cart(clinic.id, (kibble, 4)))

    await cancel_order(db_session, owner.actor, order.id)
    await db_session.refresh(kibble)

    assert order.status is OrderStatus.CANCELLED
    assert kibble.stock_quantity == 4
    with pytest.raises(BusinessRuleException) as caught:
        await cancel_order(db_session, owner.actor, order.id)
    assert caught.value.code == "ORDER_TRANSITION_INVALID"


async def test_only_a_paid_order_is_fulfilled_by_the_clinic(
    db_session: AsyncSession, rows: Rows
) -> None:
    clinic = await rows.clinic()
    owner = await rows.person()
    tech = await rows.staff(clinic, StaffRole.VET_TECH)
    order = await place_order(
        db_session, owner.actor, cart(clinic.id, (await rows.product(clinic), 1))
    )

    with pytest.raises(BusinessRuleException):
        await fulfil_order(db_session, tech.actor, order.id)
    order.status = OrderStatus.PAID  # as the payment webhook leaves it
    await fulfil_order(db_session, tech.actor, order.id)
    assert order.status is OrderStatus.FULFILLED


async def _order_in_own_transaction(
    factory: SessionFactory, buyer: Person, clinic_id: uuid.UUID, product: Product
) -> str:
    try:
        async with transaction(factory) as session:
            await place_order(session, buyer.actor, cart(clinic_id, (product, 1)))
    except VetCoreException as error:
        return error.code
    return "ORDERED"


async def test_thirty_concurrent_orders_for_the_last_ten_units_sell_exactly_ten(
    committed_session_factory: SessionFactory,
) -> None:
    async with transaction(committed_session_factory) as session:
        rows = Rows(session)
        clinic = await rows.clinic()
        product = await rows.product(clinic, name="Last-call kibble", stock=10)
        buyers = [await rows.person() for _ in range(30)]

    outcomes = await asyncio.gather(
        *(
            _order_in_own_transaction(committed_session_factory, buyer, clinic.id, product)
            for buyer in buyers
        )
    )

    assert outcomes.count("ORDERED") == 10
    assert outcomes.count("OUT_OF_STOCK") == 20
    async with transaction(committed_session_factory) as session:
        stock = await session.scalar(select(Product.stock_quantity).where(Product.id == product.id))
        sold = await session.scalar(
            select(func.coalesce(func.sum(OrderItem.quantity), 0)).where(
                OrderItem.product_id == product.id
            )
        )
        orders = await session.scalar(select(func.count()).select_from(Order))
    assert (stock, sold, orders) == (0, 10, 10)


async def test_an_order_may_name_only_ones_own_appointment_at_that_clinic(
    db_session: AsyncSession, rows: Rows
) -> None:
    clinic, other_clinic = await rows.clinic(), await rows.clinic()
    owner, stranger = await rows.person(), await rows.person()
    visit = await rows.appointment(await rows.pet(owner), await rows.veterinarian(clinic), clinic)
    kibble = await rows.product(clinic)
    elsewhere = await rows.product(other_clinic)

    def for_visit(clinic_id: uuid.UUID, product: Product) -> OrderCreate:
        return cart(clinic_id, (product, 1)).model_copy(update={"appointment_id": visit.id})

    order = await place_order(db_session, owner.actor, for_visit(clinic.id, kibble))
    assert order.appointment_id == visit.id
    for actor, data in (
        (stranger.actor, for_visit(clinic.id, kibble)),
        (owner.actor, for_visit(other_clinic.id, elsewhere)),
    ):
        with pytest.raises(NotFoundException) as caught:
            await place_order(db_session, actor, data)
        assert caught.value.code == "APPOINTMENT_NOT_FOUND"
