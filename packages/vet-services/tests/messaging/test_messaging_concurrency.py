"""Races of real connections: the database keys, not luck, keep one row per person.

These tests commit (``committed_session_factory``); the tables are emptied afterwards.
"""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select

from vet_core.database.session import transaction
from vet_core.models import ConversationParticipant, MessageReaction
from vet_core.schemas.messaging import MessageCreate
from vet_services.messaging import conversations as messaging


async def _setup(committed_session_factory, world_in):
    async with transaction(committed_session_factory) as session:
        world = world_in(session)
        clinic = await world.clinic()
        owner = await world.owner()
        vet = await world.staff(clinic)
        conversation = await messaging.start_clinic_conversation(
            session, owner.actor, clinic_id=clinic.id
        )
        message = await messaging.post_message(
            session, owner.actor, conversation.id, MessageCreate(body="Is Rex ready?")
        )
    return conversation, message, owner, vet


async def test_joining_from_two_tabs_at_once_makes_one_participant(
    committed_session_factory, world_in
):
    conversation, _message, _owner, vet = await _setup(committed_session_factory, world_in)

    async def join():
        async with transaction(committed_session_factory) as session:
            participant = await messaging.join_conversation(session, vet.actor, conversation.id)
            return participant.id

    first, second = await asyncio.gather(join(), join())

    assert first == second
    async with committed_session_factory() as session:
        count = await session.scalar(
            select(func.count()).where(
                ConversationParticipant.conversation_id == conversation.id,
                ConversationParticipant.user_id == vet.id,
            )
        )
    assert count == 1


async def test_the_same_reaction_sent_twice_at_once_is_stored_once(
    committed_session_factory, world_in
):
    _conversation, message, _owner, vet = await _setup(committed_session_factory, world_in)

    async def react():
        async with transaction(committed_session_factory) as session:
            return await messaging.add_reaction(session, vet.actor, message.id, "👍")

    results = await asyncio.gather(react(), react(), react())

    assert sorted(results) == [False, False, True]
    async with committed_session_factory() as session:
        rows = (
            await session.execute(
                select(MessageReaction.user_id, MessageReaction.emoji).where(
                    MessageReaction.message_id == message.id
                )
            )
        ).all()
    assert [tuple(row) for row in rows] == [(vet.id, "👍")]
