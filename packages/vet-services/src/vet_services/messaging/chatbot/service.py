"""Route an owner's message in a bot conversation to the clinic's provider and post the answer.

The service assembles the provider's whole view of the world — the clinic, the recent thread,
the owner's location if shared and the record of the *one* pet the conversation is about — so
that no provider ever queries the database for more than it was given. A clinic chooses its
provider in ``ChatBot.settings["provider"]``: ``"triage"`` (the default, offline) or
``"openai_compatible"`` (an LLM, guarded by triage). A clinic without a ``ChatBot`` row still
gets the offline triage; a disabled bot stays silent so that staff answer instead.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from vet_core.exceptions import BusinessRuleException
from vet_core.models import ChatBot, Clinic, Message, Pet, Prescription, Vaccination, WeightRecord
from vet_core.models.enums import ConversationType
from vet_core.schemas.messaging import MessageCreate
from vet_core.utils.clinic_hours import business_hours_from_records
from vet_core.utils.pets import age_from_birth_date
from vet_core.utils.time import to_utc, utcnow
from vet_services.auth.permissions import Actor
from vet_services.messaging.chatbot.base import (
    BotReply,
    ChatContext,
    ChatProvider,
    ChatTurn,
    ClinicInfo,
    PetRecord,
    PrescriptionFact,
    Speaker,
    VaccinationFact,
)
from vet_services.messaging.chatbot.llm import (
    PROVIDER_NAME as LLM_PROVIDER,
)
from vet_services.messaging.chatbot.llm import (
    ChatbotLLMSettings,
    OpenAICompatibleProvider,
)
from vet_services.messaging.chatbot.triage import TriageProvider, session_clinic_finder
from vet_services.messaging.conversations import (
    get_conversation_access,
    post_bot_message,
    post_message,
    recent_messages,
)

#: How many earlier messages the provider sees.
HISTORY_MESSAGES = 12
_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")

ProviderFactory = Callable[[ChatBot | None, TriageProvider], ChatProvider]


def configured_provider(
    llm_settings: ChatbotLLMSettings | None = None,
) -> ProviderFactory:
    """The provider a clinic's :class:`ChatBot` asks for (LLM settings from the environment)."""

    def factory(bot: ChatBot | None, triage: TriageProvider) -> ChatProvider:
        if bot is not None and bot.settings.get("provider") == LLM_PROVIDER:
            return OpenAICompatibleProvider(
                settings=llm_settings or ChatbotLLMSettings(),
                fallback=triage,
                system_prompt=bot.system_prompt,
                model=bot.model,
            )
        return triage

    return factory


async def load_pet_record(
    session: AsyncSession, pet_id: uuid.UUID, *, today: date
) -> PetRecord | None:
    """The record of this one pet: what the bot may know about it, and nothing else."""
    pet = await session.get(Pet, pet_id)
    if pet is None or pet.deleted_at is not None:
        return None
    weight = await session.scalar(
        select(WeightRecord.weight_kg)
        .where(WeightRecord.pet_id == pet_id)
        .order_by(WeightRecord.measured_at.desc())
        .limit(1)
    )
    vaccinations = (
        await session.execute(
            select(Vaccination)
            .where(Vaccination.pet_id == pet_id, Vaccination.not_deleted())
            .order_by(Vaccination.administered_at)
        )
    ).scalars()
    prescriptions = (
        await session.execute(
            select(Prescription)
            .where(
                Prescription.pet_id == pet_id,
                Prescription.not_deleted(),
                Prescription.discontinued_at.is_(None),
                or_(Prescription.valid_until.is_(None), Prescription.valid_until >= today),
            )
            .order_by(Prescription.prescribed_at)
        )
    ).scalars()
    if pet.birth_date is not None and pet.birth_date <= today:
        age: str | None = str(age_from_birth_date(pet.birth_date, today))
    elif pet.approximate_age_years is not None or pet.approximate_age_months is not None:
        age = f"about {pet.approximate_age_years or 0}y {pet.approximate_age_months or 0}m"
        if pet.age_estimated_on is not None:
            age += f" as of {pet.age_estimated_on.isoformat()}"
    else:
        age = None
    return PetRecord(
        name=pet.name,
        species=pet.species.value,
        breed=pet.breed,
        sex=pet.sex.value,
        age=age,
        weight_kg=weight,
        allergies=pet.allergies,
        vaccinations=tuple(
            VaccinationFact(v.vaccine_name, v.administered_at.date(), v.next_due_on)
            for v in vaccinations
        ),
        active_prescriptions=tuple(
            PrescriptionFact(p.medication_name, p.dosage, p.frequency, p.instructions)
            for p in prescriptions
        ),
    )


async def load_clinic_info(
    session: AsyncSession, clinic_id: uuid.UUID, *, at: datetime
) -> ClinicInfo | None:
    """The clinic as the bot presents it: open now?, next opening, weekly hours (local time)."""
    clinic = (
        await session.execute(
            select(Clinic)
            .options(selectinload(Clinic.operating_hours), selectinload(Clinic.closures))
            .where(Clinic.id == clinic_id, Clinic.not_deleted())
        )
    ).scalar_one_or_none()
    if clinic is None:
        return None
    hours = business_hours_from_records(
        clinic.timezone, clinic.operating_hours, clinic.closures, open_24h=clinic.is_open_24h
    )
    is_open = hours.is_open(at)
    weekly = (
        ("open 24 hours",)
        if clinic.is_open_24h
        else tuple(
            f"{_WEEKDAYS[row.weekday - 1]} {row.opens_at:%H:%M}-{row.closes_at:%H:%M}"
            for row in clinic.operating_hours
        )
    )
    return ClinicInfo(
        clinic_id=clinic.id,
        name=clinic.name,
        phone=clinic.phone,
        timezone=clinic.timezone,
        is_open_now=is_open,
        next_opening=None if is_open else hours.next_opening(at),
        accepts_emergencies=clinic.accepts_emergencies,
        opening_hours=weekly,
    )


def _turn(message: Message, owner_id: uuid.UUID | None) -> ChatTurn:
    if message.sender_id is None:
        speaker = Speaker.BOT
    elif message.sender_id == owner_id:
        speaker = Speaker.OWNER
    else:
        speaker = Speaker.STAFF
    return ChatTurn(speaker, message.body)


@dataclass(frozen=True, slots=True)
class BotExchange:
    """The owner's message, and the bot's answer with its urgency and actions (if it answered)."""

    question: Message
    answer: Message | None
    reply: BotReply | None


async def ask_bot(
    session: AsyncSession,
    actor: Actor,
    conversation_id: uuid.UUID,
    data: MessageCreate,
    *,
    latitude: float | None = None,
    longitude: float | None = None,
    provider_factory: ProviderFactory | None = None,
    now: datetime | None = None,
) -> BotExchange:
    """Post the caller's message in a bot conversation and, if the bot should answer, its reply.

    The bot answers the owner only: when clinic staff write in the thread they have taken it
    over, and a disabled bot leaves every message to the staff.
    """
    access = await get_conversation_access(session, actor, conversation_id)
    conversation = access.conversation
    if conversation.conversation_type is not ConversationType.CHATBOT:
        raise BusinessRuleException(
            "Only bot conversations are answered by the bot", code="NOT_A_BOT_CONVERSATION"
        )
    question = await post_message(session, actor, conversation_id, data)
    staff_speaking = (
        conversation.clinic_id is not None and conversation.clinic_id in actor.memberships
    )
    bot = (
        await session.execute(select(ChatBot).where(ChatBot.clinic_id == conversation.clinic_id))
        if conversation.clinic_id is not None
        else None
    )
    bot_row = bot.scalar_one_or_none() if bot is not None else None
    if staff_speaking or (bot_row is not None and not bot_row.is_enabled) or not data.body.strip():
        return BotExchange(question, None, None)

    at = to_utc(now) if now is not None else utcnow()
    history = [
        _turn(message, conversation.created_by)
        for message in await recent_messages(session, conversation.id, limit=HISTORY_MESSAGES + 1)
        if message.id != question.id
    ]
    context = ChatContext(
        message=data.body,
        now=at,
        clinic=(
            await load_clinic_info(session, conversation.clinic_id, at=at)
            if conversation.clinic_id is not None
            else None
        ),
        pet=(
            await load_pet_record(session, conversation.pet_id, today=at.date())
            if conversation.pet_id is not None
            else None
        ),
        history=tuple(history[-HISTORY_MESSAGES:]),
        latitude=latitude,
        longitude=longitude,
    )
    triage = TriageProvider(clinic_finder=session_clinic_finder(session))
    provider = (provider_factory or configured_provider())(bot_row, triage)
    reply = await provider.reply(context)
    answer = await post_bot_message(session, conversation, reply.text)
    return BotExchange(question, answer, reply)


__all__ = [
    "HISTORY_MESSAGES",
    "BotExchange",
    "ProviderFactory",
    "ask_bot",
    "configured_provider",
    "load_clinic_info",
    "load_pet_record",
]
