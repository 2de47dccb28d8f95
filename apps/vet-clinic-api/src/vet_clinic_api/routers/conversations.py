"""Conversations between owners, clinics, staff and the clinic's bot; messages and reactions.

New messages are pushed to the participants' WebSockets after the transaction commits (a
background task runs once the response is ready, which is after the session committed).
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Query, Request, status
from pydantic import BaseModel, Field

from vet_clinic_api.deps import ActorDep, SessionDep, resources
from vet_clinic_api.errors import responses
from vet_clinic_api.pagination import PageDep
from vet_clinic_api.realtime import publish_to_users
from vet_core.exceptions import BusinessRuleException
from vet_core.models.enums import ConversationType
from vet_core.models.messaging import Message
from vet_core.schemas.messaging import (
    ConversationCreate,
    ConversationParticipantResponse,
    ConversationResponse,
    MessageCreate,
    MessageReactionCreate,
    MessageResponse,
    MessageUpdate,
)
from vet_services.messaging import conversations as service
from vet_services.messaging.chatbot.service import ask_bot

router = APIRouter(tags=["conversations"], responses=responses())


class InboxItem(BaseModel):
    conversation: ConversationResponse
    unread_count: int


class MessagePageResponse(BaseModel):
    items: list[MessageResponse]
    next_cursor: str | None = None


class ReadReceipt(BaseModel):
    message_id: uuid.UUID | None = None


class PostMessageRequest(MessageCreate):
    """A message; in a bot conversation, where the owner is (for nearby emergency clinics)."""

    latitude: float | None = Field(default=None, ge=-90, le=90)
    longitude: float | None = Field(default=None, ge=-180, le=180)


class PostedMessages(BaseModel):
    """What was posted: the message, and the bot's answer in a bot conversation."""

    message: MessageResponse
    bot_reply: MessageResponse | None = None
    urgency: str | None = None


def _push(
    request: Request, tasks: BackgroundTasks, recipients: list[uuid.UUID], *messages: Message
) -> None:
    redis = resources(request).redis
    for message in messages:
        payload = MessageResponse.model_validate(message).model_dump(mode="json")
        tasks.add_task(publish_to_users, redis, recipients, "message.created", payload)


@router.get("/conversations", response_model=list[InboxItem])
async def inbox(
    actor: ActorDep, session: SessionDep, limit: Annotated[int, Query(ge=1, le=100)] = 50
) -> list[InboxItem]:
    """The caller's conversations, most recent first, with unread counts."""
    entries = await service.inbox(session, actor, limit=limit)
    return [
        InboxItem(
            conversation=ConversationResponse.model_validate(e.conversation),
            unread_count=e.unread_count,
        )
        for e in entries
    ]


@router.post(
    "/conversations",
    response_model=ConversationResponse,
    status_code=status.HTTP_201_CREATED,
)
async def start_conversation(
    body: ConversationCreate, actor: ActorDep, session: SessionDep
) -> ConversationResponse:
    """Open a thread with a clinic (``direct``/``clinic_support``), its bot (``chatbot``), or
    among a clinic's staff (``group``)."""
    if body.clinic_id is None:
        raise BusinessRuleException("clinic_id is required", details={"field": "clinic_id"})
    if body.conversation_type is ConversationType.CHATBOT:
        conversation = await service.start_bot_conversation(
            session, actor, clinic_id=body.clinic_id, pet_id=body.pet_id
        )
    elif body.conversation_type is ConversationType.GROUP:
        conversation = await service.start_staff_conversation(
            session,
            actor,
            clinic_id=body.clinic_id,
            participant_ids=body.participant_ids,
            subject=body.subject,
        )
    else:
        conversation = await service.start_clinic_conversation(
            session, actor, clinic_id=body.clinic_id, pet_id=body.pet_id, subject=body.subject
        )
    return ConversationResponse.model_validate(conversation)


@router.post(
    "/conversations/{conversation_id}/join", response_model=ConversationParticipantResponse
)
async def join(
    conversation_id: uuid.UUID, actor: ActorDep, session: SessionDep
) -> ConversationParticipantResponse:
    """Staff of the clinic join an owner's conversation."""
    participant = await service.join_conversation(session, actor, conversation_id)
    return ConversationParticipantResponse.model_validate(participant)


@router.get("/conversations/{conversation_id}/messages", response_model=MessagePageResponse)
async def messages(
    conversation_id: uuid.UUID, actor: ActorDep, session: SessionDep, page: PageDep
) -> MessagePageResponse:
    """Messages newest first; pass ``next_cursor`` back for older ones."""
    result = await service.list_messages(
        session, actor, conversation_id, cursor=page.cursor, limit=page.limit
    )
    return MessagePageResponse(
        items=[MessageResponse.model_validate(m) for m in result.items],
        next_cursor=result.next_cursor,
    )


@router.post(
    "/conversations/{conversation_id}/messages",
    response_model=PostedMessages,
    status_code=status.HTTP_201_CREATED,
    responses=responses(409),
)
async def post(
    conversation_id: uuid.UUID,
    body: PostMessageRequest,
    actor: ActorDep,
    session: SessionDep,
    request: Request,
    tasks: BackgroundTasks,
) -> PostedMessages:
    """Post a message (and, in a bot conversation, get the bot's answer)."""
    access = await service.get_conversation_access(session, actor, conversation_id)
    data = MessageCreate.model_validate(body.model_dump(exclude={"latitude", "longitude"}))
    if access.conversation.conversation_type is ConversationType.CHATBOT:
        exchange = await ask_bot(
            session,
            actor,
            conversation_id,
            data,
            latitude=body.latitude,
            longitude=body.longitude,
        )
        posted = [exchange.question, *([exchange.answer] if exchange.answer else [])]
        result = PostedMessages(
            message=MessageResponse.model_validate(exchange.question),
            bot_reply=MessageResponse.model_validate(exchange.answer) if exchange.answer else None,
            urgency=exchange.reply.urgency.value if exchange.reply else None,
        )
    else:
        message = await service.post_message(session, actor, conversation_id, data)
        posted = [message]
        result = PostedMessages(message=MessageResponse.model_validate(message))
    people = await service.participants(session, actor, conversation_id)
    _push(request, tasks, [p.user_id for p in people if p.left_at is None], *posted)
    return result


@router.post(
    "/conversations/{conversation_id}/read", response_model=ConversationParticipantResponse
)
async def mark_read(
    conversation_id: uuid.UUID, body: ReadReceipt, actor: ActorDep, session: SessionDep
) -> ConversationParticipantResponse:
    """Move the caller's read position (to a message, or to now)."""
    participant = await service.mark_read(
        session, actor, conversation_id, up_to_message_id=body.message_id
    )
    return ConversationParticipantResponse.model_validate(participant)


@router.get("/messages/search", response_model=list[MessageResponse])
async def search(
    actor: ActorDep,
    session: SessionDep,
    q: Annotated[str, Query(min_length=1, max_length=200)],
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> list[MessageResponse]:
    """Messages matching ``q`` in the caller's conversations, best first."""
    found = await service.search_messages(session, actor, q, limit=limit)
    return [MessageResponse.model_validate(m) for m in found]


@router.patch("/messages/{message_id}", response_model=MessageResponse)
async def edit(
    message_id: uuid.UUID, body: MessageUpdate, actor: ActorDep, session: SessionDep
) -> MessageResponse:
    """Edit one's own message."""
    if body.body is None:
        raise BusinessRuleException("body is required", details={"field": "body"})
    return MessageResponse.model_validate(
        await service.edit_message(session, actor, message_id, body.body)
    )


@router.delete("/messages/{message_id}", response_model=MessageResponse)
async def delete(message_id: uuid.UUID, actor: ActorDep, session: SessionDep) -> MessageResponse:
    """Delete one's own message (it keeps its place, without content)."""
    return MessageResponse.model_validate(await service.delete_message(session, actor, message_id))


class ReactionResult(BaseModel):
    changed: bool


@router.post("/messages/{message_id}/reactions", response_model=ReactionResult)
async def react(
    message_id: uuid.UUID, body: MessageReactionCreate, actor: ActorDep, session: SessionDep
) -> ReactionResult:
    """React with an emoji (once per person and emoji; repeating changes nothing)."""
    return ReactionResult(
        changed=await service.add_reaction(session, actor, message_id, body.emoji)
    )


@router.delete("/messages/{message_id}/reactions/{emoji}", response_model=ReactionResult)
async def unreact(
    message_id: uuid.UUID,
    emoji: Annotated[str, Field(min_length=1, max_length=32)],
    actor: ActorDep,
    session: SessionDep,
) -> ReactionResult:
    """Take back one's reaction."""
    return ReactionResult(changed=await service.remove_reaction(session, actor, message_id, emoji))
