"""The bot service: a bot conversation opens with the clinic's greeting, owners' messages are
answered by the clinic's provider (offline triage by default) and the answer is posted."""

from __future__ import annotations

from datetime import UTC, datetime, time

from vet_core.models.enums import MessageType
from vet_core.schemas.messaging import MessageCreate
from vet_services.messaging.chatbot.base import ActionKind, Urgency
from vet_services.messaging.chatbot.service import ask_bot
from vet_services.messaging.conversations import list_messages, start_bot_conversation

#: Monday 3 March 2031, 12:00 in Lisbon (UTC+0 in winter).
MONDAY_NOON = datetime(2031, 3, 3, 12, 0, tzinfo=UTC)
#: Saturday 8 March 2031, 10:00 in Lisbon: the practice is closed at weekends.
SATURDAY = datetime(2031, 3, 8, 10, 0, tzinfo=UTC)


async def test_a_bot_conversation_opens_with_the_clinics_greeting(world, db_session):
    clinic = await world.clinic()
    await world.chatbot(clinic, greeting="Olá! I'm the Rio assistant. How can I help?")
    owner = await world.owner()

    conversation = await start_bot_conversation(db_session, owner.actor, clinic_id=clinic.id)

    page = await list_messages(db_session, owner.actor, conversation.id)
    assert [(m.message_type, m.body) for m in page.items] == [
        (MessageType.BOT, "Olá! I'm the Rio assistant. How can I help?")
    ]


async def test_a_clinic_without_a_bot_configuration_answers_with_offline_triage(world, db_session):
    clinic = await world.clinic()
    owner = await world.owner()
    conversation = await start_bot_conversation(db_session, owner.actor, clinic_id=clinic.id)

    exchange = await ask_bot(
        db_session,
        owner.actor,
        conversation.id,
        MessageCreate(body="How long should my dog fast before his surgery?"),
        now=MONDAY_NOON,
    )

    assert exchange.reply is not None
    assert exchange.reply.provider == "triage"
    assert exchange.answer is not None
    assert "no food for 8-12 hours" in exchange.answer.body
    page = await list_messages(db_session, owner.actor, conversation.id)
    assert [m.id for m in page.items] == [exchange.answer.id, exchange.question.id]


async def test_opening_hours_are_answered_in_the_clinics_own_time(world, db_session):
    clinic = await world.clinic("Clínica do Rio", opens=time(9), closes=time(19))
    owner = await world.owner()
    conversation = await start_bot_conversation(db_session, owner.actor, clinic_id=clinic.id)

    exchange = await ask_bot(
        db_session,
        owner.actor,
        conversation.id,
        MessageCreate(body="Are you open today?"),
        now=SATURDAY,
    )

    assert exchange.reply is not None
    assert exchange.reply.urgency is Urgency.INFORMATION
    assert "Clínica do Rio is closed now and opens again Monday 10 March at 09:00" in (
        exchange.reply.text
    )
    assert "Mon 09:00-19:00" in exchange.reply.text
    assert exchange.reply.actions[0].kind is ActionKind.BOOK


async def test_an_emergency_gets_the_nearest_open_emergency_clinics(world, db_session):
    clinic = await world.clinic("Clínica do Rio")
    await world.clinic(
        "Hospital 24h Benfica",
        latitude=38.7510,
        longitude=-9.2000,
        accepts_emergencies=True,
        open_24h=True,
    )
    owner = await world.owner()
    conversation = await start_bot_conversation(db_session, owner.actor, clinic_id=clinic.id)

    exchange = await ask_bot(
        db_session,
        owner.actor,
        conversation.id,
        MessageCreate(body="My cat is straining to pee and crying in the litter box"),
        latitude=38.7223,
        longitude=-9.1393,
        now=SATURDAY,
    )

    assert exchange.reply is not None
    assert exchange.reply.urgency is Urgency.EMERGENCY
    assert [c.name for c in exchange.reply.emergency_clinics] == ["Hospital 24h Benfica"]
    assert exchange.answer is not None
    assert "1. Hospital 24h Benfica" in exchange.answer.body
    assert [a.kind for a in exchange.reply.actions] == [
        ActionKind.GO_TO_EMERGENCY,
        ActionKind.CALL_CLINIC,
    ]
