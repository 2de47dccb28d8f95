"""Orders: a cart becomes an order with price snapshots, and stock is reserved atomically.

Stock is reserved by one conditional statement per product,
``UPDATE products SET stock_quantity = stock_quantity - :q WHERE id = :id AND
stock_quantity >= :q RETURNING …``: the row lock it takes makes concurrent orders queue on the
product, and each re-checks the condition against the committed stock, so however many orders
race for the last units, exactly as many units are sold as there were. An order that cannot
be served raises ``OUT_OF_STOCK`` and the caller's rollback returns whatever it had reserved.
Products are reserved in id order, so two carts never wait on each other in a cycle.

Prescription-only products (see :mod:`vet_services.commerce.catalog`) need an active
prescription for the pet, naming the product; such an order is *held*: it stays ``draft``
(with ``placed_at`` set) until a veterinarian of the clinic approves it, and only then can it
be paid. The states:

    draft (held) ──approve──▶ pending_payment ──paid (webhook)──▶ paid ──▶ fulfilled
       │                          │                               │          │
       └──────cancel──────────────┴──▶ cancelled (stock back)     └─refund───┴──▶ refunded
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from vet_core.exceptions import (
    BusinessRuleException,
    ConflictException,
    NotFoundException,
    PermissionDeniedException,
)
from vet_core.models.clinical import Prescription
from vet_core.models.clinics import Clinic
from vet_core.models.commerce import Order, OrderItem, Product
from vet_core.models.enums import AuditAction, OrderStatus
from vet_core.models.pets import PetOwnership
from vet_core.models.scheduling import Appointment
from vet_core.schemas.commerce import OrderCreate
from vet_core.utils.time import utcnow
from vet_services.audit import record_change, snapshot
from vet_services.auth.permissions import Action, Actor, Resource, authorize
from vet_services.commerce.catalog import is_prescription_only
from vet_services.outbox import enqueue

APPROVAL_REQUESTED_TOPIC = "commerce.prescription_approval_requested"
ORDER_APPROVED_TOPIC = "commerce.order_approved"
ORDER_CANCELLED_TOPIC = "commerce.order_cancelled"

#: Which status may follow which; anything else is ``ORDER_TRANSITION_INVALID``.
TRANSITIONS: dict[OrderStatus, frozenset[OrderStatus]] = {
    OrderStatus.DRAFT: frozenset({OrderStatus.PENDING_PAYMENT, OrderStatus.CANCELLED}),
    OrderStatus.PENDING_PAYMENT: frozenset({OrderStatus.PAID, OrderStatus.CANCELLED}),
    OrderStatus.PAID: frozenset({OrderStatus.FULFILLED, OrderStatus.REFUNDED}),
    OrderStatus.FULFILLED: frozenset({OrderStatus.REFUNDED}),
    OrderStatus.CANCELLED: frozenset(),
    OrderStatus.REFUNDED: frozenset(),
}

_BASIS_POINTS = 10_000


def _order_not_found() -> NotFoundException:
    return NotFoundException("Order not found", code="ORDER_NOT_FOUND")


def is_awaiting_approval(order: Order) -> bool:
    """A placed order held until a veterinarian approves its prescription-only items."""
    return order.status is OrderStatus.DRAFT and order.placed_at is not None


def tax_for(subtotal: int, rate_basis_points: int) -> int:
    """Tax in minor units, rounded half up (``rate_basis_points``: 825 is 8.25 %)."""
    return (subtotal * rate_basis_points + _BASIS_POINTS // 2) // _BASIS_POINTS


def clinic_tax_rate(clinic: Clinic) -> int:
    """The clinic's sales tax rate in basis points (``settings.commerce.tax_rate_bps``, 0)."""
    commerce = (clinic.settings or {}).get("commerce") or {}
    rate = commerce.get("tax_rate_bps", 0)
    return rate if isinstance(rate, int) and 0 <= rate <= _BASIS_POINTS else 0


def _check_transition(order: Order, target: OrderStatus) -> None:
    if target not in TRANSITIONS[order.status]:
        raise BusinessRuleException(
            f"An order that is {order.status.value} cannot become {target.value}",
            details={"from": order.status.value, "to": target.value},
            code="ORDER_TRANSITION_INVALID",
        )


async def _owns_pet(session: AsyncSession, user_id: uuid.UUID, pet_id: uuid.UUID) -> bool:
    found = await session.execute(
        select(PetOwnership.id).where(
            PetOwnership.pet_id == pet_id,
            PetOwnership.user_id == user_id,
            PetOwnership.ended_at.is_(None),
        )
    )
    return found.first() is not None


async def _require_prescriptions(
    session: AsyncSession, pet_id: uuid.UUID, products: Iterable[Product], today: date
) -> None:
    """Every product must be named by an active prescription of the pet, or it is refused."""
    for product in products:
        found = await session.execute(
            select(Prescription.id).where(
                Prescription.pet_id == pet_id,
                Prescription.deleted_at.is_(None),
                Prescription.discontinued_at.is_(None),
                (Prescription.valid_until.is_(None)) | (Prescription.valid_until >= today),
                func.lower(func.btrim(Prescription.medication_name))
                == product.name.strip().lower(),
            )
        )
        if found.first() is None:
            raise BusinessRuleException(
                f"{product.name} needs an active prescription for this pet",
                details={"product_id": str(product.id), "pet_id": str(pet_id)},
                code="PRESCRIPTION_REQUIRED",
            )


async def reserve_stock(session: AsyncSession, product: Product, quantity: int) -> None:
    """Take ``quantity`` units of a stocked product, atomically, or raise ``OUT_OF_STOCK``."""
    if product.stock_quantity is None:
        return  # not stocked (a service): always available
    left = (
        await session.execute(
            update(Product)
            .where(Product.id == product.id, Product.stock_quantity >= quantity)
            .values(stock_quantity=Product.stock_quantity - quantity)
            .returning(Product.stock_quantity)
            .execution_options(synchronize_session=False)
        )
    ).scalar_one_or_none()
    if left is None:
        raise ConflictException(
            f"{product.name} is out of stock",
            details={"product_id": str(product.id), "requested": quantity},
            code="OUT_OF_STOCK",
        )
    product.stock_quantity = left


async def _release_stock(session: AsyncSession, items: Iterable[OrderItem]) -> None:
    for item in sorted(items, key=lambda i: str(i.product_id)):
        if item.product_id is None:
            continue
        await session.execute(
            update(Product)
            .where(Product.id == item.product_id, Product.stock_quantity.is_not(None))
            .values(stock_quantity=Product.stock_quantity + item.quantity)
            .execution_options(synchronize_session=False)
        )


async def _load_order(
    session: AsyncSession, order_id: uuid.UUID, *, lock: bool = False
) -> Order | None:
    query = select(Order).where(Order.id == order_id).options(selectinload(Order.items))
    if lock:
        query = query.with_for_update(of=Order)
    return (await session.execute(query)).scalar_one_or_none()


def _visible(actor: Actor, order: Order) -> bool:
    return (
        actor.is_platform_admin
        or actor.user_id == order.user_id
        or order.clinic_id in actor.staff_clinic_ids()
    )


async def get_order(session: AsyncSession, actor: Actor, order_id: uuid.UUID) -> Order:
    """An order with its items, for its customer and the clinic's staff."""
    order = await _load_order(session, order_id)
    if order is None or not _visible(actor, order):
        raise _order_not_found()
    return order


async def list_my_orders(
    session: AsyncSession, actor: Actor, *, limit: int = 50, offset: int = 0
) -> list[Order]:
    """The caller's orders, newest first."""
    query = (
        select(Order)
        .where(Order.user_id == actor.user_id)
        .options(selectinload(Order.items))
        .order_by(Order.created_at.desc(), Order.id.desc())
        .limit(max(1, min(limit, 200)))
        .offset(offset)
    )
    return list((await session.execute(query)).scalars())


async def _check_prescribed(
    session: AsyncSession, user_id: uuid.UUID, pet_id: uuid.UUID | None, products: list[Product]
) -> None:
    """Prescription-only products are ordered for one's own pet with active prescriptions."""
    if pet_id is None:
        raise BusinessRuleException(
            "Prescription-only products are ordered for a pet",
            details={"field": "pet_id"},
            code="PRESCRIPTION_PET_REQUIRED",
        )
    if not await _owns_pet(session, user_id, pet_id):
        raise NotFoundException("Pet not found", code="PET_NOT_FOUND")
    await _require_prescriptions(session, pet_id, products, utcnow().date())


async def _check_appointment(
    session: AsyncSession, user_id: uuid.UUID, clinic_id: uuid.UUID, appointment_id: uuid.UUID
) -> None:
    """An order may name one of the customer's own appointments at the same clinic."""
    appointment = (
        await session.execute(
            select(Appointment).where(
                Appointment.id == appointment_id, Appointment.deleted_at.is_(None)
            )
        )
    ).scalar_one_or_none()
    related = appointment is not None and (
        appointment.booked_by_id == user_id or await _owns_pet(session, user_id, appointment.pet_id)
    )
    if appointment is None or not related or appointment.clinic_id != clinic_id:
        raise NotFoundException("Appointment not found", code="APPOINTMENT_NOT_FOUND")


async def products_on_sale(
    session: AsyncSession, clinic_id: uuid.UUID, wanted: Iterable[uuid.UUID]
) -> dict[uuid.UUID, Product]:
    """The wanted products, each active and sold at the clinic (its own or platform-wide);
    ``PRODUCT_NOT_FOUND`` (404) names those that are not."""
    wanted = list(wanted)
    products = {
        p.id: p
        for p in (
            await session.execute(
                select(Product).where(
                    Product.id.in_(wanted),
                    Product.deleted_at.is_(None),
                    Product.is_active.is_(True),
                    (Product.clinic_id == clinic_id) | Product.clinic_id.is_(None),
                )
            )
        ).scalars()
    }
    missing = [str(pid) for pid in wanted if pid not in products]
    if missing:
        raise NotFoundException(
            "Some products are not on sale here",
            details={"product_ids": missing},
            code="PRODUCT_NOT_FOUND",
        )
    return products


async def _products_on_sale(
    session: AsyncSession, clinic: Clinic, currency: str, wanted: Iterable[uuid.UUID]
) -> dict[uuid.UUID, Product]:
    """The wanted products, each active, sold at ``clinic`` and priced in ``currency``."""
    products = await products_on_sale(session, clinic.id, wanted)
    wrong_currency = [str(p.id) for p in products.values() if p.currency != currency]
    if wrong_currency:
        raise BusinessRuleException(
            f"Some products are not sold in {currency}",
            details={"product_ids": wrong_currency},
            code="CURRENCY_MISMATCH",
        )
    return products


async def earlier_order(
    session: AsyncSession, actor: Actor, idempotency_key: str | None
) -> Order | None:
    """The order already placed with ``idempotency_key`` by ``actor`` (``None``: none yet).

    The key is unique across customers: someone else's raises ``IDEMPOTENCY_KEY_REUSED``.
    """
    if idempotency_key is None:
        return None
    earlier = (
        await session.execute(
            select(Order)
            .where(Order.idempotency_key == idempotency_key)
            .options(selectinload(Order.items))
        )
    ).scalar_one_or_none()
    if earlier is not None and earlier.user_id != actor.user_id:
        raise ConflictException(
            "The idempotency key was already used", code="IDEMPOTENCY_KEY_REUSED"
        )
    return earlier


async def place_order(
    session: AsyncSession, actor: Actor, data: OrderCreate, *, pet_id: uuid.UUID | None = None
) -> Order:
    """Turn a cart into an order: snapshot prices, reserve stock, total with the clinic's tax.

    ``pet_id`` names the pet prescription-only products are for. The same
    ``idempotency_key`` placed twice returns the first order. The shop's cart checks out
    through here (:func:`vet_services.commerce.cart.checkout`).
    """
    if actor.user_id is None:
        raise BusinessRuleException("Only a signed-in person can order", code="ORDER_NOT_ALLOWED")
    earlier = await earlier_order(session, actor, data.idempotency_key)
    if earlier is not None:
        return earlier

    clinic = (
        await session.execute(
            select(Clinic).where(Clinic.id == data.clinic_id, Clinic.deleted_at.is_(None))
        )
    ).scalar_one_or_none()
    if clinic is None:
        raise NotFoundException("Clinic not found", code="CLINIC_NOT_FOUND")

    if data.appointment_id is not None:
        await _check_appointment(session, actor.user_id, clinic.id, data.appointment_id)

    wanted = {item.product_id: item.quantity for item in data.items}
    products = await _products_on_sale(session, clinic, data.currency, wanted)

    prescribed = [p for p in products.values() if is_prescription_only(p)]
    if prescribed:
        await _check_prescribed(session, actor.user_id, pet_id, prescribed)

    for product_id in sorted(wanted, key=str):
        await reserve_stock(session, products[product_id], wanted[product_id])

    items = [
        OrderItem(
            product_id=product.id,
            name=product.name,
            unit_amount=product.unit_amount,
            quantity=wanted[product.id],
            total_amount=product.unit_amount * wanted[product.id],
        )
        for product in (products[item.product_id] for item in data.items)
    ]
    subtotal = sum(item.total_amount for item in items)
    tax = tax_for(subtotal, clinic_tax_rate(clinic))
    order = Order(
        user_id=actor.user_id,
        clinic_id=clinic.id,
        appointment_id=data.appointment_id,
        status=OrderStatus.DRAFT if prescribed else OrderStatus.PENDING_PAYMENT,
        currency=data.currency,
        subtotal_amount=subtotal,
        tax_amount=tax,
        discount_amount=0,
        total_amount=subtotal + tax,
        placed_at=utcnow(),
        idempotency_key=data.idempotency_key,
        created_by=actor.user_id,
        updated_by=actor.user_id,
        items=items,
    )
    session.add(order)
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError as error:
        if "idempotency_key" in str(error.orig):
            raise ConflictException(
                "This order is being placed already", code="ORDER_ALREADY_PLACED"
            ) from error
        raise
    after = snapshot(order)
    after["pet_id"] = str(pet_id) if pet_id else None
    await record_change(session, actor, AuditAction.CREATE, "order", order.id, after=after)
    if prescribed:
        await enqueue(
            session,
            APPROVAL_REQUESTED_TOPIC,
            {"order_id": str(order.id), "clinic_id": str(clinic.id), "pet_id": str(pet_id)},
            dedup_key=f"order-approval:{order.id}",
        )
    return order


async def _set_status(
    session: AsyncSession, actor: Actor | None, order: Order, target: OrderStatus
) -> None:
    _check_transition(order, target)
    before = snapshot(order, ["status"])
    order.status = target
    if actor is not None:
        order.updated_by = actor.user_id
    await session.flush()
    await record_change(
        session,
        actor,
        AuditAction.UPDATE,
        "order",
        order.id,
        before=before,
        after=snapshot(order, ["status"]),
    )


async def approve_order(
    session: AsyncSession, actor: Actor, order_id: uuid.UUID, *, pet_id: uuid.UUID
) -> Order:
    """A veterinarian of the clinic releases a held order for payment.

    The prescriptions are checked again: one may have been discontinued since the order.
    """
    order = await _load_order(session, order_id, lock=True)
    if order is None:
        raise _order_not_found()
    authorize(
        actor,
        Action.PRESCRIPTION_WRITE,
        Resource.of("order", order.id, owners=[order.user_id], clinics=[order.clinic_id]),
    )
    if not is_awaiting_approval(order):
        raise BusinessRuleException(
            "The order is not awaiting approval",
            details={"status": order.status.value},
            code="ORDER_NOT_AWAITING_APPROVAL",
        )
    if not await _owns_pet(session, order.user_id, pet_id):
        raise NotFoundException("Pet not found", code="PET_NOT_FOUND")
    product_ids = [item.product_id for item in order.items if item.product_id is not None]
    products = (await session.execute(select(Product).where(Product.id.in_(product_ids)))).scalars()
    await _require_prescriptions(
        session, pet_id, [p for p in products if is_prescription_only(p)], utcnow().date()
    )
    await _set_status(session, actor, order, OrderStatus.PENDING_PAYMENT)
    await enqueue(
        session,
        ORDER_APPROVED_TOPIC,
        {"order_id": str(order.id), "approved_by": str(actor.user_id)},
        dedup_key=f"order-approved:{order.id}",
    )
    return order


async def cancel_order(session: AsyncSession, actor: Actor, order_id: uuid.UUID) -> Order:
    """Cancel an unpaid order (its customer, or the clinic rejecting it); stock goes back.

    A paid order is refunded instead (:func:`vet_services.payments.service.refund_payment`).
    """
    order = await _load_order(session, order_id, lock=True)
    if order is None or not _visible(actor, order):
        raise _order_not_found()
    _check_transition(order, OrderStatus.CANCELLED)
    await _release_stock(session, order.items)
    await _set_status(session, actor, order, OrderStatus.CANCELLED)
    await enqueue(
        session,
        ORDER_CANCELLED_TOPIC,
        {"order_id": str(order.id)},
        dedup_key=f"order-cancelled:{order.id}",
    )
    return order


async def fulfil_order(session: AsyncSession, actor: Actor, order_id: uuid.UUID) -> Order:
    """Clinic staff hand over (or ship) a paid order."""
    order = await _load_order(session, order_id, lock=True)
    if order is None or not _visible(actor, order):
        raise _order_not_found()
    if not (actor.is_platform_admin or order.clinic_id in actor.staff_clinic_ids()):
        raise PermissionDeniedException("Only the clinic's staff fulfil orders")
    await _set_status(session, actor, order, OrderStatus.FULFILLED)
    return order


__all__ = [
    "APPROVAL_REQUESTED_TOPIC",
    "ORDER_APPROVED_TOPIC",
    "ORDER_CANCELLED_TOPIC",
    "TRANSITIONS",
    "approve_order",
    "cancel_order",
    "clinic_tax_rate",
    "earlier_order",
    "fulfil_order",
    "get_order",
    "is_awaiting_approval",
    "list_my_orders",
    "place_order",
    "products_on_sale",
    "reserve_stock",
    "tax_for",
]
