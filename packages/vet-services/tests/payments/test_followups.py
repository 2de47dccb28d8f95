"""The payment follow-ups: payer notices once per payment/refund, and the refund of an order that
was paid after it was cancelled, made once however often the job runs (real localstripe)."""

from __future__ import annotations

from typing import Any

import pytest
import stripe
from notifications.loopback import SmtpSink
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from payments.builders import Rows
from payments.conftest import card_payment_method
from payments.flows import deliver, intent_as_stripe_sends_it, order_of, shop
from vet_core.models.audit import AuditLog
from vet_core.models.commerce import Order, Payment, Refund
from vet_core.models.enums import ActorType, OrderStatus, PaymentStatus
from vet_core.models.outbox import OutboxEvent
from vet_services.commerce.followups import (
    REFUND_REASON_CANCELLED,
    refund_paid_after_cancellation,
)
from vet_services.notifications.channels import EmailChannel
from vet_services.notifications.dispatcher import Dispatcher
from vet_services.notifications.settings import SmtpSettings
from vet_services.payments.gateway import StripeGateway
from vet_services.payments.notices import notify_payment_failed, notify_refund_issued
from vet_services.payments.service import REFUND_ISSUED_TOPIC, create_order_payment
from vet_services.payments.settings import StripeSettings
from vet_services.payments.webhooks import PAID_AFTER_CANCELLATION_TOPIC


@pytest.fixture
def mailer(smtp: SmtpSink) -> Dispatcher:
    return Dispatcher(
        [
            EmailChannel(
                SmtpSettings(
                    host="127.0.0.1",
                    port=smtp.port,
                    start_tls=False,
                    from_address="billing@clinic.example",
                    timeout=5,
                )
            )
        ]
    )


async def _charged_then_cancelled(
    session: AsyncSession,
    rows: Rows,
    gateway: StripeGateway,
    client: stripe.StripeClient,
    settings: StripeSettings,
) -> tuple[Order, Payment, Any]:
    """An order the customer cancelled while Stripe was charging the card; webhook delivered."""
    at = await shop(rows)
    order = await order_of(session, rows, at)
    start = await create_order_payment(session, at.owner.actor, gateway, order.id)
    intent_id = str(start.payment.stripe_payment_intent_id)
    await gateway.confirm_payment_intent(
        intent_id, payment_method=await card_payment_method(client), idempotency_key=intent_id
    )
    order.status = OrderStatus.CANCELLED
    await session.flush()
    await deliver(
        session,
        settings,
        "payment_intent.succeeded",
        await intent_as_stripe_sends_it(client, intent_id),
    )
    return order, start.payment, at


async def _count(session: AsyncSession, model: Any, *criteria: Any) -> int:
    return int(await session.scalar(select(func.count()).select_from(model).where(*criteria)) or 0)


async def test_an_order_paid_after_cancellation_is_refunded_once_and_the_payer_told_once(
    db_session: AsyncSession,
    rows: Rows,
    gateway: StripeGateway,
    stripe_client: stripe.StripeClient,
    stripe_settings: StripeSettings,
    mailer: Dispatcher,
    smtp: SmtpSink,
) -> None:
    order, payment, at = await _charged_then_cancelled(
        db_session, rows, gateway, stripe_client, stripe_settings
    )
    assert await _count(db_session, OutboxEvent, OutboxEvent.topic == PAID_AFTER_CANCELLATION_TOPIC)

    first = await refund_paid_after_cancellation(db_session, gateway, order.id, payment.id)
    again = await refund_paid_after_cancellation(db_session, gateway, order.id, payment.id)

    assert first is not None
    assert again is not None
    assert again.id == first.id
    assert first.amount == payment.amount
    assert first.reason == REFUND_REASON_CANCELLED
    assert await _count(db_session, Refund, Refund.payment_id == payment.id) == 1
    await db_session.refresh(payment)
    assert payment.status is PaymentStatus.REFUNDED
    assert payment.amount_refunded == payment.amount
    # The refund's own job tells the payer; the platform did it, and the audit says so.
    jobs = (
        await db_session.execute(
            select(OutboxEvent.payload).where(OutboxEvent.topic == REFUND_ISSUED_TOPIC)
        )
    ).scalars()
    assert [job["refund_id"] for job in jobs if job["payment_id"] == str(payment.id)] == [
        str(first.id)
    ]
    actor_types = (
        await db_session.execute(
            select(AuditLog.actor_type).where(
                AuditLog.entity_type == "refund", AuditLog.entity_id == first.id
            )
        )
    ).scalars()
    assert list(actor_types) == [ActorType.SYSTEM]

    for _ in range(2):
        await notify_refund_issued(db_session, mailer, first.id)
    mails = smtp.to(at.owner.user.email)
    assert len(mails) == 1
    text = mails[0].message.get_body(preferencelist=("plain",)).get_content()
    assert "54.00 USD" in text
    assert REFUND_REASON_CANCELLED in text


async def test_an_order_not_cancelled_or_already_refunded_is_not_refunded_again(
    db_session: AsyncSession,
    rows: Rows,
    gateway: StripeGateway,
    stripe_client: stripe.StripeClient,
    stripe_settings: StripeSettings,
) -> None:
    order, payment, _ = await _charged_then_cancelled(
        db_session, rows, gateway, stripe_client, stripe_settings
    )
    payment.status = PaymentStatus.REFUNDED  # refunded by hand in the dashboard meanwhile
    payment.amount_refunded = payment.amount
    await db_session.flush()
    assert await refund_paid_after_cancellation(db_session, gateway, order.id, payment.id) is None

    order.status = OrderStatus.PAID
    await db_session.flush()
    assert await refund_paid_after_cancellation(db_session, gateway, order.id, payment.id) is None
    assert await _count(db_session, Refund, Refund.payment_id == payment.id) == 0


async def test_a_failed_payment_is_announced_once_per_failure_and_not_after_success(
    db_session: AsyncSession, rows: Rows, mailer: Dispatcher, smtp: SmtpSink
) -> None:
    at = await shop(rows)
    order = await order_of(db_session, rows, at)
    payment = await rows.add(
        Payment(
            user_id=at.owner.user.id,
            order_id=order.id,
            amount=order.total_amount,
            currency="USD",
            status=PaymentStatus.FAILED,
            failure_code="card_declined",
            failure_message="Your card was declined.",
        )
    )

    first = await notify_payment_failed(db_session, mailer, payment.id, event_id="evt-1")
    redelivered = await notify_payment_failed(db_session, mailer, payment.id, event_id="evt-1")
    assert (first.claimed, first.sent) == (2, 2)  # e-mail and in-app
    assert (redelivered.claimed, redelivered.duplicates) == (0, 2)
    mails = smtp.to(at.owner.user.email)
    assert len(mails) == 1
    assert "54.00 USD" in str(mails[0].message["Subject"])
    assert "Your card was declined." in mails[0].message.get_body(("plain",)).get_content()

    # A second failed attempt of the same payment is news; a payment that succeeded since is not.
    second = await notify_payment_failed(db_session, mailer, payment.id, event_id="evt-2")
    assert second.sent == 2
    payment.status = PaymentStatus.SUCCEEDED
    await db_session.flush()
    late = await notify_payment_failed(db_session, mailer, payment.id, event_id="evt-3")
    assert late.claimed == 0
    assert len(smtp.to(at.owner.user.email)) == 2
