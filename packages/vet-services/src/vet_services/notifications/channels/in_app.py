"""In-app notifications: a row in ``notifications`` the user's app lists until it is read.

It is a channel like the others so the dispatcher claims, records and deduplicates it the same
way; its "provider id" is the notification's id. It writes in the caller's transaction.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from vet_core.models import Notification
from vet_core.models.enums import NotificationChannel
from vet_services.notifications.channels.base import DeliveryResult, OutgoingMessage

PROVIDER = "in_app"


class InAppChannel:
    """Writes :class:`Notification` rows through ``session`` (flush only, never commit)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    @property
    def channel(self) -> NotificationChannel:
        return NotificationChannel.IN_APP

    @property
    def provider(self) -> str:
        return PROVIDER

    async def send(self, message: OutgoingMessage) -> DeliveryResult:
        notification = Notification(
            user_id=message.user_id,
            category=message.category,
            title=message.subject[:200],
            body=message.text,
            action_url=message.action_url,
            data=dict(message.data),
        )
        self.session.add(notification)
        await self.session.flush()
        return DeliveryResult.sent(PROVIDER, str(notification.id))


__all__ = ["InAppChannel"]
