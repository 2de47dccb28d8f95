"""Telling the other participants of a conversation that a message arrived.

This is the ``messaging.new_message`` job :func:`~vet_services.messaging.conversations.post_message`
writes. The recipients are the participants the message was meant for (the payload's
``recipient_ids``, or every other active participant), less anyone who left the conversation,
muted it or has read the message already; the sender is never one of them. Which channels are
used, and when (quiet hours), is the dispatcher's business, by each recipient's preferences
(category ``message``). The notice is keyed on the message id, so a redelivered job sends once.
System messages ("Sam joined") notify nobody.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from vet_core.models import Clinic, Conversation, ConversationParticipant, Message, User
from vet_core.models.enums import MessageType, NotificationCategory
from vet_core.utils.time import utcnow
from vet_services.messaging.conversations import NEW_MESSAGE_TOPIC
from vet_services.notifications.dispatcher import Dispatcher, Notice
from vet_services.notifications.followup import FollowUpReport, defer_job, notify_users

#: Characters of the message shown in the notice (SMS and push are short).
PREVIEW_LENGTH = 140


def preview(body: str, length: int = PREVIEW_LENGTH) -> str:
    """The first ``length`` characters of ``body`` on one line, with an ellipsis if cut."""
    flat = " ".join(body.split())
    return flat if len(flat) <= length else flat[: length - 1].rstrip() + "…"


async def _recipients(
    session: AsyncSession, message: Message, wanted: Iterable[uuid.UUID] | None
) -> list[User]:
    query = (
        select(User)
        .join(ConversationParticipant, ConversationParticipant.user_id == User.id)
        .where(
            ConversationParticipant.conversation_id == message.conversation_id,
            ConversationParticipant.left_at.is_(None),
            ConversationParticipant.is_muted.is_(False),
            or_(
                ConversationParticipant.last_read_at.is_(None),
                ConversationParticipant.last_read_at < message.created_at,
            ),
            User.id.is_distinct_from(message.sender_id),
        )
        .order_by(User.id)
    )
    if wanted is not None:
        query = query.where(User.id.in_(list(wanted)))
    return list((await session.execute(query)).scalars().unique())


async def notify_new_message(
    session: AsyncSession,
    dispatcher: Dispatcher,
    message_id: uuid.UUID,
    *,
    recipient_ids: Iterable[uuid.UUID] | None = None,
    now: datetime | None = None,
) -> FollowUpReport:
    """Notify the recipients of message ``message_id`` once each (nothing if it was deleted)."""
    now = now or utcnow()
    message = await session.get(Message, message_id)
    if message is None or message.deleted_at is not None:
        return FollowUpReport()
    if message.message_type is MessageType.SYSTEM:
        return FollowUpReport()
    conversation = await session.get_one(Conversation, message.conversation_id)
    clinic = await session.get(Clinic, conversation.clinic_id) if conversation.clinic_id else None
    wanted = None if recipient_ids is None else set(recipient_ids)
    recipients = await _recipients(session, message, wanted)
    if message.sender_id is not None:
        sender = await session.get(User, message.sender_id)
        sender_name = f"{sender.first_name} {sender.last_name}" if sender else None
    else:
        sender_name = None
    attachments = len(message.attachments or [])
    context = {
        "sender_name": sender_name,
        "clinic_name": clinic.name if clinic else None,
        "subject": conversation.subject,
        "preview": preview(message.body),
        "attachments": attachments,
    }
    key = f"new-message:{message.id}"
    report = await notify_users(
        session,
        dispatcher,
        recipients,
        lambda user: Notice(
            template="new_message",
            context={**context, "recipient_name": user.first_name},
            category=NotificationCategory.MESSAGE,
            data={"conversation_id": str(conversation.id), "message_id": str(message.id)},
        ),
        key=key,
        now=now,
        fallback_timezone=clinic.timezone if clinic else None,
    )
    payload: dict[str, object] = {"message_id": str(message.id)}
    if report.deferred:
        payload["recipient_ids"] = [str(user_id) for user_id in report.deferred]
    await defer_job(session, NEW_MESSAGE_TOPIC, payload, report, key=key)
    return report


__all__ = ["NEW_MESSAGE_TOPIC", "PREVIEW_LENGTH", "notify_new_message", "preview"]
