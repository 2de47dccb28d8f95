"""Telling the payer what became of their money: a payment that failed, a refund on its way.

These are the ``payments.payment_failed`` and ``payments.refund_issued`` jobs (written to the
outbox by :mod:`.webhooks` and :mod:`.service`). Each notice is keyed on the payment or the
refund, so however often the job is delivered the payer hears once per channel.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from vet_core.models import Clinic, Pet, User
from vet_core.models.commerce import Order, Payment, Refund
from vet_core.models.enums import NotificationCategory, PaymentStatus
from vet_core.models.scheduling import Appointment
from vet_core.utils.time import utcnow
from vet_services.notifications.dispatcher import Dispatcher, Notice
from vet_services.notifications.followup import (
    FollowUpReport,
    defer_job,
    money,
    notify_users,
    short_reference,
)
from vet_services.payments.service import REFUND_ISSUED_TOPIC
from vet_services.payments.webhooks import PAYMENT_FAILED_TOPIC


async def _what_was_paid(
    session: AsyncSession, payment: Payment
) -> tuple[dict[str, str | None], Clinic | None, list[Pet]]:
    """What the payment was for (the templates word it), its clinic and its pet (if any)."""
    if payment.order_id is not None:
        order = await session.get_one(Order, payment.order_id)
        clinic = await session.get(Clinic, order.clinic_id)
        return {"kind": "order", "reference": short_reference(order.id)}, clinic, []
    if payment.appointment_id is not None:
        appointment = await session.get_one(Appointment, payment.appointment_id)
        clinic = await session.get(Clinic, appointment.clinic_id)
        pet = await session.get_one(Pet, appointment.pet_id)
        return {"kind": "deposit", "pet_name": pet.name}, clinic, [pet]
    return {"kind": "payment", "reference": short_reference(payment.id)}, None, []


async def notify_payment_failed(
    session: AsyncSession,
    dispatcher: Dispatcher,
    payment_id: uuid.UUID,
    *,
    event_id: str | None = None,
    now: datetime | None = None,
) -> FollowUpReport:
    """Tell the payer their payment did not go through (nothing when it succeeded since).

    ``event_id`` tells two failures of the same payment apart (the outbox id of the job: each
    failed attempt has its own); a redelivered job has the same one and sends nothing new.
    """
    now = now or utcnow()
    payment = await session.get(Payment, payment_id)
    if payment is None or payment.status is not PaymentStatus.FAILED:
        return FollowUpReport()
    payer = await session.get_one(User, payment.user_id)
    what, clinic, pets = await _what_was_paid(session, payment)
    marker = event_id or payment.failure_code or "failed"
    key = f"payment-failed:{payment.id}:{marker}"
    context = {
        "amount": money(payment.amount, payment.currency),
        **what,
        "clinic_name": clinic.name if clinic else None,
        "reason": payment.failure_message or payment.failure_code or None,
    }
    report = await notify_users(
        session,
        dispatcher,
        [payer],
        lambda user: Notice(
            template="payment_failed",
            context={**context, "recipient_name": user.first_name},
            category=NotificationCategory.BILLING,
            appointment_id=payment.appointment_id,
            data={"payment_id": str(payment.id)},
        ),
        key=key,
        now=now,
        fallback_timezone=clinic.timezone if clinic else None,
        pets=pets,
    )
    await defer_job(
        session,
        PAYMENT_FAILED_TOPIC,
        {"payment_id": str(payment.id), "failure_code": payment.failure_code, "event_id": marker},
        report,
        key=key,
    )
    return report


async def notify_refund_issued(
    session: AsyncSession,
    dispatcher: Dispatcher,
    refund_id: uuid.UUID,
    *,
    now: datetime | None = None,
) -> FollowUpReport:
    """Tell the payer a refund was made (keyed on the refund: one notice per refund)."""
    now = now or utcnow()
    refund = await session.get(Refund, refund_id)
    if refund is None:
        return FollowUpReport()
    payment = await session.get_one(Payment, refund.payment_id)
    payer = await session.get_one(User, payment.user_id)
    # A refund is news even about a pet that died since: its pets are not passed on.
    what, clinic, _ = await _what_was_paid(session, payment)
    key = f"refund-issued:{refund.id}"
    context = {
        "amount": money(refund.amount, refund.currency),
        "paid": money(payment.amount, payment.currency),
        "full": payment.amount_refunded >= payment.amount,
        **what,
        "clinic_name": clinic.name if clinic else None,
        "reason": refund.reason,
    }
    report = await notify_users(
        session,
        dispatcher,
        [payer],
        lambda user: Notice(
            template="refund_issued",
            context={**context, "recipient_name": user.first_name},
            category=NotificationCategory.BILLING,
            appointment_id=payment.appointment_id,
            data={"payment_id": str(payment.id), "refund_id": str(refund.id)},
        ),
        key=key,
        now=now,
        fallback_timezone=clinic.timezone if clinic else None,
    )
    await defer_job(
        session,
        REFUND_ISSUED_TOPIC,
        {"refund_id": str(refund.id), "payment_id": str(payment.id)},
        report,
        key=key,
    )
    return report


__all__ = ["notify_payment_failed", "notify_refund_issued"]
