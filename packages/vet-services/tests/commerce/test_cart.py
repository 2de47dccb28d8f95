"""The cart: one per person and clinic, priced from the catalogue, checked out into an order."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from payments.builders import Rows
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from vet_core.database.session import SessionFactory, transaction
from vet_core.exceptions import (
    BusinessRuleException,
    ConflictException,
    NotFoundException,
    PermissionDeniedException,
    SchemaValidationException,
)
from vet_core.models.commerce import Cart, CartItem, Order, Product
from vet_core.models.enums import OrderStatus, ProductType, StaffRole
from vet_core.schemas.commerce import CartCheckout
from vet_services.auth.permissions import Actor
from vet_services.commerce.cart import (
    MAX_LINES,
    checkout,
    clear_cart,
    get_cart,
    remove_item,
    set_item,
)


async def platform_product(
    rows: Rows, name: str = "Oat shampoo", unit_amount: int = 899
) -> Product:
    product: Product = await rows.add(
        Product(
            clinic_id=None,
            sku=f"PLAT-{uuid.uuid4().hex[:10]}",
            name=name,
            product_type=ProductType.SUPPLY,
            unit_amount=unit_amount,
            currency="USD",
        )
    )
    return product


async def test_a_cart_holds_quantities_and_is_priced_when_read(
    db_session: AsyncSession, rows: Rows
) -> None:
    clinic = await rows.clinic()
    owner = await rows.person()
    kibble = await rows.product(clinic, unit_amount=2_499, stock=10)
    shampoo = await platform_product(rows)

    empty = await get_cart(db_session, owner.actor, clinic.id)
    assert (empty.items, empty.currency, empty.updated_at) == ([], None, None)

    await set_item(db_session, owner.actor, clinic.id, kibble.id, 2)
    cart = await set_item(db_session, owner.actor, clinic.id, shampoo.id, 3)
    assert [(line.name, line.quantity, line.total_amount) for line in cart.items] == [
        ("Salmon Kibble 2kg", 2, 4_998),
        ("Oat shampoo", 3, 2_697),
    ]
    assert (cart.item_count, cart.subtotal_amount, cart.currency) == (5, 7_695, "USD")
    assert cart.updated_at is not None

    kibble.unit_amount = 2_000
    kibble.stock_quantity = 1
    await db_session.flush()
    repriced = await get_cart(db_session, owner.actor, clinic.id)
    assert repriced.items[0].total_amount == 4_000
    assert repriced.items[0].available is False  # only one left in stock
    assert kibble.stock_quantity == 1  # nothing is reserved before checkout

    after_zero = await set_item(db_session, owner.actor, clinic.id, shampoo.id, 0)
    assert [line.product_id for line in after_zero.items] == [kibble.id]
    after_remove = await remove_item(db_session, owner.actor, clinic.id, kibble.id)
    assert after_remove.items == []
    with pytest.raises(NotFoundException) as missing:
        await remove_item(db_session, owner.actor, clinic.id, kibble.id)
    assert missing.value.code == "CART_ITEM_NOT_FOUND"


async def test_one_cart_per_person_and_clinic(db_session: AsyncSession, rows: Rows) -> None:
    clinic, other_clinic = await rows.clinic(), await rows.clinic()
    owner, neighbour = await rows.person(), await rows.person()
    shampoo = await platform_product(rows)

    await set_item(db_session, owner.actor, clinic.id, shampoo.id, 1)
    await set_item(db_session, owner.actor, other_clinic.id, shampoo.id, 4)
    await set_item(db_session, neighbour.actor, clinic.id, shampoo.id, 2)

    assert (await get_cart(db_session, owner.actor, clinic.id)).item_count == 1
    assert (await get_cart(db_session, owner.actor, other_clinic.id)).item_count == 4
    assert (await get_cart(db_session, neighbour.actor, clinic.id)).item_count == 2
    carts = await db_session.scalar(
        select(func.count()).select_from(Cart).where(Cart.user_id == owner.user.id)
    )
    assert carts == 2

    await clear_cart(db_session, owner.actor, clinic.id)
    assert (await get_cart(db_session, owner.actor, clinic.id)).items == []
    assert (await get_cart(db_session, neighbour.actor, clinic.id)).item_count == 2


async def test_what_goes_into_a_cart_is_checked(db_session: AsyncSession, rows: Rows) -> None:
    clinic, other_clinic = await rows.clinic(), await rows.clinic()
    owner = await rows.person()
    kibble = await rows.product(clinic, stock=2)
    foreign = await rows.product(other_clinic)
    euros = await rows.product(clinic, name="Euro chews", currency="EUR")

    with pytest.raises(ConflictException) as short:
        await set_item(db_session, owner.actor, clinic.id, kibble.id, 3)
    assert short.value.code == "OUT_OF_STOCK"
    with pytest.raises(NotFoundException) as elsewhere:
        await set_item(db_session, owner.actor, clinic.id, foreign.id, 1)
    assert elsewhere.value.code == "PRODUCT_NOT_FOUND"
    await set_item(db_session, owner.actor, clinic.id, kibble.id, 1)
    with pytest.raises(BusinessRuleException) as currency:
        await set_item(db_session, owner.actor, clinic.id, euros.id, 1)
    assert currency.value.code == "CURRENCY_MISMATCH"
    with pytest.raises(SchemaValidationException):
        await set_item(db_session, owner.actor, clinic.id, kibble.id, -1)
    with pytest.raises(NotFoundException) as no_clinic:
        await get_cart(db_session, owner.actor, uuid.uuid4())
    assert no_clinic.value.code == "CLINIC_NOT_FOUND"
    key = Actor(role=None, api_key_id=uuid.uuid4(), memberships={clinic.id: StaffRole.CLINIC_ADMIN})
    with pytest.raises(PermissionDeniedException):
        await get_cart(db_session, key, clinic.id)


async def test_a_cart_holds_at_most_max_lines_products(
    db_session: AsyncSession, rows: Rows
) -> None:
    clinic = await rows.clinic()
    owner = await rows.person()
    products = [
        await rows.product(clinic, name=f"Item {n}", stock=None) for n in range(MAX_LINES + 1)
    ]
    for product in products[:MAX_LINES]:
        await set_item(db_session, owner.actor, clinic.id, product.id, 1)
    with pytest.raises(BusinessRuleException) as full:
        await set_item(db_session, owner.actor, clinic.id, products[-1].id, 1)
    assert full.value.code == "CART_FULL"
    # Changing a line already in a full cart is fine.
    changed = await set_item(db_session, owner.actor, clinic.id, products[0].id, 5)
    assert changed.item_count == MAX_LINES + 4


async def test_checkout_places_the_order_and_empties_the_cart(
    db_session: AsyncSession, rows: Rows
) -> None:
    clinic = await rows.clinic(tax_rate_bps=1_000)
    owner = await rows.person()
    kibble = await rows.product(clinic, unit_amount=2_000, stock=10)
    shampoo = await platform_product(rows, unit_amount=500)
    await set_item(db_session, owner.actor, clinic.id, kibble.id, 2)
    await set_item(db_session, owner.actor, clinic.id, shampoo.id, 1)

    order = await checkout(
        db_session,
        owner.actor,
        CartCheckout(clinic_id=clinic.id, idempotency_key="cart-checkout-1"),
    )
    assert order.status is OrderStatus.PENDING_PAYMENT
    assert sorted((i.name, i.quantity) for i in order.items) == [
        ("Oat shampoo", 1),
        ("Salmon Kibble 2kg", 2),
    ]
    assert (order.subtotal_amount, order.tax_amount, order.total_amount) == (4_500, 450, 4_950)
    assert kibble.stock_quantity == 8
    assert (await get_cart(db_session, owner.actor, clinic.id)).items == []
    lines = await db_session.scalar(
        select(func.count())
        .select_from(CartItem)
        .join(Cart, Cart.id == CartItem.cart_id)
        .where(Cart.user_id == owner.user.id)
    )
    assert lines == 0

    again = await checkout(
        db_session,
        owner.actor,
        CartCheckout(clinic_id=clinic.id, idempotency_key="cart-checkout-1"),
    )
    assert again.id == order.id
    with pytest.raises(BusinessRuleException) as empty:
        await checkout(db_session, owner.actor, CartCheckout(clinic_id=clinic.id))
    assert empty.value.code == "CART_EMPTY"


async def test_a_failed_checkout_keeps_the_cart(db_session: AsyncSession, rows: Rows) -> None:
    clinic = await rows.clinic()
    owner = await rows.person()
    kibble = await rows.product(clinic, stock=5)
    await set_item(db_session, owner.actor, clinic.id, kibble.id, 3)
    kibble.is_active = False  # withdrawn from sale after it went into the cart
    await db_session.flush()

    with pytest.raises(NotFoundException) as withdrawn:
        async with db_session.begin_nested():
            await checkout(db_session, owner.actor, CartCheckout(clinic_id=clinic.id))
    assert withdrawn.value.code == "PRODUCT_NOT_FOUND"
    cart = await get_cart(db_session, owner.actor, clinic.id)
    assert [(line.quantity, line.available) for line in cart.items] == [(3, False)]
    orders = await db_session.scalar(
        select(func.count()).select_from(Order).where(Order.user_id == owner.user.id)
    )
    assert orders == 0


async def test_two_checkouts_of_one_cart_place_one_order(
    committed_session_factory: SessionFactory,
) -> None:
    async with transaction(committed_session_factory) as session:
        rows = Rows(session)
        clinic = await rows.clinic()
        owner = await rows.person()
        kibble = await rows.product(clinic, stock=10)
        await set_item(session, owner.actor, clinic.id, kibble.id, 2)

    async def attempt() -> str:
        try:
            async with transaction(committed_session_factory) as session:
                await checkout(session, owner.actor, CartCheckout(clinic_id=clinic.id))
        except BusinessRuleException as error:
            return error.code
        return "PLACED"

    outcomes = sorted(await asyncio.gather(attempt(), attempt()))
    assert outcomes == ["CART_EMPTY", "PLACED"]
    async with transaction(committed_session_factory) as session:
        placed = await session.scalar(
            select(func.count()).select_from(Order).where(Order.user_id == owner.user.id)
        )
        stock = await session.scalar(select(Product.stock_quantity).where(Product.id == kibble.id))
    assert placed == 1
    assert stock == 8
