"""Clerk's user webhooks, verified with the Svix scheme and applied exactly once.

Svix signs ``"{svix-id}.{svix-timestamp}.{raw body}"`` with HMAC-SHA256 under the base64-decoded
``whsec_`` secret and sends ``v1,<base64 signature>`` (possibly several, space separated) in
``svix-signature``. The ``svix`` package checks that and refuses timestamps outside a five-minute
window, so a captured request cannot be replayed later. Each event's ``svix-id`` is recorded in
``processed_webhook_events`` in the same transaction as its effect: a redelivery changes nothing.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from svix.webhooks import Webhook, WebhookVerificationError

from vet_core.exceptions import AuthenticationException, SchemaValidationException
from vet_core.models.commerce import ProcessedWebhookEvent
from vet_core.models.enums import UserStatus
from vet_core.models.identity import User
from vet_core.utils.time import utcnow
from vet_services.auth.directory import ClerkUser
from vet_services.auth.identity import upsert_user

PROVIDER = "clerk"
HANDLED_EVENTS = frozenset({"user.created", "user.updated", "user.deleted"})


@dataclass(frozen=True, slots=True)
class WebhookOutcome:
    """What happened to one delivery."""

    event_id: str
    event_type: str
    applied: bool  # False for a duplicate delivery or an event type we do not handle


def verify_clerk_webhook(secret: str, body: bytes, headers: Mapping[str, str]) -> dict[str, Any]:
    """Check the Svix signature and timestamp of a delivery and return its JSON payload.

    Raises :class:`AuthenticationException` (``INVALID_WEBHOOK_SIGNATURE``) when the signature,
    the id or the timestamp is missing or wrong, or the timestamp is outside the tolerance.
    """
    lowered = {key.lower(): value for key, value in headers.items()}
    try:
        Webhook(secret).verify(body, lowered)
    except WebhookVerificationError as exc:
        raise AuthenticationException(
            "The webhook signature is invalid", code="INVALID_WEBHOOK_SIGNATURE"
        ) from exc
    try:
        payload = json.loads(body)
    except ValueError as exc:
        raise SchemaValidationException("The webhook payload is not JSON") from exc
    if not isinstance(payload, dict):
        raise SchemaValidationException("The webhook payload must be a JSON object")
    return payload


async def handle_clerk_event(
    session: AsyncSession, event_id: str, payload: dict[str, Any]
) -> WebhookOutcome:
    """Apply one verified Clerk event once; a second delivery of ``event_id`` is a no-op."""
    event_type = str(payload.get("type", ""))
    data = payload.get("data")
    if not isinstance(data, dict) or not data.get("id"):
        raise SchemaValidationException("The webhook event has no user data")
    claimed = await session.execute(
        insert(ProcessedWebhookEvent)
        .values(
            provider=PROVIDER,
            event_id=event_id,
            event_type=event_type,
            payload=payload,
            processed_at=utcnow(),
        )
        .on_conflict_do_nothing()
        .returning(ProcessedWebhookEvent.event_id)
    )
    if claimed.scalar_one_or_none() is None:
        return WebhookOutcome(event_id, event_type, applied=False)
    if event_type not in HANDLED_EVENTS:
        return WebhookOutcome(event_id, event_type, applied=False)

    if event_type == "user.deleted":
        await _deactivate(session, str(data["id"]))
    else:
        await upsert_user(session, ClerkUser.from_payload(data))
    return WebhookOutcome(event_id, event_type, applied=True)


async def _deactivate(session: AsyncSession, clerk_user_id: str) -> None:
    """A user deleted in Clerk is deactivated and soft-deleted here; their records stay."""
    user_id = (
        await session.execute(select(User.id).where(User.clerk_user_id == clerk_user_id))
    ).scalar_one_or_none()
    if user_id is None:
        return
    await session.execute(
        update(User)
        .where(User.id == user_id, User.deleted_at.is_(None))
        .values(status=UserStatus.DEACTIVATED, deleted_at=utcnow())
    )
