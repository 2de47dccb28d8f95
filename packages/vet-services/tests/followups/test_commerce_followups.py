"""Order follow-ups: the customer's receipt, approval and cancellation notices, and the request
for a veterinarian's approval: each sent once per recipient however often its job runs."""

from __future__ import annotations

from datetime import UTC, datetime

from factories import Builder, make_practice
from followup_support import plain
from notifications.loopback import SmtpSink
from sqlalchemy.ext.asyncio import AsyncSession

from vet_core.models import Order, OrderItem, Payment
from vet_core.models.enums import OrderStatus, PaymentStatus, StaffRole
from vet_services.commerce.followups import (
    notify_approval_requested,
    notify_order_approved,
    notify_order_cancelled,
    notify_order_paid,
)
from vet_services.notifications.dispatcher import Dispatcher


async def _order(build: Builder, status: OrderStatus, **values: object) -> tuple[Order, object]:
    practice = await make_practice(build)
    order = await build.add(
        Order(
            user_id=practice.owner.user.id,
            clinic_id=practice.clinic.id,
            status=status,
            currency="USD",
            subtotal_amount=5_000,
            tax_amount=400,
            total_amount=5_400,
            placed_at=datetime(2031, 3, 3, 12, tzinfo=UTC),
            **values,
        )
    )
    await build.add(
        OrderItem(
            order_id=order.id,
            name="Salmon Kibble 2kg",
            unit_amount=2_500,
            quantity=2,
            total_amount=5_000,
        )
    )
    return order, practice


async def test_the_receipt_of_a_paid_order_is_sent_once_with_its_items(
    build: Builder, db_session: AsyncSession, mailer: Dispatcher, smtp: SmtpSink
) -> None:
    order, practice = await _order(build, OrderStatus.PAID)
    payment = await build.add(
        Payment(
            user_id=order.user_id,
            order_id=order.id,
            amount=5_400,
            currency="USD",
            status=PaymentStatus.SUCCEEDED,
            paid_at=datetime(2031, 3, 3, 15, 30, tzinfo=UTC),
        )
    )
    db_session.expunge_all()  # the job starts from the database, not this session's objects

    first = await notify_order_paid(db_session, mailer, order.id, payment.id)
    again = await notify_order_paid(db_session, mailer, order.id, payment.id)

    assert first.sent == 2
    assert again.sent == 0
    assert again.duplicates == 2
    [mail] = smtp.to(practice.owner.user.email)
    body = plain(mail)
    assert "2 x Salmon Kibble 2kg: 50.00 USD" in body
    assert "Total: 54.00 USD" in body
    assert "10:30 EST" in body  # paid_on in the clinic's zone
    assert order.id.hex[-8:].upper() in str(mail.message["Subject"])


async def test_approved_and_cancelled_orders_tell_the_customer_only_in_that_state(
    build: Builder, db_session: AsyncSession, mailer: Dispatcher, smtp: SmtpSink
) -> None:
    approved, practice = await _order(build, OrderStatus.PENDING_PAYMENT)
    assert (await notify_order_cancelled(db_session, mailer, approved.id)).claimed == 0
    assert (await notify_order_approved(db_session, mailer, approved.id)).sent == 2
    assert (await notify_order_approved(db_session, mailer, approved.id)).sent == 0
    [mail] = smtp.to(practice.owner.user.email)
    assert "approved" in str(mail.message["Subject"])

    cancelled, other = await _order(build, OrderStatus.CANCELLED)
    assert (await notify_order_approved(db_session, mailer, cancelled.id)).claimed == 0
    assert (await notify_order_cancelled(db_session, mailer, cancelled.id)).sent == 2
    assert (await notify_order_cancelled(db_session, mailer, cancelled.id)).sent == 0
    [mail] = smtp.to(other.owner.user.email)
    assert "cancelled" in str(mail.message["Subject"])


async def test_a_held_order_asks_the_clinics_veterinarians_not_the_front_desk(
    build: Builder, db_session: AsyncSession, mailer: Dispatcher, smtp: SmtpSink
) -> None:
    order, practice = await _order(build, OrderStatus.DRAFT)
    vet_user_id = practice.vet.user_id
    second_vet = await build.staff(practice.clinic, StaffRole.VETERINARIAN)

    first = await notify_approval_requested(db_session, mailer, order.id, pet_id=practice.pet.id)
    again = await notify_approval_requested(db_session, mailer, order.id, pet_id=practice.pet.id)

    assert first.sent == 4
    assert again.sent == 0
    vet_user = await db_session.get(type(practice.owner.user), vet_user_id)
    assert vet_user is not None
    for address in (vet_user.email, second_vet.user.email):
        [mail] = smtp.to(address)
        assert "Rex" in plain(mail)
        assert "1 x" not in plain(mail)
        assert "2 x Salmon Kibble 2kg" in plain(mail)
    assert smtp.to(practice.receptionist.user.email) == []
    assert smtp.to(practice.owner.user.email) == []

    order.status = OrderStatus.PENDING_PAYMENT  # approved meanwhile: nobody is asked any more
    await db_session.flush()
    assert (await notify_approval_requested(db_session, mailer, order.id)).claimed == 0
