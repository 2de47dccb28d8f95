"""Who may see a conversation: participants, and the staff of the clinic an owner writes to.

Anyone else is told the conversation does not exist (never "forbidden"), so that ids of other
people's threads reveal nothing.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from vet_core.exceptions import BusinessRuleException, NotFoundException
from vet_core.models import ConversationParticipant
from vet_core.models.enums import ConversationType, ParticipantRole, UserRole
from vet_core.schemas.messaging import MessageCreate
from vet_services.auth.permissions import Actor
from vet_services.messaging import conversations as messaging


async def test_an_owner_starts_a_conversation_with_a_clinic_about_their_pet(world, db_session):
    clinic = await world.clinic()
    owner = await world.owner()
    pet = await world.pet(owner)

    conversation = await messaging.start_clinic_conversation(
        db_session, owner.actor, clinic_id=clinic.id, pet_id=pet.id, subject="Rex's ear"
    )

    assert conversation.conversation_type is ConversationType.CLINIC_SUPPORT
    members = await messaging.participants(db_session, owner.actor, conversation.id)
    assert [(p.user_id, p.role) for p in members] == [(owner.id, ParticipantRole.MEMBER)]


async def test_an_owner_cannot_open_a_conversation_about_someone_elses_pet(world, db_session):
    clinic = await world.clinic()
    owner, stranger = await world.owner(), await world.owner()
    pet = await world.pet(stranger)

    with pytest.raises(NotFoundException) as error:
        await messaging.start_clinic_conversation(
            db_session, owner.actor, clinic_id=clinic.id, pet_id=pet.id
        )
    assert error.value.code == "PET_NOT_FOUND"


async def test_a_non_participant_is_told_the_conversation_does_not_exist(world, db_session):
    clinic = await world.clinic()
    owner, other_owner = await world.owner(), await world.owner()
    conversation = await messaging.start_clinic_conversation(
        db_session, owner.actor, clinic_id=clinic.id
    )
    await messaging.post_message(
        db_session, owner.actor, conversation.id, MessageCreate(body="Hello")
    )

    for attempt in (
        messaging.get_conversation_access(db_session, other_owner.actor, conversation.id),
        messaging.list_messages(db_session, other_owner.actor, conversation.id),
        messaging.post_message(
            db_session, other_owner.actor, conversation.id, MessageCreate(body="hi")
        ),
        messaging.join_conversation(db_session, other_owner.actor, conversation.id),
    ):
        with pytest.raises(NotFoundException) as error:
            await attempt
        assert error.value.code == "CONVERSATION_NOT_FOUND"


async def test_an_api_key_and_a_platform_admin_do_not_read_private_threads(world, db_session):
    clinic = await world.clinic()
    owner = await world.owner()
    admin = await world.user()
    conversation = await messaging.start_clinic_conversation(
        db_session, owner.actor, clinic_id=clinic.id
    )
    for actor in (
        Actor(role=None, api_key_id=clinic.id, memberships={}),
        Actor(role=UserRole.PLATFORM_ADMIN, user_id=admin.id),
    ):
        with pytest.raises(NotFoundException):
            await messaging.list_messages(db_session, actor, conversation.id)


async def test_staff_of_the_clinic_read_and_join_its_owner_conversations(world, db_session):
    clinic = await world.clinic()
    owner = await world.owner()
    vet = await world.staff(clinic)
    conversation = await messaging.start_clinic_conversation(
        db_session, owner.actor, clinic_id=clinic.id
    )
    question = await messaging.post_message(
        db_session, owner.actor, conversation.id, MessageCreate(body="Is Rex due for a booster?")
    )

    page = await messaging.list_messages(db_session, vet.actor, conversation.id)
    assert [m.id for m in page.items] == [question.id]

    joined = await messaging.join_conversation(db_session, vet.actor, conversation.id)
    again = await messaging.join_conversation(db_session, vet.actor, conversation.id)
    assert joined.id == again.id
    assert joined.role is ParticipantRole.STAFF
    members = await messaging.participants(db_session, owner.actor, conversation.id)
    assert {p.user_id for p in members} == {owner.id, vet.id}


async def test_staff_answering_join_the_conversation_on_their_first_message(world, db_session):
    clinic = await world.clinic()
    owner = await world.owner()
    receptionist = await world.staff(clinic)
    conversation = await messaging.start_clinic_conversation(
        db_session, owner.actor, clinic_id=clinic.id
    )

    await messaging.post_message(
        db_session, receptionist.actor, conversation.id, MessageCreate(body="We can help!")
    )

    members = await messaging.participants(db_session, owner.actor, conversation.id)
    assert receptionist.id in {p.user_id for p in members}


async def test_staff_of_another_clinic_cannot_see_or_join(world, db_session):
    clinic, other_clinic = await world.clinic(), await world.clinic("Outra Clínica")
    owner = await world.owner()
    outsider = await world.staff(other_clinic)
    conversation = await messaging.start_clinic_conversation(
        db_session, owner.actor, clinic_id=clinic.id
    )

    with pytest.raises(NotFoundException) as error:
        await messaging.join_conversation(db_session, outsider.actor, conversation.id)
    assert error.value.code == "CONVERSATION_NOT_FOUND"
    with pytest.raises(NotFoundException):
        await messaging.list_messages(db_session, outsider.actor, conversation.id)


async def test_a_staff_only_conversation_is_closed_to_other_staff_and_owners(world, db_session):
    clinic = await world.clinic()
    vet, nurse, receptionist = (
        await world.staff(clinic),
        await world.staff(clinic),
        await world.staff(clinic),
    )
    owner = await world.owner()

    conversation = await messaging.start_staff_conversation(
        db_session, vet.actor, clinic_id=clinic.id, participant_ids=[nurse.id], subject="Surgery"
    )

    assert conversation.conversation_type is ConversationType.GROUP
    await messaging.list_messages(db_session, nurse.actor, conversation.id)
    # Working at the clinic is not enough: staff threads are for their participants only.
    for outsider in (receptionist, owner):
        with pytest.raises(NotFoundException):
            await messaging.list_messages(db_session, outsider.actor, conversation.id)


async def test_only_current_staff_can_be_put_in_a_staff_conversation(world, db_session):
    clinic, other_clinic = await world.clinic(), await world.clinic("Outra Clínica")
    vet = await world.staff(clinic)
    foreign = await world.staff(other_clinic)
    owner = await world.owner()

    with pytest.raises(BusinessRuleException) as error:
        await messaging.start_staff_conversation(
            db_session, vet.actor, clinic_id=clinic.id, participant_ids=[foreign.id, owner.id]
        )
    assert error.value.code == "PARTICIPANT_NOT_STAFF"


async def test_participants_add_colleagues_and_people_leave(world, db_session):
    clinic = await world.clinic()
    owner = await world.owner()
    vet, nurse = await world.staff(clinic), await world.staff(clinic)
    conversation = await messaging.start_clinic_conversation(
        db_session, owner.actor, clinic_id=clinic.id
    )

    await messaging.join_conversation(db_session, vet.actor, conversation.id)
    await messaging.add_participant(db_session, vet.actor, conversation.id, nurse.id)
    with pytest.raises(BusinessRuleException):
        # An owner's friend is not the clinic's staff.
        await messaging.add_participant(
            db_session, vet.actor, conversation.id, (await world.owner()).id
        )

    await messaging.remove_participant(db_session, vet.actor, conversation.id, nurse.id)
    with pytest.raises(BusinessRuleException) as error:
        await messaging.remove_participant(db_session, owner.actor, conversation.id, vet.id)
    assert error.value.code == "PARTICIPANT_REMOVAL_NOT_ALLOWED"
    await messaging.remove_participant(db_session, owner.actor, conversation.id, owner.id)

    # The owner left: the thread is no longer theirs to read; history keeps the row.
    with pytest.raises(NotFoundException):
        await messaging.list_messages(db_session, owner.actor, conversation.id)
    rows = (
        await db_session.execute(
            select(ConversationParticipant.user_id, ConversationParticipant.left_at).where(
                ConversationParticipant.conversation_id == conversation.id
            )
        )
    ).all()
    left = {user_id for user_id, left_at in rows if left_at is not None}
    assert left == {owner.id, nurse.id}
