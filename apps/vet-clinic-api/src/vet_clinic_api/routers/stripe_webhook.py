"""``POST /webhooks/stripe``: public, verified by Stripe's signature, applied once per event."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Request
from pydantic import BaseModel

from vet_clinic_api.deps import SessionDep
from vet_clinic_api.errors import responses
from vet_clinic_api.routers.payments import stripe_settings
from vet_services.payments.settings import StripeSettings
from vet_services.payments.webhooks import WebhookOutcome, handle_stripe_webhook

router = APIRouter(prefix="/webhooks", tags=["webhooks"])


class StripeWebhookAck(BaseModel):
    """Every verified delivery is acknowledged (200): ``outcome`` says what became of it."""

    received: bool = True
    event_id: str
    event_type: str
    outcome: WebhookOutcome


@router.post("/stripe", response_model=StripeWebhookAck, responses=responses(401, public=True))
async def stripe_webhook(
    request: Request,
    session: SessionDep,
    settings: Annotated[StripeSettings, Depends(stripe_settings)],
    stripe_signature: Annotated[str | None, Header(alias="Stripe-Signature")] = None,
) -> StripeWebhookAck:
    """Stripe events; a bad or stale signature is 401, a redelivered event changes nothing."""
    body = await request.body()
    result = await handle_stripe_webhook(session, settings, body, stripe_signature)
    return StripeWebhookAck(
        event_id=result.event_id, event_type=result.event_type, outcome=result.outcome
    )


__all__ = ["router"]
