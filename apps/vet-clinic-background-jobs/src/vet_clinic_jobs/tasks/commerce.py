"""Order follow-ups: receipts, approvals, cancellations, and refunds of orders paid too late.

The order services and the Stripe webhook write these jobs to the outbox; the work is in
:mod:`vet_services.commerce.followups`. Notices are keyed on the order, and the refund of an
order paid after it was cancelled on an idempotency key derived from the order, so a
redelivered task notifies once and refunds once (Stripe is not asked a second time).
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from vet_clinic_jobs import providers
from vet_clinic_jobs.celery_app import app
from vet_clinic_jobs.db import run_in_session
from vet_services.commerce.followups import (
    notify_approval_requested,
    notify_order_approved,
    notify_order_cancelled,
    notify_order_paid,
    refund_paid_after_cancellation,
)
from vet_services.commerce.orders import (
    APPROVAL_REQUESTED_TOPIC,
    ORDER_APPROVED_TOPIC,
    ORDER_CANCELLED_TOPIC,
)
from vet_services.payments.webhooks import ORDER_PAID_TOPIC, PAID_AFTER_CANCELLATION_TOPIC


@app.task(name=ORDER_PAID_TOPIC)
def order_paid(order_id: str, payment_id: str, **_: Any) -> dict[str, Any]:
    """Send the customer the receipt of their paid order."""

    async def work(session: AsyncSession) -> dict[str, Any]:
        report = await notify_order_paid(
            session, providers.dispatcher(), uuid.UUID(order_id), uuid.UUID(payment_id)
        )
        return report.as_dict()

    return run_in_session(work)


@app.task(name=PAID_AFTER_CANCELLATION_TOPIC)
def order_paid_after_cancellation(
    order_id: str, payment_id: str, **_: Any
) -> dict[str, str | None]:
    """Refund an order that was cancelled while its card was charged (the refund job tells)."""

    async def work(session: AsyncSession) -> dict[str, str | None]:
        refund = await refund_paid_after_cancellation(
            session, providers.gateway(), uuid.UUID(order_id), uuid.UUID(payment_id)
        )
        if refund is None:
            return {"refund_id": None, "status": None}
        return {"refund_id": str(refund.id), "status": refund.status.value}

    return run_in_session(work)


@app.task(name=ORDER_APPROVED_TOPIC)
def order_approved(order_id: str, **_: Any) -> dict[str, Any]:
    """Tell the customer their held order was approved and can be paid."""

    async def work(session: AsyncSession) -> dict[str, Any]:
        report = await notify_order_approved(session, providers.dispatcher(), uuid.UUID(order_id))
        return report.as_dict()

    return run_in_session(work)


@app.task(name=ORDER_CANCELLED_TOPIC)
def order_cancelled(order_id: str, **_: Any) -> dict[str, Any]:
    """Tell the customer their order was cancelled."""

    async def work(session: AsyncSession) -> dict[str, Any]:
        report = await notify_order_cancelled(session, providers.dispatcher(), uuid.UUID(order_id))
        return report.as_dict()

    return run_in_session(work)


@app.task(name=APPROVAL_REQUESTED_TOPIC)
def prescription_approval_requested(
    order_id: str, pet_id: str | None = None, **_: Any
) -> dict[str, Any]:
    """Ask the clinic's veterinarians to review an order held for prescription items."""

    async def work(session: AsyncSession) -> dict[str, Any]:
        report = await notify_approval_requested(
            session,
            providers.dispatcher(),
            uuid.UUID(order_id),
            # The order service writes str(None) for an order with no pet.
            pet_id=uuid.UUID(pet_id) if pet_id not in (None, "", "None") else None,
        )
        return report.as_dict()

    return run_in_session(work)
