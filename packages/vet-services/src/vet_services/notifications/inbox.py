"""A signed-in person's in-app notifications: newest first, and marking them read.

The rows are written by :class:`~vet_services.notifications.channels.in_app.InAppChannel`; this
module is the reading side. A notification belongs to exactly one user: anyone else asking for
it is told it does not exist. API keys act for a clinic, not a person, and have no inbox.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from vet_core.exceptions import NotFoundException, PermissionDeniedException
from vet_core.models import Notification
from vet_core.utils.time import utcnow
from vet_services.auth.permissions import Actor
from vet_services.pagination import DEFAULT_LIMIT, Page, keyset, page_of


def _person(actor: Actor) -> uuid.UUID:
    if actor.user_id is None or actor.api_key_id is not None:
        raise PermissionDeniedException(
            "Notifications belong to signed-in people, not API keys", code="USER_REQUIRED"
        )
    return actor.user_id


async def list_notifications(
    session: AsyncSession,
    actor: Actor,
    *,
    cursor: str | None = None,
    limit: int = DEFAULT_LIMIT,
    unread_only: bool = False,
) -> Page[Notification]:
    """The caller's notifications, newest first (optionally only the unread ones)."""
    user_id = _person(actor)
    query = select(Notification).where(Notification.user_id == user_id)
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
    statement = keyset(query, Notification.created_at, Notification.id, cursor=cursor, limit=limit)
    rows = (await session.execute(statement)).scalars().all()
    return page_of(rows, limit)


async def mark_read(
    session: AsyncSession, actor: Actor, notification_id: uuid.UUID
) -> Notification:
    """Mark one of the caller's notifications read; marking it again keeps the first time."""
    user_id = _person(actor)
    notification = (
        await session.execute(
            select(Notification)
            .where(Notification.id == notification_id, Notification.user_id == user_id)
            .with_for_update()
        )
    ).scalar_one_or_none()
    if notification is None:
        raise NotFoundException("Notification not found", code="NOTIFICATION_NOT_FOUND")
    if notification.read_at is None:
        notification.read_at = utcnow()
        await session.flush()
        await session.refresh(notification)
    return notification


__all__ = ["list_notifications", "mark_read"]
