"""Schemas of conversations, participants, messages, reactions and clinic chatbots."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, ClassVar
from uuid import UUID

from pydantic import Field, model_validator

from vet_core.models.enums import ConversationType, MessageType, ParticipantRole
from vet_core.schemas.base import (
    Attachment,
    AwareDatetime,
    CreateSchema,
    EntityResponse,
    ShortText,
    StoredAttachment,
    UpdateSchema,
)

MessageBody = Annotated[str, Field(max_length=10_000)]
Emoji = Annotated[str, Field(min_length=1, max_length=32)]


class ConversationCreate(CreateSchema):
    """Start a conversation with the given users (the caller joins automatically)."""

    conversation_type: ConversationType = ConversationType.DIRECT
    clinic_id: UUID | None = None
    pet_id: UUID | None = None
    subject: ShortText | None = None
    participant_ids: list[UUID] = Field(default_factory=list, max_length=50)

    @model_validator(mode="after")
    def _shape(self) -> ConversationCreate:
        if len(set(self.participant_ids)) != len(self.participant_ids):
            raise ValueError("participant_ids must not contain duplicates")
        if self.conversation_type is ConversationType.CLINIC_SUPPORT and self.clinic_id is None:
            raise ValueError("a clinic_support conversation needs clinic_id")
        if self.conversation_type is ConversationType.DIRECT and len(self.participant_ids) != 1:
            raise ValueError("a direct conversation has exactly one other participant")
        return self


class ConversationUpdate(UpdateSchema):
    """Rename or close a conversation."""

    NULLABLE_FIELDS: ClassVar[frozenset[str]] = frozenset({"subject", "closed_at"})

    subject: ShortText | None = None
    closed_at: AwareDatetime | None = None


class ConversationResponse(EntityResponse):
    """A conversation."""

    conversation_type: ConversationType
    clinic_id: UUID | None
    pet_id: UUID | None
    subject: str | None
    last_message_at: datetime | None
    closed_at: datetime | None


class ConversationParticipantUpdate(UpdateSchema):
    """A participant's own settings: mute, read receipt."""

    is_muted: bool | None = None
    last_read_message_id: UUID | None = None


class ConversationParticipantResponse(EntityResponse):
    """A member of a conversation and how far they have read."""

    conversation_id: UUID
    user_id: UUID
    role: ParticipantRole
    joined_at: datetime
    left_at: datetime | None
    last_read_at: datetime | None
    last_read_message_id: UUID | None
    is_muted: bool


class MessageCreate(CreateSchema):
    """A user's message: text, attachments, or both (never neither)."""

    body: MessageBody = ""
    attachments: list[Attachment] = Field(default_factory=list, max_length=10)
    reply_to_id: UUID | None = None

    @model_validator(mode="after")
    def _not_empty(self) -> MessageCreate:
        if not self.body.strip() and not self.attachments:
            raise ValueError("a message needs a body or at least one attachment")
        return self

    @property
    def message_type(self) -> MessageType:
        """``image`` when every attachment is an image and there is no text, ``file`` with other
        attachments and no text, otherwise ``text``."""
        if self.body.strip() or not self.attachments:
            return MessageType.TEXT
        if all(a.content_type.startswith("image/") for a in self.attachments):
            return MessageType.IMAGE
        return MessageType.FILE


class MessageUpdate(UpdateSchema):
    """Edit a message's text (the service stamps ``edited_at``)."""

    body: Annotated[str, Field(min_length=1, max_length=10_000)] | None = None


class MessageResponse(EntityResponse):
    """A message; a deleted message keeps its place with an empty body."""

    conversation_id: UUID
    sender_id: UUID | None
    message_type: MessageType
    body: str
    attachments: list[StoredAttachment]
    reply_to_id: UUID | None
    edited_at: datetime | None
    deleted_at: datetime | None


class MessageReactionCreate(CreateSchema):
    """React to a message with an emoji (once per user and emoji)."""

    emoji: Emoji


class MessageReactionResponse(EntityResponse):
    """A reaction."""

    message_id: UUID
    user_id: UUID
    emoji: str


class ChatBotCreate(CreateSchema):
    """A clinic's chatbot configuration."""

    name: Annotated[str, Field(min_length=1, max_length=100)]
    is_enabled: bool = True
    model: Annotated[str, Field(min_length=1, max_length=100)]
    system_prompt: Annotated[str, Field(max_length=20_000)] | None = None
    greeting: Annotated[str, Field(max_length=2_000)] | None = None
    settings: dict[str, Any] = Field(default_factory=dict)


class ChatBotUpdate(UpdateSchema):
    """A partial change to a chatbot."""

    NULLABLE_FIELDS: ClassVar[frozenset[str]] = frozenset({"system_prompt", "greeting"})

    name: Annotated[str, Field(min_length=1, max_length=100)] | None = None
    is_enabled: bool | None = None
    model: Annotated[str, Field(min_length=1, max_length=100)] | None = None
    system_prompt: Annotated[str, Field(max_length=20_000)] | None = None
    greeting: Annotated[str, Field(max_length=2_000)] | None = None
    settings: dict[str, Any] | None = None


class ChatBotResponse(EntityResponse):
    """A chatbot configuration (staff view)."""

    clinic_id: UUID
    name: str
    is_enabled: bool
    model: str
    system_prompt: str | None
    greeting: str | None
    settings: dict[str, Any]


__all__ = [
    "ChatBotCreate",
    "ChatBotResponse",
    "ChatBotUpdate",
    "ConversationCreate",
    "ConversationParticipantResponse",
    "ConversationParticipantUpdate",
    "ConversationResponse",
    "ConversationUpdate",
    "MessageCreate",
    "MessageReactionCreate",
    "MessageReactionResponse",
    "MessageResponse",
    "MessageUpdate",
]
