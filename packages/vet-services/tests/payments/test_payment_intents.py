"""PaymentIntents for shop orders and appointment deposits, against localstripe."""

from __future__ import annotations

import pytest
import stripe
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from payments.builders import Rows
from payments.conftest import Card, card_payment_method
from payments.flows import deliver, intent_as_stripe_sends_it, order_of, shop
from vet_core.exceptions import BusinessRuleException, NotFoundException
from vet_core.models.audit import AuditLog
from vet_core.models.commerce import Payment
from vet_core.models.enums import AppointmentStatus, AuditAction, PaymentStatus
from vet_services.payments.gateway import PaymentProviderUnavailable, StripeGateway
from vet_services.payments.service import create_deposit_payment, create_order_payment
from vet_services.payments.settings import StripeSettings


async def test_an_order_is_paid_through_a_payment_intent_for_its_total(
    db_session: AsyncSession, rows: Rows, gateway: StripeGateway, stripe_client: stripe.StripeClient
) -> None:
    at = await shop(rows)
    order = await order_of(db_session, rows, at)

    start = await create_order_payment(db_session, at.owner.actor, gateway, order.id)

    assert order.total_amount == 5_400  # 2 × 25.00 + 8 % tax
    assert start.payment.amount == 5_400
    assert start.payment.currency == "USD"
    assert start.payment.status is PaymentStatus.PENDING
    assert start.client_secret
    assert start.client_secret.startswith(str(start.payment.stripe_payment_intent_id))
    intent = await stripe_client.v1.payment_intents.retrieve_async(
        str(start.payment.stripe_payment_intent_id)
    )
    assert (intent.amount, intent.currency) == (5_400, "usd")
    assert intent.metadata["order_id"] == str(order.id)
    audit = (
        await db_session.execute(select(AuditLog).where(AuditLog.entity_id == start.payment.id))
    ).scalar_one()
    assert audit.action is AuditAction.CREATE
    assert audit.actor_id == at.owner.user.id


async def test_asking_again_with_the_same_key_returns_the_same_intent(
    db_session: AsyncSession, rows: Rows, gateway: StripeGateway
) -> None:
    at = await shop(rows)
    order = await order_of(db_session, rows, at)

    first = await create_order_payment(db_session, at.owner.actor, gateway, order.id)
    second = await create_order_payment(db_session, at.owner.actor, gateway, order.id)

    assert second.payment.id == first.payment.id
    assert second.payment.stripe_payment_intent_id == first.payment.stripe_payment_intent_id
    assert second.client_secret == first.client_secret
    count = await db_session.scalar(
        select(func.count()).select_from(Payment).where(Payment.order_id == order.id)
    )
    assert count == 1


async def test_nobody_else_can_pay_or_even_see_an_order(
    db_session: AsyncSession, rows: Rows, gateway: StripeGateway
) -> None:
    at = await shop(rows)
    order = await order_of(db_session, rows, at)
    stranger = await rows.person()

    with pytest.raises(NotFoundException) as caught:
        await create_order_payment(db_session, stranger.actor, gateway, order.id)
    assert caught.value.code == "ORDER_NOT_FOUND"


async def test_an_appointment_deposit_is_one_intent_per_appointment(
    db_session: AsyncSession, rows: Rows, gateway: StripeGateway, stripe_client: stripe.StripeClient
) -> None:
    clinic = await rows.clinic()
    owner = await rows.person()
    vet = await rows.veterinarian(clinic)
    pet = await rows.pet(owner)
    visit = await rows.appointment(pet, vet, clinic, status=AppointmentStatus.SCHEDULED)

    first = await create_deposit_payment(
        db_session, owner.actor, gateway, visit.id, amount=2_000, currency="EUR"
    )
    again = await create_deposit_payment(
        db_session, owner.actor, gateway, visit.id, amount=2_000, currency="EUR"
    )

    assert again.payment.id == first.payment.id
    assert first.payment.appointment_id == visit.id
    assert first.payment.order_id is None
    intent = await stripe_client.v1.payment_intents.retrieve_async(
        str(first.payment.stripe_payment_intent_id)
    )
    assert (intent.amount, intent.currency) == (2_000, "eur")
    assert intent.metadata["kind"] == "appointment_deposit"


async def test_a_declined_card_is_payment_declined(
    db_session: AsyncSession, rows: Rows, gateway: StripeGateway, stripe_client: stripe.StripeClient
) -> None:
    at = await shop(rows)
    order = await order_of(db_session, rows, at)
    start = await create_order_payment(db_session, at.owner.actor, gateway, order.id)
    intent_id = str(start.payment.stripe_payment_intent_id)

    with pytest.raises(BusinessRuleException) as caught:
        await gateway.confirm_payment_intent(
            intent_id,
            payment_method=await card_payment_method(stripe_client, Card.DECLINED),
            idempotency_key=f"confirm:{intent_id}",
        )
    assert caught.value.code == "PAYMENT_DECLINED"


async def test_an_intent_stripe_does_not_know_is_not_found(gateway: StripeGateway) -> None:
    with pytest.raises(NotFoundException) as caught:
        await gateway.retrieve_payment_intent("pi_unknown0000000000")
    assert caught.value.code == "PAYMENT_NOT_FOUND"


async def test_an_unreachable_stripe_is_a_retryable_error(stripe_settings: StripeSettings) -> None:
    offline = StripeGateway(stripe_settings.model_copy(update={"api_base": "http://127.0.0.1:9"}))
    try:
        with pytest.raises(PaymentProviderUnavailable) as caught:
            await offline.create_payment_intent(
                amount=100, currency="USD", idempotency_key="offline-1"
            )
    finally:
        await offline.aclose()
    assert caught.value.http_status == 503


async def test_after_a_declined_card_the_same_intent_is_offered_again(
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
    await deliver(
        db_session,
        stripe_settings,
        "payment_intent.payment_failed",
        await intent_as_stripe_sends_it(stripe_client, intent_id),
    )
    assert start.payment.status is PaymentStatus.FAILED

    retry = await create_order_payment(db_session, at.owner.actor, gateway, order.id)

    assert retry.payment.id == start.payment.id
    assert retry.payment.stripe_payment_intent_id == intent_id


async def test_a_cancelled_intent_is_replaced_by_a_new_one(
    db_session: AsyncSession,
    rows: Rows,
    gateway: StripeGateway,
    stripe_client: stripe.StripeClient,
    stripe_settings: StripeSettings,
) -> None:
    at = await shop(rows)
    order = await order_of(db_session, rows, at)
    first = await create_order_payment(db_session, at.owner.actor, gateway, order.id)
    intent_id = str(first.payment.stripe_payment_intent_id)
    await stripe_client.v1.payment_intents.cancel_async(intent_id)
    await deliver(
        db_session,
        stripe_settings,
        "payment_intent.canceled",
        await intent_as_stripe_sends_it(stripe_client, intent_id),
    )

    second = await create_order_payment(db_session, at.owner.actor, gateway, order.id)

    assert first.payment.status is PaymentStatus.CANCELLED
    assert second.payment.id != first.payment.id
    assert second.payment.stripe_payment_intent_id != intent_id
    assert second.payment.status is PaymentStatus.PENDING
