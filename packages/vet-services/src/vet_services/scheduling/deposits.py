"""A paid appointment deposit (the ``scheduling.deposit_paid`` job of the Stripe webhook).

The payload carries the appointment and the payment. The appointment model has no deposit
field (the payment row itself records that it was paid), so what the deposit changes is the
status: a ``scheduled`` appointment becomes ``confirmed`` (an allowed transition, made with the
lifecycle's compare-and-set). A ``requested`` one stays requested: paying does not replace the
clinic's approval. Then whoever paid, and whoever booked, are told the deposit arrived, once each
(keyed on the payment), and the appointment's status with it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from vet_core.exceptions import ConflictException
from vet_core.models import Appointment, Clinic, Pet
from vet_core.models.commerce import Payment
from vet_core.models.enums import AppointmentStatus, NotificationCategory, PaymentStatus
from vet_core.utils.time import to_zone, utcnow
from vet_services.notifications.dispatcher import Dispatcher, Notice
from vet_services.notifications.followup import (
    FollowUpReport,
    defer_job,
    money,
    notify_users,
    users_by_id,
)
from vet_services.notifications.preferences import read_preferences
from vet_services.notifications.templates import format_local
from vet_services.payments.webhooks import DEPOSIT_PAID_TOPIC
from vet_services.scheduling.lifecycle import compare_and_set

#: Payments whose money arrived (a later refund does not unmake the deposit's arrival).
_PAID = frozenset(
    {PaymentStatus.SUCCEEDED, PaymentStatus.PARTIALLY_REFUNDED, PaymentStatus.REFUNDED}
)


@dataclass(frozen=True, slots=True)
class DepositOutcome:
    """What the job did: whether it confirmed the appointment, its status, who was told."""

    confirmed: bool
    status: AppointmentStatus | None
    notices: FollowUpReport

    def as_dict(self) -> dict[str, object]:
        return {
            "confirmed": self.confirmed,
            "status": self.status.value if self.status else None,
            **self.notices.as_dict(),
        }


async def settle_deposit(
    session: AsyncSession,
    dispatcher: Dispatcher,
    appointment_id: uuid.UUID,
    payment_id: uuid.UUID,
    *,
    now: datetime | None = None,
) -> DepositOutcome:
    """Confirm a scheduled appointment whose deposit was paid and tell the owner, once."""
    now = now or utcnow()
    payment = await session.get(Payment, payment_id)
    appointment = await session.get(Appointment, appointment_id)
    if (
        payment is None
        or appointment is None
        or payment.appointment_id != appointment.id
        or payment.status not in _PAID
        or appointment.deleted_at is not None
    ):
        return DepositOutcome(False, appointment.status if appointment else None, FollowUpReport())
    confirmed = False
    if appointment.status is AppointmentStatus.SCHEDULED:
        try:
            appointment = await compare_and_set(
                session,
                appointment.id,
                AppointmentStatus.SCHEDULED,
                {"status": AppointmentStatus.CONFIRMED, "updated_by": None},
            )
            confirmed = True
        except ConflictException:
            # Someone moved it meanwhile (cancelled, confirmed): leave it as they left it.
            await session.refresh(appointment)
    clinic = await session.get_one(Clinic, appointment.clinic_id)
    pet = await session.get_one(Pet, appointment.pet_id)
    recipients = await users_by_id(session, {payment.user_id, appointment.booked_by_id})
    starts = to_zone(appointment.starts_at, clinic.timezone)
    context = {
        "pet_name": pet.name,
        "clinic_name": clinic.name,
        "amount": money(payment.amount, payment.currency),
        "status": appointment.status.value,
        "confirmed": appointment.status is AppointmentStatus.CONFIRMED,
        "cancelled": appointment.status is AppointmentStatus.CANCELLED,
    }
    key = f"deposit-paid:{payment.id}"
    report = await notify_users(
        session,
        dispatcher,
        recipients,
        lambda user: Notice(
            template="deposit_paid",
            context={
                **context,
                "recipient_name": user.first_name,
                "when": format_local(starts, read_preferences(user).language),
            },
            category=NotificationCategory.APPOINTMENT,
            appointment_id=appointment.id,
            data={"appointment_id": str(appointment.id), "payment_id": str(payment.id)},
        ),
        key=key,
        now=now,
        fallback_timezone=clinic.timezone,
        pets=[pet],
    )
    await defer_job(
        session,
        DEPOSIT_PAID_TOPIC,
        {"appointment_id": str(appointment.id), "payment_id": str(payment.id)},
        report,
        key=key,
    )
    return DepositOutcome(confirmed, appointment.status, report)


__all__ = ["DepositOutcome", "settle_deposit"]
