"""Refunds: full and partial, never more than is left, and a repeated request changes nothing."""

from __future__ import annotations

import asyncio

import pytest
import stripe
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from payments.builders import Rows
from payments.flows import order_of, paid_order, shop
from vet_core.database.session import SessionFactory, transaction
from vet_core.exceptions import BusinessRuleException, PermissionDeniedException
from vet_core.models.audit import AuditLog
from vet_core.models.commerce import Payment, Refund
from vet_core.models.enums import (
    AuditAction,
    OrderStatus,
    PaymentStatus,
    RefundStatus,
    StaffRole,
)
from vet_core.models.outbox import OutboxEvent
from vet_services.payments.gateway import StripeGateway
from vet_services.payments.service import (
    REFUND_ISSUED_TOPIC,
    create_order_payment,
    refund_payment,
)
from vet_services.payments.settings import StripeSettings


async def stripe_refunds(client: stripe.StripeClient, payment: Payment) -> list[int]:
    listed = await client.v1.refunds.list_async(
        {"payment_intent": str(payment.stripe_payment_intent_id)}
    )
    return sorted(r.amount for r in listed.data)


async def test_a_full_refund_gives_back_everything_and_refunds_the_order(
    db_session: AsyncSession,
    rows: Rows,
    gateway: StripeGateway,
    stripe_client: stripe.StripeClient,
    stripe_settings: StripeSettings,
) -> None:
    at = await shop(rows)
    order, payment = await paid_order(db_session, rows, gateway, stripe_client, stripe_settings, at)
    assert payment.status is PaymentStatus.SUCCEEDED

    refund = await refund_payment(
        db_session, at.admin.actor, gateway, payment.id, idempotency_key="full-1", reason="broken"
    )

    assert (refund.amount, refund.currency, refund.status) == (5_400, "USD", RefundStatus.SUCCEEDED)
    assert refund.stripe_refund_id
    assert refund.stripe_refund_id.startswith("re_")
    assert (payment.amount_refunded, payment.status) == (5_400, PaymentStatus.REFUNDED)
    assert order.status is OrderStatus.REFUNDED
    assert await stripe_refunds(stripe_client, payment) == [5_400]


async def test_partial_refunds_add_up_until_the_payment_is_refunded(
    db_session: AsyncSession,
    rows: Rows,
    gateway: StripeGateway,
    stripe_client: stripe.StripeClient,
    stripe_settings: StripeSettings,
) -> None:
    at = await shop(rows)
    order, payment = await paid_order(db_session, rows, gateway, stripe_client, stripe_settings, at)

    await refund_payment(
        db_session, at.admin.actor, gateway, payment.id, idempotency_key="p-1", amount=1_000
    )
    assert (payment.amount_refunded, payment.status) == (1_000, PaymentStatus.PARTIALLY_REFUNDED)
    assert order.status is OrderStatus.PAID

    await refund_payment(
        db_session, at.admin.actor, gateway, payment.id, idempotency_key="p-2", amount=400
    )
    rest = await refund_payment(
        db_session, at.admin.actor, gateway, payment.id, idempotency_key="p-3"
    )

    assert rest.amount == 4_000  # what was left: 54.00 − 10.00 − 4.00
    assert (payment.amount_refunded, payment.status) == (5_400, PaymentStatus.REFUNDED)
    assert order.status is OrderStatus.REFUNDED
    assert await stripe_refunds(stripe_client, payment) == [400, 1_000, 4_000]


async def test_a_refund_above_what_is_left_is_refused_and_changes_nothing(
    db_session: AsyncSession,
    rows: Rows,
    gateway: StripeGateway,
    stripe_client: stripe.StripeClient,
    stripe_settings: StripeSettings,
) -> None:
    at = await shop(rows)
    _, payment = await paid_order(db_session, rows, gateway, stripe_client, stripe_settings, at)
    await refund_payment(
        db_session, at.admin.actor, gateway, payment.id, idempotency_key="a", amount=5_000
    )

    with pytest.raises(BusinessRuleException) as caught:
        await refund_payment(
            db_session, at.admin.actor, gateway, payment.id, idempotency_key="b", amount=401
        )

    assert caught.value.code == "REFUND_EXCEEDS_PAYMENT"
    assert caught.value.details["refundable"] == 400
    assert payment.amount_refunded == 5_000
    assert await stripe_refunds(stripe_client, payment) == [5_000]


async def test_a_duplicated_refund_request_changes_nothing(
    db_session: AsyncSession,
    rows: Rows,
    gateway: StripeGateway,
    stripe_client: stripe.StripeClient,
    stripe_settings: StripeSettings,
) -> None:
    at = await shop(rows)
    _, payment = await paid_order(db_session, rows, gateway, stripe_client, stripe_settings, at)

    first = await refund_payment(
        db_session, at.admin.actor, gateway, payment.id, idempotency_key="dup-7", amount=1_500
    )
    audit_before = await db_session.scalar(select(func.count()).select_from(AuditLog))
    again = await refund_payment(
        db_session, at.admin.actor, gateway, payment.id, idempotency_key="dup-7", amount=1_500
    )

    assert again.id == first.id
    assert payment.amount_refunded == 1_500
    refunds = await db_session.scalar(
        select(func.count()).select_from(Refund).where(Refund.payment_id == payment.id)
    )
    assert refunds == 1
    assert await stripe_refunds(stripe_client, payment) == [1_500]
    assert await db_session.scalar(select(func.count()).select_from(AuditLog)) == audit_before
    jobs = await db_session.scalar(
        select(func.count())
        .select_from(OutboxEvent)
        .where(OutboxEvent.topic == REFUND_ISSUED_TOPIC)
    )
    assert jobs == 1


async def test_every_refund_is_audited_with_the_payment_before_and_after(
    db_session: AsyncSession,
    rows: Rows,
    gateway: StripeGateway,
    stripe_client: stripe.StripeClient,
    stripe_settings: StripeSettings,
) -> None:
    at = await shop(rows)
    _, payment = await paid_order(db_session, rows, gateway, stripe_client, stripe_settings, at)

    refund = await refund_payment(
        db_session, at.admin.actor, gateway, payment.id, idempotency_key="aud", amount=700
    )

    entries = (
        (
            await db_session.execute(
                select(AuditLog)
                .where(AuditLog.actor_id == at.admin.user.id)
                .order_by(AuditLog.occurred_at, AuditLog.id)
            )
        )
        .scalars()
        .all()
    )
    by_entity = {(e.entity_type, e.action): e for e in entries}
    assert by_entity[("refund", AuditAction.CREATE)].entity_id == refund.id
    payment_change = by_entity[("payment", AuditAction.UPDATE)].changes
    assert payment_change["amount_refunded"] == {"before": 0, "after": 700}
    assert payment_change["status"] == {"before": "succeeded", "after": "partially_refunded"}


@pytest.mark.parametrize("who", ["owner", "receptionist"])
async def test_only_clinic_admins_refund(
    who: str,
    db_session: AsyncSession,
    rows: Rows,
    gateway: StripeGateway,
    stripe_client: stripe.StripeClient,
    stripe_settings: StripeSettings,
) -> None:
    at = await shop(rows)
    _, payment = await paid_order(db_session, rows, gateway, stripe_client, stripe_settings, at)
    actor = (
        at.owner.actor
        if who == "owner"
        else (await rows.staff(at.clinic, StaffRole.RECEPTIONIST)).actor
    )

    with pytest.raises(PermissionDeniedException):
        await refund_payment(db_session, actor, gateway, payment.id, idempotency_key="x")
    assert await stripe_refunds(stripe_client, payment) == []


async def test_an_unpaid_payment_cannot_be_refunded(
    db_session: AsyncSession, rows: Rows, gateway: StripeGateway
) -> None:
    at = await shop(rows)
    order = await order_of(db_session, rows, at)
    start = await create_order_payment(db_session, at.owner.actor, gateway, order.id)

    with pytest.raises(BusinessRuleException) as caught:
        await refund_payment(
            db_session, at.admin.actor, gateway, start.payment.id, idempotency_key="u"
        )
    assert caught.value.code == "PAYMENT_NOT_REFUNDABLE"


async def test_two_refunds_racing_for_the_same_money_cannot_both_succeed(
    committed_session_factory: SessionFactory,
    gateway: StripeGateway,
    stripe_client: stripe.StripeClient,
    stripe_settings: StripeSettings,
) -> None:
    async with transaction(committed_session_factory) as session:
        rows = Rows(session)
        at = await shop(rows)
        _, payment = await paid_order(session, rows, gateway, stripe_client, stripe_settings, at)

    async def refund(key: str) -> str:
        try:
            async with transaction(committed_session_factory) as session:
                await refund_payment(
                    session, at.admin.actor, gateway, payment.id, idempotency_key=key, amount=3_000
                )
        except BusinessRuleException as error:
            return error.code
        return "REFUNDED"

    outcomes = await asyncio.gather(refund("race-one"), refund("race-two"))

    assert sorted(outcomes) == ["REFUNDED", "REFUND_EXCEEDS_PAYMENT"]
    assert await stripe_refunds(stripe_client, payment) == [3_000]
    async with transaction(committed_session_factory) as session:
        stored = await session.get_one(Payment, payment.id)
    assert (stored.amount_refunded, stored.status) == (3_000, PaymentStatus.PARTIALLY_REFUNDED)
