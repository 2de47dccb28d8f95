"""What happens after an order changes: receipts, approvals, cancellations, refunds.

These are the jobs the order services and the Stripe webhook write to the outbox:

* ``commerce.order_paid`` → the customer's receipt;
* ``commerce.order_approved`` → the customer hears the order can now be paid;
* ``commerce.order_cancelled`` → the customer hears it was cancelled;
* ``commerce.prescription_approval_requested`` → the clinic's veterinarians are asked to review
  a held order (every active staff member when the clinic has no veterinarian);
* ``commerce.order_paid_after_cancellation`` → the money is given back through
  :func:`vet_services.payments.service.refund_payment` (whose own
  ``payments.refund_issued`` job tells the customer).

Every notice is keyed on the order (and the recipient), and the refund on the order's
idempotency key, so a job delivered any number of times has its effect once.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from vet_core.exceptions import BusinessRuleException
from vet_core.models import Clinic, Pet, User
from vet_core.models.commerce import Order, Payment, Refund
from vet_core.models.enums import NotificationCategory, OrderStatus, StaffRole, UserRole
from vet_core.utils.time import to_zone, utcnow
from vet_services.auth.permissions import Actor
from vet_services.commerce.orders import (
    APPROVAL_REQUESTED_TOPIC,
    ORDER_APPROVED_TOPIC,
    ORDER_CANCELLED_TOPIC,
)
from vet_services.notifications.dispatcher import Dispatcher, Notice
from vet_services.notifications.followup import (
    FollowUpReport,
    clinic_staff,
    defer_job,
    money,
    notify_users,
    short_reference,
)
from vet_services.notifications.preferences import read_preferences
from vet_services.notifications.templates import format_local
from vet_services.payments.gateway import StripeGateway
from vet_services.payments.service import refund_payment
from vet_services.payments.webhooks import ORDER_PAID_TOPIC

#: The platform acting on its own (no user, no key): audited as ``system``.
SYSTEM_ACTOR = Actor(role=UserRole.PLATFORM_ADMIN)
#: Why an order's money went back without anyone asking (stored on the refund).
REFUND_REASON_CANCELLED = "order cancelled before the payment went through"
#: The refund reasons refund_payment answers with when there is nothing (left) to refund.
_NOTHING_TO_REFUND = frozenset({"PAYMENT_NOT_REFUNDABLE", "REFUND_EXCEEDS_PAYMENT"})


async def _order(session: AsyncSession, order_id: uuid.UUID) -> Order | None:
    return (
        await session.execute(
            select(Order).where(Order.id == order_id).options(selectinload(Order.items))
        )
    ).scalar_one_or_none()


def _order_context(order: Order, clinic: Clinic) -> dict[str, object]:
    return {
        "clinic_name": clinic.name,
        "order_ref": short_reference(order.id),
        "items": [
            {
                "name": item.name,
                "quantity": item.quantity,
                "total": money(item.total_amount, order.currency),
            }
            for item in order.items
        ],
        "subtotal": money(order.subtotal_amount, order.currency),
        "tax": money(order.tax_amount, order.currency),
        "total": money(order.total_amount, order.currency),
    }


async def _tell_customer(
    session: AsyncSession,
    dispatcher: Dispatcher,
    order: Order,
    *,
    template: str,
    topic: str,
    payload: dict[str, str],
    key: str,
    extra: dict[str, object] | None = None,
    now: datetime | None = None,
) -> FollowUpReport:
    now = now or utcnow()
    clinic = await session.get_one(Clinic, order.clinic_id)
    customer = await session.get_one(User, order.user_id)
    context = {**_order_context(order, clinic), **(extra or {})}
    report = await notify_users(
        session,
        dispatcher,
        [customer],
        lambda user: Notice(
            template=template,
            context={**context, "recipient_name": user.first_name},
            category=NotificationCategory.BILLING,
            data={"order_id": str(order.id)},
        ),
        key=key,
        now=now,
        fallback_timezone=clinic.timezone,
    )
    await defer_job(session, topic, payload, report, key=key)
    return report


async def notify_order_paid(
    session: AsyncSession,
    dispatcher: Dispatcher,
    order_id: uuid.UUID,
    payment_id: uuid.UUID,
    *,
    now: datetime | None = None,
) -> FollowUpReport:
    """Send the customer the receipt of a paid order (once per order)."""
    order = await _order(session, order_id)
    payment = await session.get(Payment, payment_id)
    if order is None or payment is None:
        return FollowUpReport()
    clinic = await session.get_one(Clinic, order.clinic_id)
    customer = await session.get_one(User, order.user_id)
    paid_at = to_zone(payment.paid_at or utcnow(), clinic.timezone)
    return await _tell_customer(
        session,
        dispatcher,
        order,
        template="order_paid",
        topic=ORDER_PAID_TOPIC,
        payload={"order_id": str(order.id), "payment_id": str(payment.id)},
        key=f"order-paid:{order.id}",
        extra={
            "paid": money(payment.amount, payment.currency),
            "paid_on": format_local(paid_at, read_preferences(customer).language),
        },
        now=now,
    )


#: The outbox topic of each status notice (the job to run again after quiet hours).
_STATUS_TOPICS = {"order_approved": ORDER_APPROVED_TOPIC, "order_cancelled": ORDER_CANCELLED_TOPIC}


async def _tell_if_still(
    session: AsyncSession,
    dispatcher: Dispatcher,
    order_id: uuid.UUID,
    status: OrderStatus,
    template: str,
    *,
    now: datetime | None,
) -> FollowUpReport:
    """Send ``template`` to the customer if the order is still in ``status``, once per order."""
    order = await _order(session, order_id)
    if order is None or order.status is not status:
        return FollowUpReport()
    return await _tell_customer(
        session,
        dispatcher,
        order,
        template=template,
        topic=_STATUS_TOPICS[template],
        payload={"order_id": str(order.id)},
        key=f"{template.replace('_', '-')}:{order.id}",
        now=now,
    )


async def notify_order_approved(
    session: AsyncSession,
    dispatcher: Dispatcher,
    order_id: uuid.UUID,
    *,
    now: datetime | None = None,
) -> FollowUpReport:
    """Tell the customer a held order was approved and can be paid (nothing if it moved on)."""
    return await _tell_if_still(
        session, dispatcher, order_id, OrderStatus.PENDING_PAYMENT, "order_approved", now=now
    )


async def notify_order_cancelled(
    session: AsyncSession,
    dispatcher: Dispatcher,
    order_id: uuid.UUID,
    *,
    now: datetime | None = None,
) -> FollowUpReport:
    """Tell the customer their order was cancelled (nothing if it is not cancelled)."""
    return await _tell_if_still(
        session, dispatcher, order_id, OrderStatus.CANCELLED, "order_cancelled", now=now
    )


async def notify_approval_requested(
    session: AsyncSession,
    dispatcher: Dispatcher,
    order_id: uuid.UUID,
    *,
    pet_id: uuid.UUID | None = None,
    now: datetime | None = None,
) -> FollowUpReport:
    """Ask the clinic's veterinarians to review a held order (nothing once it is decided)."""
    now = now or utcnow()
    order = await _order(session, order_id)
    if order is None or order.status is not OrderStatus.DRAFT or order.placed_at is None:
        return FollowUpReport()
    clinic = await session.get_one(Clinic, order.clinic_id)
    customer = await session.get_one(User, order.user_id)
    pet = await session.get(Pet, pet_id) if pet_id is not None else None
    reviewers = await clinic_staff(session, clinic.id, [StaffRole.VETERINARIAN])
    if not reviewers:
        reviewers = await clinic_staff(session, clinic.id)
    context = {
        **_order_context(order, clinic),
        "customer_name": f"{customer.first_name} {customer.last_name}",
        "pet_name": pet.name if pet is not None else None,
    }
    key = f"order-approval:{order.id}"
    report = await notify_users(
        session,
        dispatcher,
        reviewers,
        lambda user: Notice(
            template="order_approval_requested",
            context={**context, "recipient_name": user.first_name},
            category=NotificationCategory.SYSTEM,
            data={"order_id": str(order.id)},
        ),
        key=key,
        now=now,
        fallback_timezone=clinic.timezone,
    )
    payload = {"order_id": str(order.id), "clinic_id": str(clinic.id)}
    if pet_id is not None:
        payload["pet_id"] = str(pet_id)
    await defer_job(session, APPROVAL_REQUESTED_TOPIC, payload, report, key=key)
    return report


def cancellation_refund_key(order_id: uuid.UUID) -> str:
    """The idempotency key of the refund of an order paid after it was cancelled."""
    return f"order-cancelled:{order_id}"


async def refund_paid_after_cancellation(
    session: AsyncSession,
    gateway: StripeGateway,
    order_id: uuid.UUID,
    payment_id: uuid.UUID,
) -> Refund | None:
    """Give back the money of an order that was cancelled while its card was being charged.

    The refund goes through :func:`refund_payment` with a key derived from the order, so a
    repeated job returns the refund made the first time and asks Stripe for nothing. ``None``
    when there is nothing to refund: the order is not cancelled, or the payment was already
    refunded in full (by the clinic, or in the Stripe dashboard).
    """
    order = await session.get(Order, order_id)
    payment = await session.get(Payment, payment_id)
    if order is None or payment is None or payment.order_id != order.id:
        return None
    if order.status is not OrderStatus.CANCELLED:
        return None
    try:
        return await refund_payment(
            session,
            SYSTEM_ACTOR,
            gateway,
            payment.id,
            idempotency_key=cancellation_refund_key(order.id),
            reason=REFUND_REASON_CANCELLED,
        )
    except BusinessRuleException as error:
        if error.code in _NOTHING_TO_REFUND:
            return None
        raise


__all__ = [
    "REFUND_REASON_CANCELLED",
    "SYSTEM_ACTOR",
    "cancellation_refund_key",
    "notify_approval_requested",
    "notify_order_approved",
    "notify_order_cancelled",
    "notify_order_paid",
    "refund_paid_after_cancellation",
]
