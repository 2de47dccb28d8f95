"""What every chatbot provider receives and answers, so that providers are interchangeable.

A provider gets a :class:`ChatContext` (the owner's message, the recent thread, the clinic, the
one pet the conversation is about and, when the app shares it, where the owner is) and returns a
:class:`BotReply`: how urgent the situation is, the text to show, and the actions the app turns
into buttons ("book", "call clinic"). Urgency is data, not prose, so that the app can colour an
emergency red and push it to staff whatever the wording of the text.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, Protocol


class Urgency(StrEnum):
    """How soon the pet should be seen, most urgent first."""

    #: Go to an emergency clinic now.
    EMERGENCY = "emergency"
    #: Call the clinic today; the pet should be seen within hours.
    URGENT = "urgent"
    #: Worth an appointment in the coming days.
    ROUTINE = "routine"
    #: No medical concern recognised: a question about hours, vaccines, preparation, booking.
    INFORMATION = "information"


#: Urgencies from the most to the least pressing (for "the worst of several findings").
URGENCY_ORDER: tuple[Urgency, ...] = (
    Urgency.EMERGENCY,
    Urgency.URGENT,
    Urgency.ROUTINE,
    Urgency.INFORMATION,
)


def most_urgent(levels: list[Urgency]) -> Urgency:
    """The most pressing of ``levels`` (``INFORMATION`` when there are none)."""
    return min(levels, key=URGENCY_ORDER.index, default=Urgency.INFORMATION)


class ActionKind(StrEnum):
    """Buttons the app can render under a bot message."""

    BOOK = "book"
    CALL_CLINIC = "call_clinic"
    GO_TO_EMERGENCY = "go_to_emergency"
    TALK_TO_STAFF = "talk_to_staff"


@dataclass(frozen=True, slots=True)
class SuggestedAction:
    """One action the owner can take; ``clinic_id``/``phone`` say with whom."""

    kind: ActionKind
    label: str
    clinic_id: uuid.UUID | None = None
    phone: str | None = None


@dataclass(frozen=True, slots=True)
class NearbyClinic:
    """An emergency-capable clinic open now, with its distance from the owner."""

    clinic_id: uuid.UUID
    name: str
    distance_km: float
    phone: str | None
    address: str
    is_open_24h: bool


@dataclass(frozen=True, slots=True)
class VaccinationFact:
    """One vaccination from the pet's record."""

    vaccine_name: str
    administered_on: date
    next_due_on: date | None


@dataclass(frozen=True, slots=True)
class PrescriptionFact:
    """One active prescription from the pet's record."""

    medication_name: str
    dosage: str
    frequency: str
    instructions: str | None


@dataclass(frozen=True, slots=True)
class PetRecord:
    """The one pet the conversation is about: all the bot may know, so all it may say.

    Built from the database for this pet only; a provider never receives another pet's data.
    """

    name: str
    species: str
    breed: str | None
    sex: str
    age: str | None
    weight_kg: Decimal | None
    allergies: str | None
    vaccinations: tuple[VaccinationFact, ...] = ()
    active_prescriptions: tuple[PrescriptionFact, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready form (what an LLM provider sends)."""
        return {
            "name": self.name,
            "species": self.species,
            "breed": self.breed,
            "sex": self.sex,
            "age": self.age,
            "weight_kg": str(self.weight_kg) if self.weight_kg is not None else None,
            "allergies": self.allergies,
            "vaccinations": [
                {
                    "vaccine": v.vaccine_name,
                    "given_on": v.administered_on.isoformat(),
                    "next_due_on": v.next_due_on.isoformat() if v.next_due_on else None,
                }
                for v in self.vaccinations
            ],
            "active_prescriptions": [
                {
                    "medication": p.medication_name,
                    "dosage": p.dosage,
                    "frequency": p.frequency,
                    "instructions": p.instructions,
                }
                for p in self.active_prescriptions
            ],
        }


@dataclass(frozen=True, slots=True)
class ClinicInfo:
    """The clinic whose bot is answering: enough to answer "are you open?" and "call us"."""

    clinic_id: uuid.UUID
    name: str
    phone: str | None
    timezone: str
    is_open_now: bool
    next_opening: datetime | None
    accepts_emergencies: bool
    opening_hours: tuple[str, ...] = ()


class Speaker(StrEnum):
    OWNER = "owner"
    BOT = "bot"
    STAFF = "staff"


@dataclass(frozen=True, slots=True)
class ChatTurn:
    """One earlier message of the thread."""

    speaker: Speaker
    text: str


@dataclass(frozen=True, slots=True)
class ChatContext:
    """Everything a provider may use to answer ``message``."""

    message: str
    now: datetime
    clinic: ClinicInfo | None = None
    pet: PetRecord | None = None
    history: tuple[ChatTurn, ...] = ()
    latitude: float | None = None
    longitude: float | None = None


@dataclass(frozen=True, slots=True)
class BotReply:
    """A provider's answer; ``findings`` name the symptoms or topics it recognised."""

    urgency: Urgency
    text: str
    actions: tuple[SuggestedAction, ...] = ()
    findings: tuple[str, ...] = ()
    emergency_clinics: tuple[NearbyClinic, ...] = ()
    provider: str = "unknown"
    metadata: dict[str, Any] = field(default_factory=dict)


class ChatProvider(Protocol):
    """Anything that can answer an owner's message."""

    @property
    def name(self) -> str: ...

    async def reply(self, context: ChatContext) -> BotReply: ...


__all__ = [
    "URGENCY_ORDER",
    "ActionKind",
    "BotReply",
    "ChatContext",
    "ChatProvider",
    "ChatTurn",
    "ClinicInfo",
    "NearbyClinic",
    "PetRecord",
    "PrescriptionFact",
    "Speaker",
    "SuggestedAction",
    "Urgency",
    "VaccinationFact",
    "most_urgent",
]
