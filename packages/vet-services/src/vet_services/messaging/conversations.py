"""Conversations: who may see them, their messages, reactions, read receipts and search.

Access is decided by *participation*, not by the role matrix of :mod:`vet_services.auth`:

* an active participant (``left_at`` unset) reads and writes the conversation;
* staff of the conversation's clinic may read and join the conversations that *owners* hold
  with that clinic (support and bot conversations): a client writes to the clinic, not to one
  person, so whoever is on duty must be able to pick the thread up;
* everyone else (staff of other clinics, other owners, API keys, even platform admins) gets
  :class:`NotFoundException` with ``CONVERSATION_NOT_FOUND``: a private thread's id must reveal
  nothing, so "forbidden" is never answered.

Message times are taken from the application clock rather than ``now()``: PostgreSQL's ``now()``
is the *transaction* start, so a user message and the bot's answer written in one transaction
would share a timestamp and read receipts could not tell them apart. Ties left by the clock are
broken by the (time-ordered UUIDv7) id wherever messages are ordered.

Services flush and never commit; posting records a ``messaging.new_message`` outbox event in the
same transaction so that the WebSocket fan-out happens exactly when the message exists.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, delete, func, literal, or_, select
from sqlalchemy.dialects.postgresql import REGCONFIG, insert
from sqlalchemy.ext.asyncio import AsyncSession

from vet_core.exceptions import BusinessRuleException, NotFoundException, SchemaValidationException
from vet_core.models import (
    ChatBot,
    Clinic,
    ClinicMembership,
    Conversation,
    ConversationParticipant,
    FileObject,
    Message,
    MessageReaction,
    Pet,
    PetOwnership,
)
from vet_core.models.base import uuid7
from vet_core.models.enums import (
    ClinicStatus,
    ConversationType,
    FileStatus,
    MembershipStatus,
    MessageType,
    ParticipantRole,
)
from vet_core.schemas.base import Attachment
from vet_core.schemas.messaging import MessageCreate
from vet_core.utils.time import to_utc, utcnow
from vet_services.auth.permissions import Actor
from vet_services.outbox import enqueue
from vet_services.pagination import DEFAULT_LIMIT, Page, keyset, page_of

#: Outbox topic of a new message; the API's WebSocket relay pushes it to the recipients.
NEW_MESSAGE_TOPIC = "messaging.new_message"
#: Conversation types an owner holds with a clinic: the clinic's staff may join them.
OWNER_CONVERSATION_TYPES = frozenset({ConversationType.CLINIC_SUPPORT, ConversationType.CHATBOT})
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
MAX_SEARCH_RESULTS = 100
#: The text-search configuration of message search: ``simple`` neither stems nor drops stop
#: words, so it behaves the same for every language clients write in.
SEARCH_CONFIG = "simple"


def _conversation_not_found() -> NotFoundException:
    return NotFoundException("Conversation not found", code="CONVERSATION_NOT_FOUND")


def _message_not_found() -> NotFoundException:
    return NotFoundException("Message not found", code="MESSAGE_NOT_FOUND")


def _user_id(actor: Actor) -> uuid.UUID:
    """Messaging is between people; an API key (no user) sees no conversation at all."""
    if actor.user_id is None:
        raise _conversation_not_found()
    return actor.user_id


# --- access -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ConversationAccess:
    """A conversation the caller may see, and their participant row if they have joined."""

    conversation: Conversation
    participant: ConversationParticipant | None

    @property
    def is_participant(self) -> bool:
        return self.participant is not None and self.participant.left_at is None


def is_clinic_staff_of(actor: Actor, conversation: Conversation) -> bool:
    """Whether ``actor`` is staff of the clinic an owner is talking to in ``conversation``."""
    return (
        conversation.conversation_type in OWNER_CONVERSATION_TYPES
        and conversation.clinic_id is not None
        and conversation.clinic_id in actor.memberships
    )


async def get_conversation_access(
    session: AsyncSession, actor: Actor, conversation_id: uuid.UUID
) -> ConversationAccess:
    """The conversation and the caller's participation, or ``CONVERSATION_NOT_FOUND``."""
    user_id = _user_id(actor)
    row = (
        await session.execute(
            select(Conversation, ConversationParticipant)
            .outerjoin(
                ConversationParticipant,
                and_(
                    ConversationParticipant.conversation_id == Conversation.id,
                    ConversationParticipant.user_id == user_id,
                ),
            )
            .where(Conversation.id == conversation_id, Conversation.not_deleted())
        )
    ).one_or_none()
    if row is None:
        raise _conversation_not_found()
    conversation, participant = row
    access = ConversationAccess(conversation, participant)
    if access.is_participant or is_clinic_staff_of(actor, conversation):
        return access
    raise _conversation_not_found()


async def _require_participant(
    session: AsyncSession, actor: Actor, conversation_id: uuid.UUID
) -> ConversationAccess:
    """Access for writing: clinic staff who have not joined yet join on their first write."""
    access = await get_conversation_access(session, actor, conversation_id)
    if access.is_participant:
        return access
    participant = await _upsert_participant(
        session, access.conversation.id, _user_id(actor), ParticipantRole.STAFF
    )
    return ConversationAccess(access.conversation, participant)


async def _upsert_participant(
    session: AsyncSession,
    conversation_id: uuid.UUID,
    user_id: uuid.UUID,
    role: ParticipantRole,
) -> ConversationParticipant:
    """Add ``user_id`` to the conversation, or bring back a participant who had left.

    One ``INSERT … ON CONFLICT`` statement, so that two colleagues' tabs joining at once (or a
    retried request) settle on the one row the unique (conversation, user) key allows.
    """
    now = utcnow()
    await session.execute(
        insert(ConversationParticipant)
        .values(
            id=uuid7(),
            conversation_id=conversation_id,
            user_id=user_id,
            role=role,
            joined_at=now,
        )
        .on_conflict_do_update(
            index_elements=[
                ConversationParticipant.conversation_id,
                ConversationParticipant.user_id,
            ],
            set_={"left_at": None, "joined_at": now},
            where=ConversationParticipant.left_at.is_not(None),
        )
    )
    return (
        await session.execute(
            select(ConversationParticipant)
            .where(
                ConversationParticipant.conversation_id == conversation_id,
                ConversationParticipant.user_id == user_id,
            )
            .execution_options(populate_existing=True)
        )
    ).scalar_one()


async def _active_staff_ids(
    session: AsyncSession, clinic_id: uuid.UUID, user_ids: Sequence[uuid.UUID]
) -> set[uuid.UUID]:
    """Those of ``user_ids`` who currently work at ``clinic_id``."""
    if not user_ids:
        return set()
    rows = await session.execute(
        select(ClinicMembership.user_id).where(
            ClinicMembership.clinic_id == clinic_id,
            ClinicMembership.user_id.in_(user_ids),
            ClinicMembership.ended_at.is_(None),
            ClinicMembership.status == MembershipStatus.ACTIVE,
        )
    )
    return set(rows.scalars())


async def _require_active_clinic(session: AsyncSession, clinic_id: uuid.UUID) -> Clinic:
    clinic = (
        await session.execute(
            select(Clinic).where(
                Clinic.id == clinic_id,
                Clinic.not_deleted(),
                Clinic.status == ClinicStatus.ACTIVE,
            )
        )
    ).scalar_one_or_none()
    if clinic is None:
        raise NotFoundException("Clinic not found", code="CLINIC_NOT_FOUND")
    return clinic


async def _require_own_pet(session: AsyncSession, user_id: uuid.UUID, pet_id: uuid.UUID) -> Pet:
    """The pet if ``user_id`` is its primary owner or a current co-owner."""
    co_owned = (
        select(PetOwnership.id)
        .where(
            PetOwnership.pet_id == Pet.id,
            PetOwnership.user_id == user_id,
            PetOwnership.ended_at.is_(None),
        )
        .exists()
    )
    pet = (
        await session.execute(
            select(Pet).where(
                Pet.id == pet_id, Pet.not_deleted(), or_(Pet.owner_id == user_id, co_owned)
            )
        )
    ).scalar_one_or_none()
    if pet is None:
        raise NotFoundException("Pet not found", code="PET_NOT_FOUND")
    return pet


# --- starting conversations -------------------------------------------------------------------


async def _create_conversation(
    session: AsyncSession,
    actor_id: uuid.UUID,
    conversation_type: ConversationType,
    *,
    clinic_id: uuid.UUID,
    pet_id: uuid.UUID | None,
    subject: str | None,
    creator_role: ParticipantRole,
) -> Conversation:
    conversation = Conversation(
        conversation_type=conversation_type,
        clinic_id=clinic_id,
        pet_id=pet_id,
        subject=subject,
        created_by=actor_id,
        updated_by=actor_id,
    )
    session.add(conversation)
    await session.flush()
    await _upsert_participant(session, conversation.id, actor_id, creator_role)
    return conversation


async def start_clinic_conversation(
    session: AsyncSession,
    actor: Actor,
    *,
    clinic_id: uuid.UUID,
    pet_id: uuid.UUID | None = None,
    subject: str | None = None,
) -> Conversation:
    """An owner opens a thread with a clinic (optionally about one of their pets).

    Only the owner is a participant at first; the clinic's staff see it and join when they answer.
    """
    user_id = _user_id(actor)
    await _require_active_clinic(session, clinic_id)
    if pet_id is not None:
        await _require_own_pet(session, user_id, pet_id)
    return await _create_conversation(
        session,
        user_id,
        ConversationType.CLINIC_SUPPORT,
        clinic_id=clinic_id,
        pet_id=pet_id,
        subject=subject,
        creator_role=ParticipantRole.MEMBER,
    )


async def start_bot_conversation(
    session: AsyncSession,
    actor: Actor,
    *,
    clinic_id: uuid.UUID,
    pet_id: uuid.UUID | None = None,
) -> Conversation:
    """An owner talks to the clinic's assistant; staff of the clinic can step in (join) later.

    The clinic's greeting, if its bot is enabled and has one, opens the thread.
    """
    user_id = _user_id(actor)
    await _require_active_clinic(session, clinic_id)
    if pet_id is not None:
        await _require_own_pet(session, user_id, pet_id)
    conversation = await _create_conversation(
        session,
        user_id,
        ConversationType.CHATBOT,
        clinic_id=clinic_id,
        pet_id=pet_id,
        subject=None,
        creator_role=ParticipantRole.MEMBER,
    )
    greeting = await session.scalar(
        select(ChatBot.greeting).where(ChatBot.clinic_id == clinic_id, ChatBot.is_enabled)
    )
    if greeting and greeting.strip():
        await post_bot_message(session, conversation, greeting)
    return conversation


async def start_staff_conversation(
    session: AsyncSession,
    actor: Actor,
    *,
    clinic_id: uuid.UUID,
    participant_ids: Sequence[uuid.UUID],
    subject: str | None = None,
) -> Conversation:
    """A staff-only thread of one clinic; every participant must currently work there."""
    user_id = _user_id(actor)
    if clinic_id not in actor.memberships:
        raise NotFoundException("Clinic not found", code="CLINIC_NOT_FOUND")
    others = [pid for pid in dict.fromkeys(participant_ids) if pid != user_id]
    staff = await _active_staff_ids(session, clinic_id, others)
    outsiders = sorted(str(pid) for pid in others if pid not in staff)
    if outsiders:
        raise BusinessRuleException(
            "Only staff of the clinic can join a staff conversation",
            code="PARTICIPANT_NOT_STAFF",
            details={"user_ids": outsiders},
        )
    conversation = await _create_conversation(
        session,
        user_id,
        ConversationType.GROUP,
        clinic_id=clinic_id,
        pet_id=None,
        subject=subject,
        creator_role=ParticipantRole.ADMIN,
    )
    for other in others:
        await _upsert_participant(session, conversation.id, other, ParticipantRole.STAFF)
    return conversation


# --- participants -----------------------------------------------------------------------------


async def join_conversation(
    session: AsyncSession, actor: Actor, conversation_id: uuid.UUID
) -> ConversationParticipant:
    """Staff of the clinic take up an owner's conversation (idempotent for participants)."""
    access = await _require_participant(session, actor, conversation_id)
    assert access.participant is not None  # _require_participant always returns one
    return access.participant


async def add_participant(
    session: AsyncSession, actor: Actor, conversation_id: uuid.UUID, user_id: uuid.UUID
) -> ConversationParticipant:
    """A participant brings in a colleague: only current staff of the conversation's clinic."""
    access = await _require_participant(session, actor, conversation_id)
    clinic_id = access.conversation.clinic_id
    if clinic_id is None or not await _active_staff_ids(session, clinic_id, [user_id]):
        raise BusinessRuleException(
            "Only staff of the clinic can be added to this conversation",
            code="PARTICIPANT_NOT_STAFF",
            details={"user_ids": [str(user_id)]},
        )
    return await _upsert_participant(
        session, access.conversation.id, user_id, ParticipantRole.STAFF
    )


async def remove_participant(
    session: AsyncSession, actor: Actor, conversation_id: uuid.UUID, user_id: uuid.UUID
) -> None:
    """Leave a conversation, or (staff of its clinic, or its admin) take someone else out.

    The row stays with ``left_at`` set, so that the history of who was there is kept.
    """
    access = await get_conversation_access(session, actor, conversation_id)
    me = _user_id(actor)
    if user_id != me:
        may_remove = (
            access.conversation.clinic_id is not None
            and access.conversation.clinic_id in actor.memberships
        ) or (access.participant is not None and access.participant.role is ParticipantRole.ADMIN)
        if not may_remove or not access.is_participant:
            raise BusinessRuleException(
                "Only the clinic's staff or the conversation's admin remove others",
                code="PARTICIPANT_REMOVAL_NOT_ALLOWED",
            )
    target = (
        await session.execute(
            select(ConversationParticipant).where(
                ConversationParticipant.conversation_id == conversation_id,
                ConversationParticipant.user_id == user_id,
                ConversationParticipant.left_at.is_(None),
            )
        )
    ).scalar_one_or_none()
    if target is None:
        raise NotFoundException("Participant not found", code="PARTICIPANT_NOT_FOUND")
    target.left_at = max(utcnow(), target.joined_at)
    await session.flush()


async def participants(
    session: AsyncSession, actor: Actor, conversation_id: uuid.UUID
) -> list[ConversationParticipant]:
    """Current participants with their read positions (the read receipts of the thread)."""
    await get_conversation_access(session, actor, conversation_id)
    rows = await session.execute(
        select(ConversationParticipant)
        .where(
            ConversationParticipant.conversation_id == conversation_id,
            ConversationParticipant.left_at.is_(None),
        )
        .order_by(ConversationParticipant.joined_at, ConversationParticipant.id)
    )
    return list(rows.scalars())


# --- messages ---------------------------------------------------------------------------------


async def _check_attachments(
    session: AsyncSession, actor: Actor, conversation: Conversation, attachments: list[Attachment]
) -> None:
    """Every attached file must exist, be scanned and stored (``available``: never a pending
    upload or a quarantined one), and be the sender's own (or, for staff, their clinic's)."""
    if not attachments:
        return
    user_id = _user_id(actor)
    file_ids = {attachment.file_id for attachment in attachments}
    own_clinic = (
        conversation.clinic_id
        if conversation.clinic_id is not None and conversation.clinic_id in actor.memberships
        else None
    )
    allowed = or_(
        FileObject.owner_id == user_id,
        and_(literal(own_clinic is not None), FileObject.clinic_id == own_clinic),
    )
    found = set(
        (
            await session.execute(
                select(FileObject.id).where(
                    FileObject.id.in_(file_ids),
                    FileObject.not_deleted(),
                    FileObject.status == FileStatus.AVAILABLE,
                    allowed,
                )
            )
        ).scalars()
    )
    missing = sorted(str(file_id) for file_id in file_ids - found)
    if missing:
        raise NotFoundException(
            "Attached file not found", code="FILE_NOT_FOUND", details={"file_ids": missing}
        )


async def _write_message(
    session: AsyncSession,
    conversation: Conversation,
    *,
    sender_id: uuid.UUID | None,
    message_type: MessageType,
    body: str,
    attachments: list[Attachment],
    reply_to_id: uuid.UUID | None,
) -> Message:
    if conversation.closed_at is not None:
        raise BusinessRuleException("The conversation is closed", code="CONVERSATION_CLOSED")
    if reply_to_id is not None:
        parent = await session.scalar(
            select(Message.id).where(
                Message.id == reply_to_id, Message.conversation_id == conversation.id
            )
        )
        if parent is None:
            raise _message_not_found()
    now = utcnow()
    message = Message(
        conversation_id=conversation.id,
        sender_id=sender_id,
        message_type=message_type,
        body=body,
        attachments=[attachment.model_dump(mode="json") for attachment in attachments],
        reply_to_id=reply_to_id,
        created_at=now,
    )
    session.add(message)
    conversation.last_message_at = now
    await session.flush()
    recipients = (
        await session.execute(
            select(ConversationParticipant.user_id).where(
                ConversationParticipant.conversation_id == conversation.id,
                ConversationParticipant.left_at.is_(None),
                ConversationParticipant.user_id.is_distinct_from(sender_id),
            )
        )
    ).scalars()
    await enqueue(
        session,
        NEW_MESSAGE_TOPIC,
        {
            "conversation_id": str(conversation.id),
            "message_id": str(message.id),
            "sender_id": str(sender_id) if sender_id is not None else None,
            "message_type": message_type.value,
            "clinic_id": str(conversation.clinic_id) if conversation.clinic_id else None,
            "recipient_ids": sorted(str(user) for user in recipients),
        },
        dedup_key=f"{NEW_MESSAGE_TOPIC}:{message.id}",
    )
    return message


async def post_message(
    session: AsyncSession, actor: Actor, conversation_id: uuid.UUID, data: MessageCreate
) -> Message:
    """Post a user's message; the sender's own message counts as read by them."""
    access = await _require_participant(session, actor, conversation_id)
    await _check_attachments(session, actor, access.conversation, data.attachments)
    message = await _write_message(
        session,
        access.conversation,
        sender_id=_user_id(actor),
        message_type=data.message_type,
        body=data.body,
        attachments=data.attachments,
        reply_to_id=data.reply_to_id,
    )
    assert access.participant is not None
    access.participant.last_read_at = message.created_at
    access.participant.last_read_message_id = message.id
    await session.flush()
    return message


async def post_bot_message(session: AsyncSession, conversation: Conversation, body: str) -> Message:
    """The clinic assistant's answer in a bot conversation (no sender)."""
    if conversation.conversation_type is not ConversationType.CHATBOT:
        raise BusinessRuleException(
            "Only bot conversations carry bot messages", code="NOT_A_BOT_CONVERSATION"
        )
    return await _write_message(
        session,
        conversation,
        sender_id=None,
        message_type=MessageType.BOT,
        body=body,
        attachments=[],
        reply_to_id=None,
    )


async def _own_live_message(session: AsyncSession, actor: Actor, message_id: uuid.UUID) -> Message:
    """A message the caller wrote and has not deleted, in a conversation they still see."""
    message = await session.get(Message, message_id)
    if message is None:
        raise _message_not_found()
    try:
        await get_conversation_access(session, actor, message.conversation_id)
    except NotFoundException:
        raise _message_not_found() from None
    if message.sender_id != actor.user_id:
        raise BusinessRuleException(
            "Only the author can change a message", code="MESSAGE_NOT_AUTHOR"
        )
    if message.deleted_at is not None:
        raise BusinessRuleException("The message was deleted", code="MESSAGE_DELETED")
    return message


async def edit_message(
    session: AsyncSession, actor: Actor, message_id: uuid.UUID, body: str
) -> Message:
    """Change the text of one's own message; ``edited_at`` tells readers it changed."""
    message = await _own_live_message(session, actor, message_id)
    if not body.strip() and not message.attachments:
        raise SchemaValidationException(
            "a message needs a body or at least one attachment", details={"field": "body"}
        )
    message.body = body
    message.edited_at = utcnow()
    await session.flush()
    return message


async def delete_message(session: AsyncSession, actor: Actor, message_id: uuid.UUID) -> Message:
    """Soft-delete one's own message: it keeps its place in the thread, without content.

    The text and attachments are cleared rather than hidden so that search, exports and the
    bot's context can never bring back what the author took back.
    """
    message = await _own_live_message(session, actor, message_id)
    message.body = ""
    message.attachments = []
    message.soft_delete()
    await session.flush()
    return message


# --- reactions --------------------------------------------------------------------------------


async def _reactable_message(
    session: AsyncSession, actor: Actor, message_id: uuid.UUID, emoji: str
) -> uuid.UUID:
    """The caller's user id, once the message is live and in a conversation they may write to."""
    user_id = _user_id(actor)
    message = await session.get(Message, message_id)
    if message is None or message.deleted_at is not None:
        raise _message_not_found()
    try:
        await _require_participant(session, actor, message.conversation_id)
    except NotFoundException:
        raise _message_not_found() from None
    if not 1 <= len(emoji) <= 32:
        raise SchemaValidationException(
            "emoji must be 1 to 32 characters", details={"field": "emoji"}
        )
    return user_id


async def add_reaction(
    session: AsyncSession, actor: Actor, message_id: uuid.UUID, emoji: str
) -> bool:
    """React with ``emoji`` (idempotent: True if this call added it, False if it was there).

    ``INSERT … ON CONFLICT DO NOTHING`` against the unique (message, user, emoji) key makes a
    retried request or a second device settle on one row instead of failing.
    """
    user_id = await _reactable_message(session, actor, message_id, emoji)
    inserted = await session.scalar(
        insert(MessageReaction)
        .values(id=uuid7(), message_id=message_id, user_id=user_id, emoji=emoji)
        .on_conflict_do_nothing(
            index_elements=[
                MessageReaction.message_id,
                MessageReaction.user_id,
                MessageReaction.emoji,
            ]
        )
        .returning(MessageReaction.id)
    )
    return inserted is not None


async def remove_reaction(
    session: AsyncSession, actor: Actor, message_id: uuid.UUID, emoji: str
) -> bool:
    """Take back the caller's ``emoji`` (idempotent: True if this call removed it)."""
    user_id = await _reactable_message(session, actor, message_id, emoji)
    removed = await session.scalar(
        delete(MessageReaction)
        .where(
            MessageReaction.message_id == message_id,
            MessageReaction.user_id == user_id,
            MessageReaction.emoji == emoji,
        )
        .returning(MessageReaction.id)
    )
    return removed is not None


async def toggle_reaction(
    session: AsyncSession, actor: Actor, message_id: uuid.UUID, emoji: str
) -> bool:
    """Tap on an emoji: add the caller's reaction, or take it back if it is there; True if added.

    For retries, prefer :func:`add_reaction`/:func:`remove_reaction`: a toggle sent twice undoes
    itself, as two taps do.
    """
    if await add_reaction(session, actor, message_id, emoji):
        return True
    await remove_reaction(session, actor, message_id, emoji)
    return False


async def reaction_counts(
    session: AsyncSession, actor: Actor, message_id: uuid.UUID
) -> dict[str, int]:
    """How many people reacted with each emoji to a message the caller can see."""
    message = await session.get(Message, message_id)
    if message is None:
        raise _message_not_found()
    try:
        await get_conversation_access(session, actor, message.conversation_id)
    except NotFoundException:
        raise _message_not_found() from None
    rows = await session.execute(
        select(MessageReaction.emoji, func.count())
        .where(MessageReaction.message_id == message_id)
        .group_by(MessageReaction.emoji)
    )
    return {emoji: int(count) for emoji, count in rows.all()}


# --- read receipts and unread counts ----------------------------------------------------------


async def mark_read(
    session: AsyncSession,
    actor: Actor,
    conversation_id: uuid.UUID,
    *,
    up_to_message_id: uuid.UUID | None = None,
    at: datetime | None = None,
) -> ConversationParticipant:
    """Move the caller's read position to a message (or an instant; default: now).

    The position never moves backwards: a late receipt from a second device that had shown less
    must not mark newer messages unread again.
    """
    access = await _require_participant(session, actor, conversation_id)
    participant = access.participant
    assert participant is not None
    message_id: uuid.UUID | None = None
    if up_to_message_id is not None:
        message = await session.get(Message, up_to_message_id)
        if message is None or message.conversation_id != conversation_id:
            raise _message_not_found()
        read_at, message_id = message.created_at, message.id
    else:
        # Never ahead of the clock: a skewed device must not pre-read messages not yet sent.
        read_at = min(to_utc(at), utcnow()) if at is not None else utcnow()
    if participant.last_read_at is None or read_at > participant.last_read_at:
        participant.last_read_at = read_at
        participant.last_read_message_id = message_id
        await session.flush()
    return participant


@dataclass(frozen=True, slots=True)
class InboxEntry:
    """One conversation of the caller's inbox and how many messages they have not read."""

    conversation: Conversation
    unread_count: int


async def inbox(session: AsyncSession, actor: Actor, *, limit: int = 50) -> list[InboxEntry]:
    """The caller's conversations, most recent activity first, each with its unread count.

    One query: the count is a correlated subquery served by the (conversation_id, created_at)
    index of messages, so an inbox of fifty threads is not fifty round trips.
    """
    user_id = _user_id(actor)
    unread = (
        select(func.count(Message.id))
        .where(
            Message.conversation_id == ConversationParticipant.conversation_id,
            Message.deleted_at.is_(None),
            Message.sender_id.is_distinct_from(user_id),
            or_(
                ConversationParticipant.last_read_at.is_(None),
                Message.created_at > ConversationParticipant.last_read_at,
            ),
        )
        .correlate(ConversationParticipant)
        .scalar_subquery()
    )
    rows = await session.execute(
        select(Conversation, unread)
        .join(ConversationParticipant, ConversationParticipant.conversation_id == Conversation.id)
        .where(
            ConversationParticipant.user_id == user_id,
            ConversationParticipant.left_at.is_(None),
            Conversation.not_deleted(),
        )
        .order_by(
            func.coalesce(Conversation.last_message_at, Conversation.created_at).desc(),
            Conversation.id.desc(),
        )
        .limit(max(1, min(limit, MAX_PAGE_SIZE)))
    )
    return [InboxEntry(conversation, int(count)) for conversation, count in rows.all()]


async def unread_counts(session: AsyncSession, actor: Actor) -> dict[uuid.UUID, int]:
    """Unread messages per conversation the caller takes part in (badges), in one query."""
    return {
        entry.conversation.id: entry.unread_count
        for entry in await inbox(session, actor, limit=MAX_PAGE_SIZE)
    }


# --- reading and searching --------------------------------------------------------------------


async def list_messages(
    session: AsyncSession,
    actor: Actor,
    conversation_id: uuid.UUID,
    *,
    cursor: str | None = None,
    limit: int = DEFAULT_LIMIT,
) -> Page[Message]:
    """A page of the conversation, newest first; deleted messages keep their place.

    Keyset pagination on (created_at, id): a message arriving while the client scrolls back does
    not shift the pages (offsets would repeat or skip messages).
    """
    await get_conversation_access(session, actor, conversation_id)
    statement = keyset(
        select(Message).where(Message.conversation_id == conversation_id),
        Message.created_at,
        Message.id,
        cursor=cursor,
        limit=limit,
    )
    return page_of((await session.execute(statement)).scalars().all(), limit)


async def search_messages(
    session: AsyncSession, actor: Actor, query: str, *, limit: int = 20
) -> list[Message]:
    """Messages matching ``query`` (web-search syntax: words, "phrases", -exclusions), best first.

    Only conversations the caller currently takes part in are searched; a thread a staff member
    could join but has not joined is not theirs to trawl.
    """
    user_id = _user_id(actor)
    if not query.strip():
        return []
    document = func.to_tsvector(literal(SEARCH_CONFIG, REGCONFIG), Message.body)
    terms = func.websearch_to_tsquery(literal(SEARCH_CONFIG, REGCONFIG), query)
    mine = select(ConversationParticipant.conversation_id).where(
        ConversationParticipant.user_id == user_id, ConversationParticipant.left_at.is_(None)
    )
    rows = await session.execute(
        select(Message)
        .join(Conversation, Conversation.id == Message.conversation_id)
        .where(
            Message.conversation_id.in_(mine),
            Message.deleted_at.is_(None),
            Conversation.not_deleted(),
            document.op("@@")(terms),
        )
        .order_by(
            func.ts_rank(document, terms).desc(), Message.created_at.desc(), Message.id.desc()
        )
        .limit(max(1, min(limit, MAX_SEARCH_RESULTS)))
    )
    return list(rows.scalars())


async def recent_messages(
    session: AsyncSession, conversation_id: uuid.UUID, *, limit: int
) -> list[Message]:
    """The last ``limit`` live messages, oldest first (the context handed to the chatbot)."""
    rows = await session.execute(
        select(Message)
        .where(Message.conversation_id == conversation_id, Message.deleted_at.is_(None))
        .order_by(Message.created_at.desc(), Message.id.desc())
        .limit(limit)
    )
    return list(reversed(rows.scalars().all()))
