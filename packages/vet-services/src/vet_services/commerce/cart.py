"""The shop's cart, kept on the server: one per person and clinic, checked out into an order.

Products belong to one clinic or are offered platform-wide, and an order is placed at one
clinic, so a person has a cart per clinic they shop at. A line holds a product and a quantity
only; it is priced from today's catalogue whenever the cart is read, and prices are snapshotted
when it becomes an order. Putting a product in the cart checks that it is on sale at the clinic,
priced in the cart's currency and (if stocked) that enough is in stock *now*; stock is reserved
only at checkout, by :func:`vet_services.commerce.orders.place_order`, which also re-checks
everything (a product may have been withdrawn since). Checkout empties the cart in the same
transaction, so an order placed is never left in the cart, and an order that fails leaves the
cart as it was.

Every function takes the caller's :class:`~vet_services.auth.permissions.Actor`: a cart is a
signed-in person's own, an API key has none.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from vet_core.exceptions import (
    BusinessRuleException,
    ConflictException,
    NotFoundException,
    PermissionDeniedException,
    SchemaValidationException,
)
from vet_core.models.clinics import Clinic
from vet_core.models.commerce import Cart, CartItem, Order, Product
from vet_core.schemas.commerce import CartCheckout, OrderCreate, OrderItemCreate
from vet_services.auth.permissions import Actor
from vet_services.commerce.orders import earlier_order, place_order, products_on_sale

#: Most lines a cart (and so an order) may hold.
MAX_LINES = 100
#: Most units of one product on a line.
MAX_QUANTITY = 10_000


@dataclass(frozen=True, slots=True)
class CartLine:
    """A line of a cart, priced from the catalogue as it is now."""

    product_id: uuid.UUID
    name: str
    unit_amount: int
    currency: str
    quantity: int
    total_amount: int
    available: bool
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class CartView:
    """A person's cart at one clinic (empty when they never put anything in it)."""

    clinic_id: uuid.UUID
    user_id: uuid.UUID
    currency: str | None
    items: list[CartLine]
    item_count: int
    subtotal_amount: int
    updated_at: datetime | None


def _shopper(actor: Actor) -> uuid.UUID:
    if actor.user_id is None:
        raise PermissionDeniedException(
            "Only a signed-in person has a cart, not an API key", code="CART_NOT_ALLOWED"
        )
    return actor.user_id


async def _live_clinic(session: AsyncSession, clinic_id: uuid.UUID) -> Clinic:
    clinic = (
        await session.execute(
            select(Clinic).where(Clinic.id == clinic_id, Clinic.deleted_at.is_(None))
        )
    ).scalar_one_or_none()
    if clinic is None:
        raise NotFoundException("Clinic not found", code="CLINIC_NOT_FOUND")
    return clinic


async def _find_cart(
    session: AsyncSession, user_id: uuid.UUID, clinic_id: uuid.UUID, *, lock: bool = False
) -> Cart | None:
    query = select(Cart).where(Cart.user_id == user_id, Cart.clinic_id == clinic_id)
    if lock:
        query = query.with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


async def _locked_cart(session: AsyncSession, user_id: uuid.UUID, clinic_id: uuid.UUID) -> Cart:
    """The person's cart at the clinic, created if needed, locked until the transaction ends.

    Concurrent changes to one cart queue on this lock, so two requests cannot both take the
    last free line or check the same cart out twice.
    """
    await session.execute(
        insert(Cart)
        .values(user_id=user_id, clinic_id=clinic_id)
        .on_conflict_do_nothing(index_elements=[Cart.user_id, Cart.clinic_id])
    )
    cart = await _find_cart(session, user_id, clinic_id, lock=True)
    assert cart is not None  # inserted above or already there
    return cart


async def _touch(session: AsyncSession, cart: Cart) -> None:
    """Mark the cart changed (the trigger stamps ``updated_at``)."""
    await session.execute(
        update(Cart)
        .where(Cart.id == cart.id)
        .values(updated_at=func.now())
        .execution_options(synchronize_session=False)
    )


def _on_sale_at(product: Product, clinic_id: uuid.UUID) -> bool:
    return (
        product.deleted_at is None
        and product.is_active
        and (product.clinic_id is None or product.clinic_id == clinic_id)
    )


async def _view(
    session: AsyncSession, user_id: uuid.UUID, clinic_id: uuid.UUID, cart: Cart | None
) -> CartView:
    rows: list[tuple[CartItem, Product]] = []
    if cart is not None:
        rows = list(
            await session.execute(
                select(CartItem, Product)
                .join(Product, Product.id == CartItem.product_id)
                .where(CartItem.cart_id == cart.id)
                .order_by(CartItem.created_at, CartItem.id)
                .execution_options(populate_existing=True)
            )
        )
    lines = [
        CartLine(
            product_id=product.id,
            name=product.name,
            unit_amount=product.unit_amount,
            currency=product.currency,
            quantity=item.quantity,
            total_amount=product.unit_amount * item.quantity,
            available=_on_sale_at(product, clinic_id)
            and (product.stock_quantity is None or product.stock_quantity >= item.quantity),
            updated_at=item.updated_at,
        )
        for item, product in rows
    ]
    touched = None
    if cart is not None:
        await session.refresh(cart, ["updated_at"])
        touched = max([cart.updated_at, *(line.updated_at for line in lines)])
    return CartView(
        clinic_id=clinic_id,
        user_id=user_id,
        currency=lines[0].currency if lines else None,
        items=lines,
        item_count=sum(line.quantity for line in lines),
        subtotal_amount=sum(line.total_amount for line in lines),
        updated_at=touched,
    )


async def get_cart(session: AsyncSession, actor: Actor, clinic_id: uuid.UUID) -> CartView:
    """The caller's cart at the clinic, priced now; empty if they never filled one."""
    user_id = _shopper(actor)
    await _live_clinic(session, clinic_id)
    return await _view(session, user_id, clinic_id, await _find_cart(session, user_id, clinic_id))


async def set_item(
    session: AsyncSession,
    actor: Actor,
    clinic_id: uuid.UUID,
    product_id: uuid.UUID,
    quantity: int,
) -> CartView:
    """Hold ``quantity`` of the product in the caller's cart at the clinic (``0`` removes it).

    Refused: a product not on sale there (404 ``PRODUCT_NOT_FOUND``), priced in another
    currency than the cart's lines (422 ``CURRENCY_MISMATCH``), more than is in stock (409
    ``OUT_OF_STOCK``) or a line beyond :data:`MAX_LINES` (422 ``CART_FULL``).
    """
    user_id = _shopper(actor)
    if isinstance(quantity, bool) or not 0 <= quantity <= MAX_QUANTITY:
        raise SchemaValidationException(
            f"quantity must be a whole number from 0 to {MAX_QUANTITY}",
            details={"field": "quantity"},
        )
    await _live_clinic(session, clinic_id)
    if quantity == 0:
        cart = await _find_cart(session, user_id, clinic_id, lock=True)
        if cart is not None:
            await _delete_line(session, cart, product_id)
        return await _view(session, user_id, clinic_id, cart)

    product = (await products_on_sale(session, clinic_id, [product_id]))[product_id]
    if product.stock_quantity is not None and product.stock_quantity < quantity:
        raise ConflictException(
            f"Only {product.stock_quantity} of {product.name} are in stock",
            details={
                "product_id": str(product.id),
                "requested": quantity,
                "available": product.stock_quantity,
            },
            code="OUT_OF_STOCK",
        )
    cart = await _locked_cart(session, user_id, clinic_id)
    lines = list(
        await session.execute(
            select(CartItem.product_id, Product.currency)
            .join(Product, Product.id == CartItem.product_id)
            .where(CartItem.cart_id == cart.id)
        )
    )
    others = {pid: currency for pid, currency in lines if pid != product_id}
    currencies = set(others.values())
    if currencies and product.currency not in currencies:
        raise BusinessRuleException(
            f"This cart is in {', '.join(sorted(currencies))}; {product.name} is sold in "
            f"{product.currency}",
            details={"product_id": str(product.id), "cart_currency": sorted(currencies)},
            code="CURRENCY_MISMATCH",
        )
    if product_id not in dict(lines) and len(lines) >= MAX_LINES:
        raise BusinessRuleException(
            f"A cart holds at most {MAX_LINES} different products",
            details={"max_lines": MAX_LINES},
            code="CART_FULL",
        )
    await session.execute(
        insert(CartItem)
        .values(cart_id=cart.id, product_id=product_id, quantity=quantity)
        .on_conflict_do_update(
            index_elements=[CartItem.cart_id, CartItem.product_id],
            set_={"quantity": quantity},
        )
    )
    await _touch(session, cart)
    return await _view(session, user_id, clinic_id, cart)


async def _delete_line(session: AsyncSession, cart: Cart, product_id: uuid.UUID) -> bool:
    deleted = await session.execute(
        delete(CartItem)
        .where(CartItem.cart_id == cart.id, CartItem.product_id == product_id)
        .returning(CartItem.id)
    )
    if deleted.first() is None:
        return False
    await _touch(session, cart)
    return True


async def remove_item(
    session: AsyncSession, actor: Actor, clinic_id: uuid.UUID, product_id: uuid.UUID
) -> CartView:
    """Take the product out of the caller's cart; ``CART_ITEM_NOT_FOUND`` (404) if not in it."""
    user_id = _shopper(actor)
    await _live_clinic(session, clinic_id)
    cart = await _find_cart(session, user_id, clinic_id, lock=True)
    if cart is None or not await _delete_line(session, cart, product_id):
        raise NotFoundException(
            "The product is not in the cart",
            details={"product_id": str(product_id)},
            code="CART_ITEM_NOT_FOUND",
        )
    return await _view(session, user_id, clinic_id, cart)


async def clear_cart(session: AsyncSession, actor: Actor, clinic_id: uuid.UUID) -> None:
    """Empty the caller's cart at the clinic (an empty or missing cart stays empty)."""
    user_id = _shopper(actor)
    await _live_clinic(session, clinic_id)
    await session.execute(delete(Cart).where(Cart.user_id == user_id, Cart.clinic_id == clinic_id))


async def checkout(session: AsyncSession, actor: Actor, data: CartCheckout) -> Order:
    """Place the caller's cart at ``data.clinic_id`` as an order and empty the cart.

    Prices are snapshotted, stock reserved and prescriptions checked exactly as for any order
    (:func:`~vet_services.commerce.orders.place_order`). With ``idempotency_key``, a repeat
    returns the order placed the first time (the cart is not touched again). An empty cart is
    ``CART_EMPTY`` (422).
    """
    user_id = _shopper(actor)
    earlier = await earlier_order(session, actor, data.idempotency_key)
    if earlier is not None:
        return earlier
    await _live_clinic(session, data.clinic_id)
    cart = await _find_cart(session, user_id, data.clinic_id, lock=True)
    lines: list[tuple[uuid.UUID, int, str]] = []
    if cart is not None:
        lines = list(
            await session.execute(
                select(CartItem.product_id, CartItem.quantity, Product.currency)
                .join(Product, Product.id == CartItem.product_id)
                .where(CartItem.cart_id == cart.id)
                .order_by(CartItem.created_at, CartItem.id)
            )
        )
    if cart is None or not lines:
        raise BusinessRuleException(
            "The cart is empty", details={"clinic_id": str(data.clinic_id)}, code="CART_EMPTY"
        )
    order = await place_order(
        session,
        actor,
        OrderCreate(
            clinic_id=data.clinic_id,
            appointment_id=data.appointment_id,
            currency=lines[0][2],
            items=[OrderItemCreate(product_id=pid, quantity=qty) for pid, qty, _ in lines],
            idempotency_key=data.idempotency_key,
        ),
        pet_id=data.pet_id,
    )
    await session.execute(delete(Cart).where(Cart.id == cart.id))
    return order


__all__ = [
    "MAX_LINES",
    "MAX_QUANTITY",
    "CartLine",
    "CartView",
    "checkout",
    "clear_cart",
    "get_cart",
    "remove_item",
    "set_item",
]
