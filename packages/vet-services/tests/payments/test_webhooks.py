"""Stripe webhooks: signed as Stripe signs them, verified, and applied exactly once."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import pytest
import stripe
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from payments.builders import Rows
from payments.conftest import Card, card_payment_method, event_body, sign
from payments.flows import deliver, intent_as_stripe_sends_it, order_of, paid_order, shop
from vet_core.database.session import SessionFactory, transaction
from vet_core.exceptions import AuthenticationException, BusinessRuleException
from vet_core.models.audit import AuditLog
from vet_core.models.commerce import Order, Payment, ProcessedWebhookEvent, Refund
from vet_core.models.enums import AppointmentStatus, OrderStatus, PaymentStatus
from vet_core.models.outbox import OutboxEvent
from vet_services.payments.gateway import StripeGateway
from vet_services.payments.service import create_deposit_payment, create_order_payment
from vet_services.payments.settings import StripeSettings
from vet_services.payments.webhooks import (
    DEPOSIT_PAID_TOPIC,
    ORDER_PAID_TOPIC,
    PAID_AFTER_CANCELLATION_TOPIC,
    WebhookOutcome,
    handle_stripe_webhook,
)


async def count(session: AsyncSession, model: type[Any], *where: Any) -> int:
    return int(await session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


async def succeeded_intent(
    session: AsyncSession,
    rows: Rows,
    gateway: StripeGateway,
    client: stripe.StripeClient,
) -> tuple[Order, Payment, dict[str, Any]]:
    at = await shop(rows)
    order = await order_of(session, rows, at)
    start = await create_order_payment(session, at.owner.actor, gateway, order.id)
    intent_id = str(start.payment.stripe_payment_intent_id)
    await gateway.confirm_payment_intent(
        intent_id, payment_method=await card_payment_method(client), idempotency_key=intent_id
    )
    return order, start.payment, await intent_as_stripe_sends_it(client, intent_id)


async def test_a_succeeded_intent_marks_the_payment_and_order_paid_and_enqueues_a_job(
    db_session: AsyncSession,
    rows: Rows,
    gateway: StripeGateway,
    stripe_client: stripe.StripeClient,
    stripe_settings: StripeSettings,
) -> None:
    order, payment, intent = await succeeded_intent(db_session, rows, gateway, stripe_client)

    result = await deliver(db_session, stripe_settings, "payment_intent.succeeded", intent)

    assert result.outcome is WebhookOutcome.APPLIED
    assert payment.status is PaymentStatus.SUCCEEDED
    assert str(payment.stripe_charge_id).startswith("ch_")
    assert payment.paid_at is not None
    assert order.status is OrderStatus.PAID
    job = (
        await db_session.execute(select(OutboxEvent).where(OutboxEvent.topic == ORDER_PAID_TOPIC))
    ).scalar_one()
    assert job.payload["order_id"] == str(order.id)


async def test_a_replayed_event_changes_nothing(
    db_session: AsyncSession,
    rows: Rows,
    gateway: StripeGateway,
    stripe_client: stripe.StripeClient,
    stripe_settings: StripeSettings,
) -> None:
    _, payment, intent = await succeeded_intent(db_session, rows, gateway, stripe_client)
    body = event_body("payment_intent.succeeded", intent, event_id="evt_replayed_1")
    first = await handle_stripe_webhook(db_session, stripe_settings, body.encode(), sign(body))
    paid_at = payment.paid_at
    seen = (
        await count(db_session, AuditLog),
        await count(db_session, OutboxEvent),
        await count(db_session, ProcessedWebhookEvent),
    )

    # Stripe re-sends the same event later, signed afresh.
    resigned = sign(body, timestamp=int(time.time()) - 30)
    replay = await handle_stripe_webhook(db_session, stripe_settings, body.encode(), resigned)

    assert first.outcome is WebhookOutcome.APPLIED
    assert replay.outcome is WebhookOutcome.DUPLICATE
    assert payment.paid_at == paid_at
    assert seen == (
        await count(db_session, AuditLog),
        await count(db_session, OutboxEvent),
        await count(db_session, ProcessedWebhookEvent),
    )


@pytest.mark.parametrize(
    ("case", "header"),
    [
        ("wrong secret", lambda body: sign(body, "whsec_not_ours")),
        ("stale timestamp", lambda body: sign(body, timestamp=int(time.time()) - 3_600)),
        ("no signature", lambda body: None),
        ("garbage", lambda body: "t=1,v1=deadbeef"),
    ],
)
async def test_a_delivery_not_signed_by_stripe_is_refused(
    case: str,
    header: Callable[[str], str | None],
    db_session: AsyncSession,
    rows: Rows,
    gateway: StripeGateway,
    stripe_client: stripe.StripeClient,
    stripe_settings: StripeSettings,
) -> None:
    _, payment, intent = await succeeded_intent(db_session, rows, gateway, stripe_client)
    body = event_body("payment_intent.succeeded", intent)

    with pytest.raises(AuthenticationException) as caught:
        await handle_stripe_webhook(
            db_session,
            stripe_settings,
            body.encode(),
            header(body),
        )

    assert caught.value.code == "WEBHOOK_SIGNATURE_INVALID", case
    assert payment.status is PaymentStatus.PENDING
    assert await count(db_session, ProcessedWebhookEvent) == 0


async def test_a_body_changed_after_signing_is_refused(
    db_session: AsyncSession, stripe_settings: StripeSettings
) -> None:
    body = event_body("payment_intent.succeeded", {"id": "pi_x", "object": "payment_intent"})
    header = sign(body)
    tampered = body.replace("pi_x", "pi_y")

    with pytest.raises(AuthenticationException):
        await handle_stripe_webhook(db_session, stripe_settings, tampered.encode(), header)


async def test_a_failed_payment_is_recorded_but_never_undoes_a_success(
    db_session: AsyncSession,
    rows: Rows,
    gateway: StripeGateway,
    stripe_client: stripe.StripeClient,
    stripe_settings: StripeSettings,
) -> None:
    at = await shop(rows)
    order = await order_of(db_session, rows, at)
    start = await create_order_payment(db_session, at.owner.actor, gateway, order.id)
    intent_id = str(start.payment.stripe_payment_intent_id)
    with pytest.raises(BusinessRuleException):
        await gateway.confirm_payment_intent(
            intent_id,
            payment_method=await card_payment_method(stripe_client, Card.DECLINED),
            idempotency_key=intent_id,
        )
    failed = await intent_as_stripe_sends_it(stripe_client, intent_id)

    result = await deliver(db_session, stripe_settings, "payment_intent.payment_failed", failed)

    assert result.outcome is WebhookOutcome.APPLIED
    assert start.payment.status is PaymentStatus.FAILED
    assert start.payment.failure_code == "card_declined"
    assert order.status is OrderStatus.PENDING_PAYMENT

    # The owner pays with another card; a late copy of the failure then changes nothing.
    succeeded = dict(failed, status="succeeded", last_payment_error=None)
    await deliver(db_session, stripe_settings, "payment_intent.succeeded", succeeded)
    await deliver(db_session, stripe_settings, "payment_intent.payment_failed", failed)
    assert start.payment.status is PaymentStatus.SUCCEEDED
    assert order.status is OrderStatus.PAID


async def test_a_refund_made_in_the_stripe_dashboard_is_recorded(
    db_session: AsyncSession,
    rows: Rows,
    gateway: StripeGateway,
    stripe_client: stripe.StripeClient,
    stripe_settings: StripeSettings,
) -> None:
    at = await shop(rows)
    order, payment = await paid_order(db_session, rows, gateway, stripe_client, stripe_settings, at)
    made = await stripe_client.v1.refunds.create_async(
        {"payment_intent": str(payment.stripe_payment_intent_id), "amount": 5_400}
    )
    charge = await stripe_client.v1.charges.retrieve_async(str(payment.stripe_charge_id))
    body = event_body("charge.refunded", charge.to_dict())

    first = await handle_stripe_webhook(db_session, stripe_settings, body.encode(), sign(body))
    again = await handle_stripe_webhook(db_session, stripe_settings, body.encode(), sign(body))

    assert (first.outcome, again.outcome) == (WebhookOutcome.APPLIED, WebhookOutcome.DUPLICATE)
    assert (payment.amount_refunded, payment.status) == (5_400, PaymentStatus.REFUNDED)
    assert order.status is OrderStatus.REFUNDED
    recorded = (
        await db_session.execute(select(Refund).where(Refund.payment_id == payment.id))
    ).scalar_one()
    assert (recorded.stripe_refund_id, recorded.amount) == (made.id, 5_400)


async def test_a_paid_deposit_enqueues_its_follow_up(
    db_session: AsyncSession,
    rows: Rows,
    gateway: StripeGateway,
    stripe_client: stripe.StripeClient,
    stripe_settings: StripeSettings,
) -> None:
    clinic = await rows.clinic()
    owner = await rows.person()
    visit = await rows.appointment(
        await rows.pet(owner),
        await rows.veterinarian(clinic),
        clinic,
        status=AppointmentStatus.CONFIRMED,
    )
    start = await create_deposit_payment(
        db_session, owner.actor, gateway, visit.id, amount=3_000, currency="USD"
    )
    intent_id = str(start.payment.stripe_payment_intent_id)
    await gateway.confirm_payment_intent(
        intent_id,
        payment_method=await card_payment_method(stripe_client),
        idempotency_key=intent_id,
    )

    await deliver(
        db_session,
        stripe_settings,
        "payment_intent.succeeded",
        await intent_as_stripe_sends_it(stripe_client, intent_id),
    )

    assert start.payment.status is PaymentStatus.SUCCEEDED
    job = (
        await db_session.execute(select(OutboxEvent).where(OutboxEvent.topic == DEPOSIT_PAID_TOPIC))
    ).scalar_one()
    assert job.payload == {"appointment_id": str(visit.id), "payment_id": str(start.payment.id)}


async def test_an_event_type_we_do_not_handle_is_recorded_and_ignored(
    db_session: AsyncSession, stripe_settings: StripeSettings
) -> None:
    result = await deliver(
        db_session, stripe_settings, "customer.created", {"id": "cus_1", "object": "customer"}
    )

    assert result.outcome is WebhookOutcome.IGNORED
    assert await count(db_session, ProcessedWebhookEvent) == 1


async def test_the_same_event_delivered_twice_at_once_is_applied_once(
    committed_session_factory: SessionFactory,
    gateway: StripeGateway,
    stripe_client: stripe.StripeClient,
    stripe_settings: StripeSettings,
) -> None:
    async with transaction(committed_session_factory) as session:
        _, payment, intent = await succeeded_intent(session, Rows(session), gateway, stripe_client)
    body = event_body("payment_intent.succeeded", intent)

    async def delivery() -> WebhookOutcome:
        async with transaction(committed_session_factory) as session:
            result = await handle_stripe_webhook(
                session, stripe_settings, body.encode(), sign(body)
            )
            return result.outcome

    outcomes = await asyncio.gather(delivery(), delivery(), delivery())

    assert sorted(outcomes) == sorted(
        [WebhookOutcome.APPLIED, WebhookOutcome.DUPLICATE, WebhookOutcome.DUPLICATE]
    )
    async with transaction(committed_session_factory) as session:
        assert await count(session, OutboxEvent, OutboxEvent.topic == ORDER_PAID_TOPIC) == 1
        audits = await count(
            session,
            AuditLog,
            AuditLog.entity_id == payment.id,
            AuditLog.entity_type == "payment",
        )
        assert audits == 2  # created, then succeeded: once


async def test_money_for_an_order_cancelled_meanwhile_is_flagged_for_a_refund(
    db_session: AsyncSession,
    rows: Rows,
    gateway: StripeGateway,
    stripe_client: stripe.StripeClient,
    stripe_settings: StripeSettings,
) -> None:
    order, payment, intent = await succeeded_intent(db_session, rows, gateway, stripe_client)
    order.status = OrderStatus.CANCELLED  # the customer cancelled while the card was charged
    await db_session.flush()

    await deliver(db_session, stripe_settings, "payment_intent.succeeded", intent)

    assert payment.status is PaymentStatus.SUCCEEDED
    assert order.status is OrderStatus.CANCELLED
    topics = (await db_session.execute(select(OutboxEvent.topic))).scalars().all()
    assert PAID_AFTER_CANCELLATION_TOPIC in topics
    assert ORDER_PAID_TOPIC not in topics
