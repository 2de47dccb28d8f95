"""Stripe webhooks: verified with Stripe's own signature check, applied exactly once.

Stripe delivers at least once and may replay any event. Each event id is inserted into
``processed_webhook_events`` (``ON CONFLICT DO NOTHING``) in the *same* transaction as its
effects: the first delivery records it and applies it; a replay finds the row and changes
nothing; a delivery that fails rolls back both, so Stripe's retry applies it then. Two
deliveries racing serialize on the primary key, and the loser sees the winner's row.

The effects themselves are also monotonic (a succeeded payment never goes back to failed, the
refunded total only grows), so events arriving out of order do no harm either.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

import stripe
from sqlalchemy import or_, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from vet_core.exceptions import AuthenticationException, SchemaValidationException
from vet_core.models.base import uuid7
from vet_core.models.commerce import Order, Payment, ProcessedWebhookEvent, Refund
from vet_core.models.enums import AuditAction, OrderStatus, PaymentStatus, RefundStatus
from vet_core.utils.time import utcnow
from vet_services.audit import record_change, snapshot
from vet_services.outbox import enqueue
from vet_services.payments.service import apply_refunded_total
from vet_services.payments.settings import StripeSettings

logger = logging.getLogger(__name__)

PROVIDER = "stripe"
ORDER_PAID_TOPIC = "commerce.order_paid"
PAID_AFTER_CANCELLATION_TOPIC = "commerce.order_paid_after_cancellation"
DEPOSIT_PAID_TOPIC = "scheduling.deposit_paid"
PAYMENT_FAILED_TOPIC = "payments.payment_failed"

_PAYMENT_FIELDS = ["status", "amount_refunded", "stripe_charge_id", "failure_code", "paid_at"]


class WebhookOutcome(StrEnum):
    """What became of a delivery (the API answers 200 to all three: nothing to retry)."""

    APPLIED = "applied"
    DUPLICATE = "duplicate"
    IGNORED = "ignored"


@dataclass(frozen=True, slots=True)
class WebhookResult:
    event_id: str
    event_type: str
    outcome: WebhookOutcome


def verify_event(settings: StripeSettings, body: bytes, signature_header: str | None) -> Any:
    """The event, if ``Stripe-Signature`` signs ``body`` with our secret and is recent enough.

    Raises :class:`AuthenticationException` (``WEBHOOK_SIGNATURE_INVALID``) for a missing,
    wrong or stale signature, and :class:`SchemaValidationException` for a body that is not an
    event.
    """
    try:
        return stripe.Webhook.construct_event(
            body,
            signature_header,
            settings.webhook_secret.get_secret_value(),
            tolerance=settings.webhook_tolerance_seconds,
        )
    except stripe.SignatureVerificationError as error:
        raise AuthenticationException(
            "The webhook signature is invalid or too old", code="WEBHOOK_SIGNATURE_INVALID"
        ) from error
    except ValueError as error:
        raise SchemaValidationException(
            "The webhook body is not a Stripe event", code="WEBHOOK_PAYLOAD_INVALID"
        ) from error


async def handle_stripe_webhook(
    session: AsyncSession, settings: StripeSettings, body: bytes, signature_header: str | None
) -> WebhookResult:
    """Verify one delivery and apply it once; the caller commits."""
    event = verify_event(settings, body, signature_header)
    payload: dict[str, Any] = event.to_dict()
    event_id, event_type = str(payload["id"]), str(payload["type"])
    recorded = (
        await session.execute(
            insert(ProcessedWebhookEvent)
            .values(provider=PROVIDER, event_id=event_id, event_type=event_type, payload=payload)
            .on_conflict_do_nothing(
                index_elements=[ProcessedWebhookEvent.provider, ProcessedWebhookEvent.event_id]
            )
            .returning(ProcessedWebhookEvent.event_id)
        )
    ).scalar_one_or_none()
    if recorded is None:
        return WebhookResult(event_id, event_type, WebhookOutcome.DUPLICATE)

    obj: dict[str, Any] = payload.get("data", {}).get("object", {})
    occurred_at = datetime.fromtimestamp(int(payload.get("created") or 0), UTC)
    handler = _HANDLERS.get(event_type)
    applied = False
    if handler is not None:
        applied = await handler(session, obj, occurred_at)
    await session.execute(
        update(ProcessedWebhookEvent)
        .where(
            ProcessedWebhookEvent.provider == PROVIDER,
            ProcessedWebhookEvent.event_id == event_id,
        )
        .values(processed_at=utcnow())
    )
    outcome = WebhookOutcome.APPLIED if applied else WebhookOutcome.IGNORED
    return WebhookResult(event_id, event_type, outcome)


async def _locked_payment(
    session: AsyncSession, intent_id: str | None, charge_id: str | None = None
) -> Payment | None:
    criteria = []
    if intent_id:
        criteria.append(Payment.stripe_payment_intent_id == intent_id)
    if charge_id:
        criteria.append(Payment.stripe_charge_id == charge_id)
    if not criteria:
        return None
    return (
        await session.execute(select(Payment).where(or_(*criteria)).with_for_update())
    ).scalar_one_or_none()


async def _audit_payment(session: AsyncSession, payment: Payment, before: dict[str, Any]) -> None:
    await session.flush()
    after = snapshot(payment, _PAYMENT_FIELDS)
    if after != before:
        await record_change(
            session, None, AuditAction.UPDATE, "payment", payment.id, before=before, after=after
        )


async def _payment_succeeded(
    session: AsyncSession, intent: dict[str, Any], occurred_at: datetime
) -> bool:
    payment = await _locked_payment(session, intent.get("id"))
    if payment is None:
        logger.warning("payment_intent.succeeded for unknown intent %s", intent.get("id"))
        return False
    before = snapshot(payment, _PAYMENT_FIELDS)
    if payment.status not in (PaymentStatus.PARTIALLY_REFUNDED, PaymentStatus.REFUNDED):
        payment.status = PaymentStatus.SUCCEEDED
        payment.failure_code = None
        payment.failure_message = None
    charge = intent.get("latest_charge")
    charge_id = charge.get("id") if isinstance(charge, dict) else charge
    if isinstance(charge_id, str):
        payment.stripe_charge_id = charge_id
    if payment.paid_at is None:
        payment.paid_at = occurred_at
    await _audit_payment(session, payment, before)

    if payment.order_id is not None:
        order = (
            await session.execute(
                select(Order).where(Order.id == payment.order_id).with_for_update()
            )
        ).scalar_one()
        if order.status is OrderStatus.PENDING_PAYMENT:
            order_before = snapshot(order, ["status"])
            order.status = OrderStatus.PAID
            await session.flush()
            await record_change(
                session,
                None,
                AuditAction.UPDATE,
                "order",
                order.id,
                before=order_before,
                after=snapshot(order, ["status"]),
            )
        # Money for an order cancelled meanwhile goes to the clinic to refund, not to fulfil.
        cancelled = order.status is OrderStatus.CANCELLED
        await enqueue(
            session,
            PAID_AFTER_CANCELLATION_TOPIC if cancelled else ORDER_PAID_TOPIC,
            {"order_id": str(order.id), "payment_id": str(payment.id)},
            dedup_key=f"order-paid:{order.id}",
        )
    elif payment.appointment_id is not None:
        await enqueue(
            session,
            DEPOSIT_PAID_TOPIC,
            {"appointment_id": str(payment.appointment_id), "payment_id": str(payment.id)},
            dedup_key=f"deposit-paid:{payment.id}",
        )
    return True


async def _payment_failed(
    session: AsyncSession, intent: dict[str, Any], occurred_at: datetime
) -> bool:
    payment = await _locked_payment(session, intent.get("id"))
    if payment is None:
        return False
    if payment.status in (
        PaymentStatus.SUCCEEDED,
        PaymentStatus.PARTIALLY_REFUNDED,
        PaymentStatus.REFUNDED,
    ):
        # A late failure of an earlier attempt; the intent has succeeded since.
        return False
    before = snapshot(payment, _PAYMENT_FIELDS)
    error = intent.get("last_payment_error") or {}
    payment.status = PaymentStatus.FAILED
    payment.failure_code = (error.get("decline_code") or error.get("code") or "failed")[:100]
    payment.failure_message = error.get("message")
    await _audit_payment(session, payment, before)
    await enqueue(
        session,
        PAYMENT_FAILED_TOPIC,
        {"payment_id": str(payment.id), "failure_code": payment.failure_code},
        dedup_key=f"payment-failed:{payment.id}:{occurred_at.isoformat()}",
    )
    return True


async def _payment_canceled(
    session: AsyncSession, intent: dict[str, Any], occurred_at: datetime
) -> bool:
    """A cancelled intent is dead; the next payment request makes a new one."""
    payment = await _locked_payment(session, intent.get("id"))
    if payment is None or payment.status in (
        PaymentStatus.SUCCEEDED,
        PaymentStatus.PARTIALLY_REFUNDED,
        PaymentStatus.REFUNDED,
    ):
        return False
    before = snapshot(payment, _PAYMENT_FIELDS)
    payment.status = PaymentStatus.CANCELLED
    await _audit_payment(session, payment, before)
    return True


_REFUND_STATUS = {
    "succeeded": RefundStatus.SUCCEEDED,
    "failed": RefundStatus.FAILED,
    "canceled": RefundStatus.CANCELLED,
}


async def _charge_refunded(
    session: AsyncSession, charge: dict[str, Any], occurred_at: datetime
) -> bool:
    payment = await _locked_payment(session, charge.get("payment_intent"), charge.get("id"))
    if payment is None:
        return False
    before = snapshot(payment, _PAYMENT_FIELDS)
    # Refunds made outside the platform (the Stripe dashboard) are recorded too.
    listed = (charge.get("refunds") or {}).get("data") or []
    for item in listed:
        status = _REFUND_STATUS.get(str(item.get("status")), RefundStatus.PENDING)
        await session.execute(
            insert(Refund)
            .values(
                id=uuid7(),
                payment_id=payment.id,
                amount=int(item["amount"]),
                currency=payment.currency,
                status=status,
                stripe_refund_id=str(item["id"]),
                refunded_at=occurred_at if status is RefundStatus.SUCCEEDED else None,
            )
            .on_conflict_do_nothing(index_elements=[Refund.stripe_refund_id])
        )
    await apply_refunded_total(session, payment, int(charge.get("amount_refunded") or 0))
    await _audit_payment(session, payment, before)
    return True


_HANDLERS = {
    "payment_intent.succeeded": _payment_succeeded,
    "payment_intent.payment_failed": _payment_failed,
    "payment_intent.canceled": _payment_canceled,
    "charge.refunded": _charge_refunded,
}


__all__ = [
    "DEPOSIT_PAID_TOPIC",
    "ORDER_PAID_TOPIC",
    "PAID_AFTER_CANCELLATION_TOPIC",
    "PAYMENT_FAILED_TOPIC",
    "PROVIDER",
    "WebhookOutcome",
    "WebhookResult",
    "handle_stripe_webhook",
    "verify_event",
]
