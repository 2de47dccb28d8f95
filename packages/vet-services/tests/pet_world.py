"""Rows for the pet and clinical-record tests: people (each with the :class:`Actor` they sign in
as), clinics, staff, pets and the appointments that make a clinic treat a pet.

Everything is flushed inside the test's rolled-back transaction (``db_session``).
"""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from vet_core.models import (
    Appointment,
    Clinic,
    ClinicMembership,
    Pet,
    PetOwnership,
    User,
    Veterinarian,
)
from vet_core.models.enums import OwnershipRole, ServiceType, Species, StaffRole, UserRole
from vet_services.auth.permissions import Actor

_sequence = itertools.count(1)


def unique(prefix: str) -> str:
    return f"{prefix}{next(_sequence)}{uuid.uuid4().hex[:8]}"


@dataclass(frozen=True)
class Person:
    user: User
    actor: Actor


class PetWorld:
    """Builds rows in the test's session; every method flushes what it makes."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self._slot = datetime(2031, 3, 3, 14, 0, tzinfo=UTC)

    async def add(self, row: Any) -> Any:
        self.session.add(row)
        await self.session.flush()
        return row

    async def user(self, role: UserRole = UserRole.PET_OWNER, *, email: str | None = None) -> User:
        return await self.add(
            User(
                clerk_user_id=unique("user_"),
                email=email or f"{unique('person')}@example.com",
                first_name="Sam",
                last_name=unique("Rivera"),
                role=role,
            )
        )

    async def owner(self, *, email: str | None = None) -> Person:
        user = await self.user(email=email)
        return Person(user, Actor(role=UserRole.PET_OWNER, user_id=user.id))

    async def admin(self) -> Person:
        user = await self.user(UserRole.PLATFORM_ADMIN)
        return Person(user, Actor(role=UserRole.PLATFORM_ADMIN, user_id=user.id))

    async def clinic(self) -> Clinic:
        return await self.add(
            Clinic(
                name="Harbour Vets",
                slug=unique("harbour-"),
                address_line1="2 Quay Street",
                city="Portsmouth",
                country_code="GB",
                timezone="Europe/London",
                latitude=50.8,
                longitude=-1.09,
            )
        )

    async def staff(self, clinic: Clinic, role: StaffRole = StaffRole.RECEPTIONIST) -> Person:
        user = await self.user(UserRole(role.value))
        await self.add(ClinicMembership(clinic_id=clinic.id, user_id=user.id, role=role))
        veterinarian_id = None
        if role is StaffRole.VETERINARIAN:
            vet = await self.add(
                Veterinarian(user_id=user.id, license_number=unique("LIC-"), license_state="GB")
            )
            veterinarian_id = vet.id
        return Person(
            user,
            Actor(
                role=UserRole(role.value),
                user_id=user.id,
                memberships={clinic.id: role},
                veterinarian_id=veterinarian_id,
            ),
        )

    async def pet(
        self,
        owner: Person,
        *,
        name: str = "Biscuit",
        species: Species = Species.DOG,
        microchip: str | None = None,
        co_owners: tuple[Person, ...] = (),
    ) -> Pet:
        pet = await self.add(
            Pet(
                owner_id=owner.user.id,
                name=name,
                species=species,
                birth_date=date(2020, 5, 1),
                microchip=microchip,
            )
        )
        await self.add(PetOwnership(pet_id=pet.id, user_id=owner.user.id))
        for co_owner in co_owners:
            await self.add(
                PetOwnership(pet_id=pet.id, user_id=co_owner.user.id, role=OwnershipRole.CO_OWNER)
            )
        return pet

    async def visit(self, pet: Pet, clinic: Clinic, vet: Person | None = None) -> Appointment:
        """An appointment of ``pet`` at ``clinic``: from now on the clinic treats the pet."""
        vet = vet or await self.staff(clinic, StaffRole.VETERINARIAN)
        assert vet.actor.veterinarian_id is not None
        starts = self._slot
        self._slot += timedelta(hours=1)
        return await self.add(
            Appointment(
                pet_id=pet.id,
                booked_by_id=pet.owner_id,
                veterinarian_id=vet.actor.veterinarian_id,
                clinic_id=clinic.id,
                service_type=ServiceType.WELLNESS_EXAM,
                starts_at=starts,
                ends_at=starts + timedelta(minutes=30),
            )
        )
