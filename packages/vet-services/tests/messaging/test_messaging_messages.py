"""Messages: attachments, the fan-out event, edits, soft deletes, reactions, read receipts and
unread counts, search and pagination."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import event, select

from vet_core.exceptions import BusinessRuleException, NotFoundException, SchemaValidationException
from vet_core.models import MessageReaction, OutboxEvent
from vet_core.models.enums import FileStatus, MessageType
from vet_core.schemas.base import Attachment
from vet_core.schemas.messaging import MessageCreate
from vet_services.messaging import conversations as messaging


def text(body: str) -> MessageCreate:
    return MessageCreate(body=body)


@pytest.fixture
async def thread(world, db_session):
    """An owner's conversation with a clinic whose vet has joined."""
    clinic = await world.clinic()
    owner = await world.owner()
    vet = await world.staff(clinic)
    conversation = await messaging.start_clinic_conversation(
        db_session, owner.actor, clinic_id=clinic.id
    )
    await messaging.join_conversation(db_session, vet.actor, conversation.id)
    return conversation, owner, vet


async def test_posting_records_a_fan_out_event_for_the_other_participants(thread, db_session):
    conversation, owner, vet = thread

    message = await messaging.post_message(
        db_session, owner.actor, conversation.id, text("Rex is scratching his ear")
    )

    assert conversation.last_message_at == message.created_at
    events = (
        await db_session.execute(
            select(OutboxEvent).where(OutboxEvent.topic == messaging.NEW_MESSAGE_TOPIC)
        )
    ).scalars()
    payloads = [e.payload for e in events if e.payload["message_id"] == str(message.id)]
    assert payloads == [
        {
            "conversation_id": str(conversation.id),
            "message_id": str(message.id),
            "sender_id": str(owner.id),
            "message_type": "text",
            "clinic_id": str(conversation.clinic_id),
            "recipient_ids": [str(vet.id)],
        }
    ]


async def test_attachments_must_be_the_senders_own_files(thread, world, db_session):
    conversation, owner, _vet = thread
    photo = await world.file(owner)
    someone_elses = await world.file(await world.owner())
    quarantined = await world.file(owner, "virus.exe", status=FileStatus.QUARANTINED)

    message = await messaging.post_message(
        db_session,
        owner.actor,
        conversation.id,
        MessageCreate(
            attachments=[Attachment(file_id=photo.id, name="ear.jpg", content_type="image/jpeg")]
        ),
    )
    assert message.message_type is MessageType.IMAGE
    assert message.attachments == [
        {"file_id": str(photo.id), "name": "ear.jpg", "content_type": "image/jpeg"}
    ]

    for file_id in (someone_elses.id, quarantined.id, uuid.uuid4()):
        with pytest.raises(NotFoundException) as error:
            await messaging.post_message(
                db_session,
                owner.actor,
                conversation.id,
                MessageCreate(
                    attachments=[
                        Attachment(file_id=file_id, name="x.jpg", content_type="image/jpeg")
                    ]
                ),
            )
        assert error.value.code == "FILE_NOT_FOUND"


async def test_authors_edit_their_own_messages_and_the_edit_is_visible(thread, db_session):
    conversation, owner, vet = thread
    message = await messaging.post_message(
        db_session, owner.actor, conversation.id, text("Rex ate a sock")
    )
    assert message.edited_at is None

    edited = await messaging.edit_message(db_session, owner.actor, message.id, "Rex ate a shoe")

    assert edited.body == "Rex ate a shoe"
    assert edited.edited_at is not None
    assert edited.edited_at >= edited.created_at
    with pytest.raises(BusinessRuleException) as error:
        await messaging.edit_message(db_session, vet.actor, message.id, "Rex ate nothing")
    assert error.value.code == "MESSAGE_NOT_AUTHOR"
    with pytest.raises(SchemaValidationException):
        await messaging.edit_message(db_session, owner.actor, message.id, "   ")


async def test_a_deleted_message_keeps_its_place_without_its_content(thread, db_session):
    conversation, owner, vet = thread
    before = await messaging.post_message(db_session, owner.actor, conversation.id, text("one"))
    secret = await messaging.post_message(
        db_session, owner.actor, conversation.id, text("my door code is 4711")
    )
    after = await messaging.post_message(db_session, vet.actor, conversation.id, text("three"))

    await messaging.delete_message(db_session, owner.actor, secret.id)

    page = await messaging.list_messages(db_session, vet.actor, conversation.id)
    assert [m.id for m in page.items] == [after.id, secret.id, before.id]
    assert secret.deleted_at is not None
    assert (secret.body, secret.attachments) == ("", [])
    assert await messaging.search_messages(db_session, vet.actor, "door code") == []
    with pytest.raises(BusinessRuleException) as error:
        await messaging.edit_message(db_session, owner.actor, secret.id, "undo")
    assert error.value.code == "MESSAGE_DELETED"


async def test_a_reaction_is_one_per_person_and_emoji_and_toggles(thread, db_session):
    conversation, owner, vet = thread
    message = await messaging.post_message(
        db_session, vet.actor, conversation.id, text("Rex can go home today")
    )

    assert await messaging.toggle_reaction(db_session, owner.actor, message.id, "❤️") is True
    assert await messaging.toggle_reaction(db_session, owner.actor, message.id, "👍") is True
    assert await messaging.toggle_reaction(db_session, vet.actor, message.id, "❤️") is True
    assert await messaging.reaction_counts(db_session, owner.actor, message.id) == {
        "❤️": 2,
        "👍": 1,
    }

    # Tapping the same emoji again takes it back instead of adding a second one.
    assert await messaging.toggle_reaction(db_session, owner.actor, message.id, "❤️") is False
    assert await messaging.reaction_counts(db_session, vet.actor, message.id) == {"❤️": 1, "👍": 1}
    rows = (
        await db_session.execute(
            select(MessageReaction.user_id, MessageReaction.emoji).where(
                MessageReaction.message_id == message.id
            )
        )
    ).all()
    assert sorted(rows, key=str) == sorted([(owner.id, "👍"), (vet.id, "❤️")], key=str)


async def test_outsiders_cannot_react(thread, world, db_session):
    conversation, owner, _vet = thread
    message = await messaging.post_message(db_session, owner.actor, conversation.id, text("hi"))
    stranger = await world.owner()

    with pytest.raises(NotFoundException) as error:
        await messaging.toggle_reaction(db_session, stranger.actor, message.id, "👍")
    assert error.value.code == "MESSAGE_NOT_FOUND"


async def test_read_receipts_and_unread_counts(thread, world, db_session):
    conversation, owner, vet = thread
    clinic_id = conversation.clinic_id
    other = await messaging.start_clinic_conversation(
        db_session, owner.actor, clinic_id=clinic_id, subject="Invoice"
    )
    await messaging.post_message(db_session, vet.actor, conversation.id, text("Results?"))
    await messaging.post_message(db_session, vet.actor, conversation.id, text("All fine"))
    await messaging.post_message(db_session, vet.actor, conversation.id, text("Call us"))
    await messaging.post_message(db_session, vet.actor, other.id, text("Invoice attached"))
    await messaging.post_message(db_session, owner.actor, conversation.id, text("Thanks!"))

    # The owner's own message moved their read position past everything before it.
    assert await messaging.unread_counts(db_session, owner.actor) == {
        conversation.id: 0,
        other.id: 1,
    }
    # The vet has read nothing the owner wrote since joining.
    assert (await messaging.unread_counts(db_session, vet.actor))[conversation.id] == 1

    reader = await world.owner()
    shared = await messaging.start_clinic_conversation(
        db_session, reader.actor, clinic_id=clinic_id
    )
    await messaging.join_conversation(db_session, vet.actor, shared.id)
    messages = [
        await messaging.post_message(db_session, vet.actor, shared.id, text(body))
        for body in ("a", "b", "c")
    ]
    assert await messaging.unread_counts(db_session, reader.actor) == {shared.id: 3}

    receipt = await messaging.mark_read(
        db_session, reader.actor, shared.id, up_to_message_id=messages[1].id
    )
    assert receipt.last_read_message_id == messages[1].id
    assert await messaging.unread_counts(db_session, reader.actor) == {shared.id: 1}

    # A late receipt for an older message does not move the position back.
    await messaging.mark_read(db_session, reader.actor, shared.id, up_to_message_id=messages[0].id)
    assert await messaging.unread_counts(db_session, reader.actor) == {shared.id: 1}

    receipts = {
        p.user_id: p.last_read_message_id
        for p in await messaging.participants(db_session, vet.actor, shared.id)
    }
    assert receipts == {reader.id: messages[1].id, vet.id: messages[2].id}

    await messaging.mark_read(db_session, reader.actor, shared.id)
    inbox = await messaging.inbox(db_session, reader.actor)
    assert [(entry.conversation.id, entry.unread_count) for entry in inbox] == [(shared.id, 0)]


async def test_the_inbox_counts_unread_messages_in_one_query(thread, world, db_session):
    conversation, owner, vet = thread
    for index in range(3):
        extra = await messaging.start_clinic_conversation(
            db_session, owner.actor, clinic_id=conversation.clinic_id, subject=f"#{index}"
        )
        await messaging.join_conversation(db_session, vet.actor, extra.id)
        for _ in range(index + 1):
            await messaging.post_message(db_session, vet.actor, extra.id, text("news"))

    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    engine = db_session.bind.engine.sync_engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        inbox = await messaging.inbox(db_session, owner.actor)
    finally:
        event.remove(engine, "before_cursor_execute", count)

    assert len(statements) == 1
    # Most recent activity first.
    assert [entry.unread_count for entry in inbox] == [3, 2, 1, 0]


async def test_search_finds_only_messages_of_the_callers_conversations(thread, world, db_session):
    conversation, owner, vet = thread
    mine = await messaging.post_message(
        db_session, owner.actor, conversation.id, text("Rex has a rash on his belly")
    )
    await messaging.post_message(db_session, owner.actor, conversation.id, text("He eats well"))

    neighbour = await world.owner()
    theirs = await messaging.start_clinic_conversation(
        db_session, neighbour.actor, clinic_id=conversation.clinic_id
    )
    hidden = await messaging.post_message(
        db_session, neighbour.actor, theirs.id, text("Bella has a rash too")
    )

    assert [m.id for m in await messaging.search_messages(db_session, owner.actor, "rash")] == [
        mine.id
    ]
    assert await messaging.search_messages(db_session, neighbour.actor, "belly") == []
    # The vet can join the neighbour's thread, but search covers only threads they are in.
    assert [m.id for m in await messaging.search_messages(db_session, vet.actor, "rash")] == [
        mine.id
    ]
    await messaging.join_conversation(db_session, vet.actor, theirs.id)
    found = {m.id for m in await messaging.search_messages(db_session, vet.actor, "rash")}
    assert found == {mine.id, hidden.id}
    assert await messaging.search_messages(db_session, owner.actor, "rash -belly") == []


async def test_pages_walk_back_through_the_thread_without_gaps_or_repeats(thread, db_session):
    conversation, owner, vet = thread
    posted = [
        await messaging.post_message(
            db_session, owner.actor if i % 2 else vet.actor, conversation.id, text(f"m{i}")
        )
        for i in range(7)
    ]

    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        page = await messaging.list_messages(
            db_session, owner.actor, conversation.id, cursor=cursor, limit=3
        )
        pages += 1
        seen.extend(m.body for m in page.items)
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
        if pages == 1:
            # A message arriving meanwhile does not shift the older pages.
            await messaging.post_message(db_session, vet.actor, conversation.id, text("late"))

    assert pages == 3
    assert seen == [m.body for m in reversed(posted)]
    with pytest.raises(SchemaValidationException):
        await messaging.list_messages(db_session, owner.actor, conversation.id, cursor="garbage!")


async def test_a_closed_conversation_takes_no_new_messages(thread, db_session):
    conversation, owner, _vet = thread
    conversation.closed_at = conversation.created_at
    await db_session.flush()

    with pytest.raises(BusinessRuleException) as error:
        await messaging.post_message(db_session, owner.actor, conversation.id, text("hello?"))
    assert error.value.code == "CONVERSATION_CLOSED"
