"""Builders of the messaging tests: people, clinics (with a place on the map and opening hours),
staff memberships, pets with their records, and conversations. Every row is flushed inside the
test's rolled-back transaction (``db_session``).

Clinics default to Lisbon (far from the clinics other test suites create) and to the hours of an
ordinary practice: Monday to Friday 08:00-18:00, local time.
"""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from vet_core.models import (
    ChatBot,
    Clinic,
    ClinicMembership,
    ClinicOperatingHours,
    FileObject,
    Pet,
    PetOwnership,
    Prescription,
    User,
    Vaccination,
    Veterinarian,
    WeightRecord,
)
from vet_core.models.enums import FileStatus, PetSex, Species, StaffRole, UserRole
from vet_core.schemas.messaging import MessageCreate
from vet_services.auth.permissions import Actor

_sequence = itertools.count(1)

LISBON = (38.7223, -9.1393)


def unique(prefix: str) -> str:
    return f"{prefix}{next(_sequence)}{uuid.uuid4().hex[:8]}"


def text(body: str) -> MessageCreate:
    """A plain text message as the API would parse it."""
    return MessageCreate(body=body)


@dataclass(frozen=True)
class Person:
    """A user and the actor they sign in as."""

    user: User
    actor: Actor

    @property
    def id(self) -> uuid.UUID:
        return self.user.id


class MessagingWorld:
    """Makes rows for messaging tests in one session."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, row: Any) -> Any:
        self.session.add(row)
        await self.session.flush()
        return row

    async def user(self, role: UserRole = UserRole.PET_OWNER, first_name: str = "Alex") -> User:
        return await self.add(
            User(
                clerk_user_id=unique("user_"),
                email=f"{unique('person')}@example.com",
                first_name=first_name,
                last_name=unique("Doe"),
                role=role,
            )
        )

    async def owner(self, first_name: str = "Alex") -> Person:
        user = await self.user(UserRole.PET_OWNER, first_name)
        return Person(user, Actor(role=UserRole.PET_OWNER, user_id=user.id))

    async def clinic(
        self,
        name: str = "Clínica Veterinária do Rio",
        *,
        latitude: float = LISBON[0],
        longitude: float = LISBON[1],
        timezone: str = "Europe/Lisbon",
        weekdays: tuple[int, ...] = (1, 2, 3, 4, 5),
        opens: time = time(8),
        closes: time = time(18),
        accepts_emergencies: bool = False,
        open_24h: bool = False,
        phone: str | None = "+351210000000",
    ) -> Clinic:
        clinic = await self.add(
            Clinic(
                name=name,
                slug=unique("clinic-"),
                address_line1="Rua Augusta 1",
                city="Lisboa",
                country_code="PT",
                timezone=timezone,
                latitude=latitude,
                longitude=longitude,
                phone=phone,
                accepts_emergencies=accepts_emergencies,
                is_open_24h=open_24h,
            )
        )
        if not open_24h:
            for weekday in weekdays:
                await self.add(
                    ClinicOperatingHours(
                        clinic_id=clinic.id, weekday=weekday, opens_at=opens, closes_at=closes
                    )
                )
        return clinic

    async def staff(self, clinic: Clinic, role: StaffRole = StaffRole.VETERINARIAN) -> Person:
        user = await self.user(UserRole(role.value), "Dana")
        await self.add(ClinicMembership(clinic_id=clinic.id, user_id=user.id, role=role))
        return Person(
            user, Actor(role=UserRole(role.value), user_id=user.id, memberships={clinic.id: role})
        )

    async def pet(
        self,
        owner: Person,
        name: str = "Rex",
        *,
        species: Species = Species.DOG,
        sex: PetSex = PetSex.MALE,
        allergies: str | None = None,
    ) -> Pet:
        pet = await self.add(
            Pet(
                owner_id=owner.id,
                name=name,
                species=species,
                sex=sex,
                birth_date=date(2022, 4, 1),
                allergies=allergies,
            )
        )
        await self.add(PetOwnership(pet_id=pet.id, user_id=owner.id))
        return pet

    async def weight(self, pet: Pet, kg: str) -> WeightRecord:
        return await self.add(
            WeightRecord(pet_id=pet.id, weight_kg=Decimal(kg), measured_at=datetime.now(UTC))
        )

    async def vaccination(
        self, pet: Pet, vaccine: str, given: date, due: date | None
    ) -> Vaccination:
        return await self.add(
            Vaccination(
                pet_id=pet.id,
                vaccine_name=vaccine,
                administered_at=datetime.combine(given, time(10), UTC),
                next_due_on=due,
            )
        )

    async def veterinarian(self, clinic: Clinic) -> Veterinarian:
        """A veterinarian (the prescriber of prescriptions) working at ``clinic``."""
        person = await self.staff(clinic, StaffRole.VETERINARIAN)
        return await self.add(
            Veterinarian(user_id=person.id, license_number=unique("LIC-"), license_state="LX")
        )

    async def prescription(self, pet: Pet, vet: Veterinarian, medication: str) -> Prescription:
        return await self.add(
            Prescription(
                pet_id=pet.id,
                prescribed_by_id=vet.id,
                medication_name=medication,
                dosage="1 tablet",
                frequency="twice daily",
                prescribed_at=datetime.now(UTC),
            )
        )

    async def file(
        self, owner: Person, name: str = "photo.jpg", status: FileStatus = FileStatus.AVAILABLE
    ) -> FileObject:
        return await self.add(
            FileObject(
                storage_key=unique("uploads/"),
                bucket="vet-files",
                filename=name,
                content_type="image/jpeg",
                size_bytes=1024,
                owner_id=owner.id,
                status=status,
            )
        )

    async def chatbot(self, clinic: Clinic, **values: Any) -> ChatBot:
        values.setdefault("name", "Rio Assistant")
        values.setdefault("model", "vet-small")
        return await self.add(ChatBot(clinic_id=clinic.id, **values))


@pytest.fixture
def world(db_session: AsyncSession) -> MessagingWorld:
    return MessagingWorld(db_session)


@pytest.fixture
def world_in():
    """A builder for a session of the test's own (``committed_session_factory`` tests)."""
    return MessagingWorld
