"""Inbound webhooks (public: each is verified by its provider's signature)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import BaseModel

from vet_clinic_api.deps import SessionDep, resources
from vet_clinic_api.errors import responses
from vet_core.exceptions import ConfigurationException
from vet_services.auth.webhooks import handle_clerk_event, verify_clerk_webhook

router = APIRouter(prefix="/webhooks", tags=["webhooks"])


class WebhookAck(BaseModel):
    received: bool = True
    applied: bool


@router.post("/clerk", response_model=WebhookAck, responses=responses(401, public=True))
async def clerk(request: Request, session: SessionDep) -> WebhookAck:
    """Clerk user events, signed with Svix; a redelivered event is acknowledged and ignored."""
    secret = resources(request).settings.clerk.webhook_secret
    if secret is None:
        raise ConfigurationException("CLERK_WEBHOOK_SECRET is not configured")
    body = await request.body()
    payload = verify_clerk_webhook(secret.get_secret_value(), body, dict(request.headers))
    outcome = await handle_clerk_event(session, request.headers["svix-id"], payload)
    return WebhookAck(applied=outcome.applied)
