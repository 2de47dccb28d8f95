"""Taking money (PaymentIntents for orders and appointment deposits) and giving it back (refunds).

Every money-moving call is idempotent twice over: towards Stripe through idempotency keys, and
in our database because the row it races with is locked first (the order, the appointment or
the payment) and what was already done is looked up before anything new is asked of Stripe.

* One PaymentIntent per order and per appointment deposit: asking again returns the same one.
* A refund never exceeds what was captured minus what was already refunded (checked under the
  payment's row lock), and a refund request repeated with the same idempotency key returns the
  refund made the first time, without a second call to Stripe.

Services flush, never commit; every change to a payment is written to the audit log.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from vet_core.exceptions import BusinessRuleException, NotFoundException, SchemaValidationException
from vet_core.models.base import uuid7
from vet_core.models.commerce import Order, Payment, Refund
from vet_core.models.enums import (
    AuditAction,
    OrderStatus,
    PaymentStatus,
    RefundStatus,
)
from vet_core.models.outbox import OutboxEvent
from vet_core.models.pets import PetOwnership
from vet_core.models.scheduling import Appointment
from vet_core.utils.money import validate_currency_code
from vet_core.utils.time import utcnow
from vet_services.audit import record_change, snapshot
from vet_services.auth.permissions import Action, Actor, Resource, authorize
from vet_services.outbox import enqueue
from vet_services.payments.gateway import StripeGateway

#: Payments whose intent is still the one to use. A failed attempt stays usable (Stripe puts
#: the intent back to ``requires_payment_method`` and the customer tries another card); only a
#: cancelled intent is replaced by a new one.
LIVE_PAYMENT_STATUSES = frozenset(set(PaymentStatus) - {PaymentStatus.CANCELLED})

#: Stripe PaymentIntent status → ours, for intents that have not failed.
INTENT_STATUS: dict[str, PaymentStatus] = {
    "requires_payment_method": PaymentStatus.PENDING,
    "requires_confirmation": PaymentStatus.PENDING,
    "requires_action": PaymentStatus.REQUIRES_ACTION,
    "processing": PaymentStatus.PROCESSING,
    "requires_capture": PaymentStatus.PROCESSING,
    "succeeded": PaymentStatus.SUCCEEDED,
    "canceled": PaymentStatus.CANCELLED,
}

REFUNDABLE_STATUSES = frozenset({PaymentStatus.SUCCEEDED, PaymentStatus.PARTIALLY_REFUNDED})

REFUND_ISSUED_TOPIC = "payments.refund_issued"


@dataclass(frozen=True, slots=True)
class PaymentStart:
    """A payment row and the intent's client secret, which the browser needs to pay."""

    payment: Payment
    client_secret: str | None


def _not_found(kind: str) -> NotFoundException:
    return NotFoundException(
        f"{kind.replace('_', ' ').capitalize()} not found", code=f"{kind.upper()}_NOT_FOUND"
    )


def _is_owner(actor: Actor, user_id: uuid.UUID) -> bool:
    return actor.is_platform_admin or (actor.user_id is not None and actor.user_id == user_id)


async def _start_or_resume(
    session: AsyncSession,
    actor: Actor,
    gateway: StripeGateway,
    existing: Payment | None,
    *,
    new_payment: Payment,
    idempotency_key: str,
    metadata: dict[str, str],
) -> PaymentStart:
    """Return the live payment if there is one, else create its intent and record the row."""
    if existing is not None:
        intent = await gateway.retrieve_payment_intent(str(existing.stripe_payment_intent_id))
        return PaymentStart(existing, intent.client_secret)
    intent = await gateway.create_payment_intent(
        amount=new_payment.amount,
        currency=new_payment.currency,
        idempotency_key=idempotency_key,
        metadata=metadata,
    )
    new_payment.stripe_payment_intent_id = intent.id
    new_payment.status = INTENT_STATUS.get(intent.status, PaymentStatus.PENDING)
    session.add(new_payment)
    await session.flush()
    await record_change(
        session, actor, AuditAction.CREATE, "payment", new_payment.id, after=snapshot(new_payment)
    )
    return PaymentStart(new_payment, intent.client_secret)


async def _live_payment(session: AsyncSession, *criteria: Any) -> tuple[Payment | None, int]:
    """The payment to reuse, if any, and how many cancelled attempts came before.

    The count goes into the next idempotency key: reusing the key of a cancelled intent would
    make Stripe answer with that dead intent again.
    """
    found = (
        await session.execute(
            select(Payment).where(*criteria).order_by(Payment.created_at.desc(), Payment.id)
        )
    ).scalars()
    payments = list(found)
    live = next((p for p in payments if p.status in LIVE_PAYMENT_STATUSES), None)
    return live, sum(1 for p in payments if p.status is PaymentStatus.CANCELLED)


async def create_order_payment(
    session: AsyncSession, actor: Actor, gateway: StripeGateway, order_id: uuid.UUID
) -> PaymentStart:
    """The PaymentIntent for an order awaiting payment; asking twice returns the same intent.

    The order row is locked first, so two concurrent requests (a double click) cannot both
    find no payment and make two intents.
    """
    order = (
        await session.execute(select(Order).where(Order.id == order_id).with_for_update())
    ).scalar_one_or_none()
    if order is None or not _is_owner(actor, order.user_id):
        raise _not_found("order")
    existing, cancelled = await _live_payment(session, Payment.order_id == order.id)
    if existing is None and order.status is not OrderStatus.PENDING_PAYMENT:
        raise BusinessRuleException(
            f"An order that is {order.status.value} cannot be paid",
            details={"status": order.status.value},
            code="ORDER_NOT_PAYABLE",
        )
    if existing is None and order.total_amount <= 0:
        raise BusinessRuleException("There is nothing to pay", code="ORDER_NOT_PAYABLE")
    return await _start_or_resume(
        session,
        actor,
        gateway,
        existing,
        new_payment=Payment(
            user_id=order.user_id,
            order_id=order.id,
            amount=order.total_amount,
            currency=order.currency,
        ),
        idempotency_key=f"order-payment:{order.id}:{cancelled}",
        metadata={"kind": "order", "order_id": str(order.id), "clinic_id": str(order.clinic_id)},
    )


async def create_deposit_payment(
    session: AsyncSession,
    actor: Actor,
    gateway: StripeGateway,
    appointment_id: uuid.UUID,
    *,
    amount: int,
    currency: str,
) -> PaymentStart:
    """The PaymentIntent for an appointment's deposit; asking twice returns the same intent.

    Only the person who booked the appointment or a current owner of the pet pays it.
    """
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        raise SchemaValidationException(
            "amount must be a positive number of minor units", details={"field": "amount"}
        )
    currency = validate_currency_code(currency)
    appointment = (
        await session.execute(
            select(Appointment)
            .where(Appointment.id == appointment_id, Appointment.deleted_at.is_(None))
            .with_for_update()
        )
    ).scalar_one_or_none()
    if appointment is None:
        raise _not_found("appointment")
    owners = set(
        (
            await session.execute(
                select(PetOwnership.user_id).where(
                    PetOwnership.pet_id == appointment.pet_id, PetOwnership.ended_at.is_(None)
                )
            )
        ).scalars()
    )
    owners.add(appointment.booked_by_id)
    if not (actor.is_platform_admin or actor.user_id in owners):
        raise _not_found("appointment")
    existing, cancelled = await _live_payment(
        session, Payment.appointment_id == appointment.id, Payment.order_id.is_(None)
    )
    return await _start_or_resume(
        session,
        actor,
        gateway,
        existing,
        new_payment=Payment(
            user_id=actor.user_id or appointment.booked_by_id,
            appointment_id=appointment.id,
            amount=amount,
            currency=currency,
        ),
        idempotency_key=f"appointment-deposit:{appointment.id}:{cancelled}",
        metadata={
            "kind": "appointment_deposit",
            "appointment_id": str(appointment.id),
            "clinic_id": str(appointment.clinic_id),
        },
    )


async def _payment_clinic_id(session: AsyncSession, payment: Payment) -> uuid.UUID | None:
    if payment.order_id is not None:
        return (
            await session.execute(select(Order.clinic_id).where(Order.id == payment.order_id))
        ).scalar_one_or_none()
    if payment.appointment_id is not None:
        return (
            await session.execute(
                select(Appointment.clinic_id).where(Appointment.id == payment.appointment_id)
            )
        ).scalar_one_or_none()
    return None


def refund_dedup_key(payment_id: uuid.UUID, idempotency_key: str) -> str:
    """The outbox dedup key that remembers a refund request (and keys its follow-up job)."""
    return f"refund:{payment_id}:{idempotency_key}"


async def apply_refunded_total(session: AsyncSession, payment: Payment, refunded: int) -> None:
    """Set what has been refunded of ``payment`` (only ever upwards) and follow with its order.

    Shared by the refund service and the ``charge.refunded`` webhook, whichever comes first.
    """
    total = min(max(payment.amount_refunded, refunded), payment.amount)
    payment.amount_refunded = total
    if total == 0:
        return
    payment.status = (
        PaymentStatus.REFUNDED if total == payment.amount else PaymentStatus.PARTIALLY_REFUNDED
    )
    if payment.status is PaymentStatus.REFUNDED and payment.order_id is not None:
        order = (
            await session.execute(
                select(Order).where(Order.id == payment.order_id).with_for_update()
            )
        ).scalar_one()
        if order.status in (OrderStatus.PAID, OrderStatus.FULFILLED):
            before = snapshot(order, ["status"])
            order.status = OrderStatus.REFUNDED
            await session.flush()
            await record_change(
                session,
                None,
                AuditAction.UPDATE,
                "order",
                order.id,
                before=before,
                after=snapshot(order, ["status"]),
            )


async def refund_payment(
    session: AsyncSession,
    actor: Actor,
    gateway: StripeGateway,
    payment_id: uuid.UUID,
    *,
    idempotency_key: str,
    amount: int | None = None,
    reason: str | None = None,
) -> Refund:
    """Refund ``amount`` minor units of a payment (``None``: all that is left).

    Allowed to clinic admins of the payment's clinic (``payment:refund``). Repeating the call
    with the same ``idempotency_key`` returns the first refund and changes nothing.
    """
    if not idempotency_key or len(idempotency_key) > 128:
        raise SchemaValidationException(
            "idempotency_key must be 1 to 128 characters", details={"field": "idempotency_key"}
        )
    if amount is not None and (isinstance(amount, bool) or amount <= 0):
        raise SchemaValidationException(
            "amount must be a positive number of minor units", details={"field": "amount"}
        )
    payment = (
        await session.execute(select(Payment).where(Payment.id == payment_id).with_for_update())
    ).scalar_one_or_none()
    if payment is None:
        raise _not_found("payment")
    clinic_id = await _payment_clinic_id(session, payment)
    authorize(
        actor,
        Action.PAYMENT_REFUND,
        Resource.of("payment", payment.id, owners=[payment.user_id], clinics=[clinic_id]),
    )

    dedup_key = refund_dedup_key(payment.id, idempotency_key)
    earlier = (
        await session.execute(select(OutboxEvent.payload).where(OutboxEvent.dedup_key == dedup_key))
    ).scalar_one_or_none()
    if earlier is not None:
        return (
            await session.execute(
                select(Refund).where(Refund.id == uuid.UUID(earlier["refund_id"]))
            )
        ).scalar_one()

    if payment.status not in REFUNDABLE_STATUSES or payment.stripe_payment_intent_id is None:
        raise BusinessRuleException(
            f"A payment that is {payment.status.value} cannot be refunded",
            details={"status": payment.status.value},
            code="PAYMENT_NOT_REFUNDABLE",
        )
    remaining = payment.amount - payment.amount_refunded
    wanted = remaining if amount is None else amount
    if wanted > remaining or wanted <= 0:
        raise BusinessRuleException(
            "The refund exceeds what is left of the payment",
            details={"requested": wanted, "refundable": remaining, "currency": payment.currency},
            code="REFUND_EXCEEDS_PAYMENT",
        )

    made = await gateway.refund(
        payment_intent_id=payment.stripe_payment_intent_id,
        amount=wanted,
        idempotency_key=dedup_key,
        metadata={"payment_id": str(payment.id)},
    )
    status = {
        "succeeded": RefundStatus.SUCCEEDED,
        "failed": RefundStatus.FAILED,
        "canceled": RefundStatus.CANCELLED,
    }.get(made.status, RefundStatus.PENDING)
    now = utcnow()
    # The ``charge.refunded`` webhook may have recorded this Stripe refund already.
    await session.execute(
        insert(Refund)
        .values(
            id=uuid7(),
            payment_id=payment.id,
            amount=made.amount,
            currency=payment.currency,
            status=status,
            reason=reason,
            stripe_refund_id=made.id,
            refunded_at=now if status is RefundStatus.SUCCEEDED else None,
            created_by=actor.user_id,
            updated_by=actor.user_id,
        )
        .on_conflict_do_nothing(index_elements=[Refund.stripe_refund_id])
    )
    refund = (
        await session.execute(select(Refund).where(Refund.stripe_refund_id == made.id))
    ).scalar_one()

    before = snapshot(payment, ["status", "amount_refunded"])
    if status in (RefundStatus.SUCCEEDED, RefundStatus.PENDING):
        await apply_refunded_total(session, payment, payment.amount_refunded + made.amount)
    await session.flush()
    await record_change(
        session, actor, AuditAction.CREATE, "refund", refund.id, after=snapshot(refund)
    )
    await record_change(
        session,
        actor,
        AuditAction.UPDATE,
        "payment",
        payment.id,
        before=before,
        after=snapshot(payment, ["status", "amount_refunded"]),
    )
    await enqueue(
        session,
        REFUND_ISSUED_TOPIC,
        {"refund_id": str(refund.id), "payment_id": str(payment.id)},
        dedup_key=dedup_key,
    )
    return refund


__all__ = [
    "INTENT_STATUS",
    "LIVE_PAYMENT_STATUSES",
    "REFUND_ISSUED_TOPIC",
    "PaymentStart",
    "apply_refunded_total",
    "create_deposit_payment",
    "create_order_payment",
    "refund_dedup_key",
    "refund_payment",
]
