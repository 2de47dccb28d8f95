"""Payment follow-ups: the payer told of a failed payment or a refund, a paid deposit settled.

The jobs come from the Stripe webhook and the refund service through the outbox; each task opens
a transaction, calls one service and returns a small summary. Every notice is keyed on the
payment or the refund (a failed payment also on its outbox event, since one payment can fail
more than once), so a redelivered task sends nothing new.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from vet_clinic_jobs import providers
from vet_clinic_jobs.celery_app import app
from vet_clinic_jobs.db import run_in_session
from vet_services.payments.notices import notify_payment_failed, notify_refund_issued
from vet_services.payments.service import REFUND_ISSUED_TOPIC
from vet_services.payments.webhooks import DEPOSIT_PAID_TOPIC, PAYMENT_FAILED_TOPIC
from vet_services.scheduling.deposits import settle_deposit


@app.task(name=PAYMENT_FAILED_TOPIC, bind=True)
def payment_failed(
    self: Any, payment_id: str, event_id: str | None = None, **_: Any
) -> dict[str, Any]:
    """Tell the payer their payment failed (once per failure: keyed on the outbox event)."""
    marker = event_id or str(self.request.id)

    async def work(session: AsyncSession) -> dict[str, Any]:
        report = await notify_payment_failed(
            session, providers.dispatcher(), uuid.UUID(payment_id), event_id=marker
        )
        return report.as_dict()

    return run_in_session(work)


@app.task(name=REFUND_ISSUED_TOPIC)
def refund_issued(refund_id: str, **_: Any) -> dict[str, Any]:
    """Tell the payer a refund is on its way (once per refund)."""

    async def work(session: AsyncSession) -> dict[str, Any]:
        report = await notify_refund_issued(session, providers.dispatcher(), uuid.UUID(refund_id))
        return report.as_dict()

    return run_in_session(work)


@app.task(name=DEPOSIT_PAID_TOPIC)
def deposit_paid(appointment_id: str, payment_id: str, **_: Any) -> dict[str, object]:
    """Confirm the scheduled appointment whose deposit was paid; tell the owner once."""

    async def work(session: AsyncSession) -> dict[str, object]:
        outcome = await settle_deposit(
            session, providers.dispatcher(), uuid.UUID(appointment_id), uuid.UUID(payment_id)
        )
        return outcome.as_dict()

    return run_in_session(work)
