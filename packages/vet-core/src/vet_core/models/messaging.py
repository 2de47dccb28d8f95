"""Conversations between owners and clinics, their messages, reactions and the clinic chatbot.

Read receipts are per participant: ``last_read_at`` (and the last message read); a message is
read by a participant when it was created at or before their ``last_read_at``.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    false,
    func,
    text,
    true,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from vet_core.models.base import (
    AuditMixin,
    Base,
    SoftDeleteMixin,
    TimestampMixin,
    UUIDPrimaryKeyMixin,
    enum_column_type,
)
from vet_core.models.enums import ConversationType, MessageType, ParticipantRole


class Conversation(UUIDPrimaryKeyMixin, TimestampMixin, AuditMixin, SoftDeleteMixin, Base):
    """A thread, optionally about a pet and with a clinic."""

    __tablename__ = "conversations"
    __table_args__ = (
        Index(
            "ix_conversations_clinic_id_last_message_at",
            "clinic_id",
            "last_message_at",
            postgresql_where=text("deleted_at IS NULL"),
        ),
    )

    conversation_type: Mapped[ConversationType] = mapped_column(
        enum_column_type(ConversationType, "conversation_type")
    )
    clinic_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("clinics.id", ondelete="SET NULL")
    )
    pet_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("pets.id", ondelete="SET NULL")
    )
    subject: Mapped[str | None] = mapped_column(String(200))
    last_message_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    participants: Mapped[list[ConversationParticipant]] = relationship(
        lazy="raise", cascade="all, delete-orphan", passive_deletes=True
    )


class Message(UUIDPrimaryKeyMixin, TimestampMixin, SoftDeleteMixin, Base):
    """A message; ``sender_id`` is null for system and bot messages."""

    __tablename__ = "messages"
    __table_args__ = (
        CheckConstraint("jsonb_typeof(attachments) = 'array'", name="attachments_is_array"),
        CheckConstraint(
            "message_type IN ('system', 'bot') OR sender_id IS NOT NULL",
            name="sender_for_user_messages",
        ),
        CheckConstraint(
            "deleted_at IS NOT NULL OR btrim(body) <> '' OR jsonb_array_length(attachments) > 0",
            name="body_or_attachments",
        ),
        Index("ix_messages_conversation_id_created_at", "conversation_id", "created_at"),
        Index("ix_messages_sender_id", "sender_id"),
    )

    conversation_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("conversations.id", ondelete="CASCADE")
    )
    sender_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("users.id", ondelete="SET NULL")
    )
    message_type: Mapped[MessageType] = mapped_column(
        enum_column_type(MessageType, "message_type"), default=MessageType.TEXT
    )
    body: Mapped[str] = mapped_column(Text, default="", server_default=text("''"))
    attachments: Mapped[list[dict[str, Any]]] = mapped_column(
        JSONB, default=list, server_default=text("'[]'::jsonb")
    )
    reply_to_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("messages.id", ondelete="SET NULL")
    )
    edited_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    reactions: Mapped[list[MessageReaction]] = relationship(
        lazy="raise", cascade="all, delete-orphan", passive_deletes=True
    )


class ConversationParticipant(UUIDPrimaryKeyMixin, TimestampMixin, Base):
    """A user in a conversation, with their read position (read receipts)."""

    __tablename__ = "conversation_participants"
    __table_args__ = (
        UniqueConstraint("conversation_id", "user_id"),
        CheckConstraint("left_at IS NULL OR left_at >= joined_at", name="left_after_joined"),
        Index("ix_conversation_participants_user_id", "user_id"),
    )

    conversation_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("conversations.id", ondelete="CASCADE")
    )
    user_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("users.id", ondelete="CASCADE"))
    role: Mapped[ParticipantRole] = mapped_column(
        enum_column_type(ParticipantRole, "role"), default=ParticipantRole.MEMBER
    )
    joined_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    left_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_read_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_read_message_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("messages.id", ondelete="SET NULL")
    )
    is_muted: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class MessageReaction(UUIDPrimaryKeyMixin, TimestampMixin, Base):
    """An emoji reaction; a user reacts with a given emoji at most once per message."""

    __tablename__ = "message_reactions"
    __table_args__ = (
        UniqueConstraint("message_id", "user_id", "emoji"),
        CheckConstraint("char_length(emoji) BETWEEN 1 AND 32", name="emoji_length"),
    )

    message_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("messages.id", ondelete="CASCADE")
    )
    user_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("users.id", ondelete="CASCADE"))
    emoji: Mapped[str] = mapped_column(String(32))


class ChatBot(UUIDPrimaryKeyMixin, TimestampMixin, AuditMixin, Base):
    """The AI assistant configuration of one clinic."""

    __tablename__ = "chat_bots"

    clinic_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("clinics.id", ondelete="CASCADE"), unique=True
    )
    name: Mapped[str] = mapped_column(String(100))
    is_enabled: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    model: Mapped[str] = mapped_column(String(100))
    system_prompt: Mapped[str | None] = mapped_column(Text)
    greeting: Mapped[str | None] = mapped_column(Text)
    settings: Mapped[dict[str, Any]] = mapped_column(
        JSONB, default=dict, server_default=text("'{}'::jsonb")
    )


__all__ = ["ChatBot", "Conversation", "ConversationParticipant", "Message", "MessageReaction"]
