"""Rows for the payments, shop and reviews tests, built in one session and flushed.

Shared by ``tests/payments``, ``tests/commerce`` and ``tests/reviews``; nothing here is a
stand-in: every row goes through the real schema and its constraints.
"""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from vet_core.models.clinical import Prescription
from vet_core.models.clinics import Clinic, ClinicMembership
from vet_core.models.commerce import Product
from vet_core.models.enums import (
    AppointmentStatus,
    OwnershipRole,
    ProductType,
    ServiceType,
    StaffRole,
    UserRole,
)
from vet_core.models.identity import User
from vet_core.models.pets import Pet, PetOwnership
from vet_core.models.scheduling import Appointment
from vet_core.models.veterinarians import Veterinarian
from vet_services.auth.permissions import Actor

_sequence = itertools.count(1)


def unique(prefix: str) -> str:
    return f"{prefix}{next(_sequence)}{uuid.uuid4().hex[:8]}"


@dataclass(frozen=True)
class Person:
    """A user row and the actor they act as."""

    user: User
    actor: Actor


@dataclass(frozen=True)
class Vet:
    profile: Veterinarian
    person: Person


class Rows:
    """Makes rows in ``session`` (flushed, so ids and server defaults are there)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, row: Any) -> Any:
        self.session.add(row)
        await self.session.flush()
        return row

    async def person(self, role: UserRole = UserRole.PET_OWNER) -> Person:
        user = await self.add(
            User(
                clerk_user_id=unique("user_"),
                email=f"{unique('person')}@example.com",
                first_name="Sam",
                last_name=unique("Rivera"),
                role=role,
            )
        )
        return Person(user, Actor(role=role, user_id=user.id))

    async def clinic(self, *, tax_rate_bps: int = 0, name: str = "Harbor Vet Clinic") -> Clinic:
        return await self.add(
            Clinic(
                name=name,
                slug=unique("harbor-"),
                address_line1="12 Quay Street",
                city="Portsmouth",
                postal_code="03801",
                country_code="US",
                timezone="America/New_York",
                latitude=43.07,
                longitude=-70.76,
                phone="+16035550100",
                settings={"commerce": {"tax_rate_bps": tax_rate_bps}},
            )
        )

    async def staff(self, clinic: Clinic, role: StaffRole) -> Person:
        person = await self.person(UserRole(role.value))
        await self.add(ClinicMembership(clinic_id=clinic.id, user_id=person.user.id, role=role))
        return Person(
            person.user,
            Actor(role=person.user.role, user_id=person.user.id, memberships={clinic.id: role}),
        )

    async def veterinarian(self, clinic: Clinic) -> Vet:
        person = await self.staff(clinic, StaffRole.VETERINARIAN)
        profile = await self.add(
            Veterinarian(user_id=person.user.id, license_number=unique("LIC-"), license_state="NH")
        )
        actor = Actor(
            role=UserRole.VETERINARIAN,
            user_id=person.user.id,
            memberships={clinic.id: StaffRole.VETERINARIAN},
            veterinarian_id=profile.id,
        )
        return Vet(profile, Person(person.user, actor))

    async def pet(self, owner: Person, *, co_owners: tuple[Person, ...] = ()) -> Pet:
        pet = await self.add(
            Pet(owner_id=owner.user.id, name="Biscuit", species="dog", birth_date=date(2021, 3, 2))
        )
        await self.add(PetOwnership(pet_id=pet.id, user_id=owner.user.id))
        for co_owner in co_owners:
            await self.add(
                PetOwnership(pet_id=pet.id, user_id=co_owner.user.id, role=OwnershipRole.CO_OWNER)
            )
        return pet

    async def appointment(
        self,
        pet: Pet,
        vet: Vet,
        clinic: Clinic,
        *,
        booked_by: Person | None = None,
        status: AppointmentStatus = AppointmentStatus.COMPLETED,
        days_ago: int = 3,
    ) -> Appointment:
        starts_at = datetime(2026, 6, 1, 14, tzinfo=UTC) - timedelta(days=days_ago)
        completed = status is AppointmentStatus.COMPLETED
        return await self.add(
            Appointment(
                pet_id=pet.id,
                booked_by_id=booked_by.user.id if booked_by else pet.owner_id,
                veterinarian_id=vet.profile.id,
                clinic_id=clinic.id,
                service_type=ServiceType.WELLNESS_EXAM,
                status=status,
                starts_at=starts_at,
                ends_at=starts_at + timedelta(minutes=30),
                completed_at=starts_at + timedelta(minutes=30) if completed else None,
            )
        )

    async def product(
        self,
        clinic: Clinic,
        *,
        name: str = "Salmon Kibble 2kg",
        unit_amount: int = 2_499,
        stock: int | None = 100,
        product_type: ProductType = ProductType.FOOD,
        currency: str = "USD",
    ) -> Product:
        return await self.add(
            Product(
                clinic_id=clinic.id,
                sku=unique("SKU-"),
                name=name,
                product_type=product_type,
                unit_amount=unit_amount,
                currency=currency,
                stock_quantity=stock,
            )
        )

    async def prescription(
        self,
        pet: Pet,
        vet: Vet,
        medication: str,
        *,
        valid_until: date | None = None,
        discontinued: bool = False,
    ) -> Prescription:
        return await self.add(
            Prescription(
                pet_id=pet.id,
                prescribed_by_id=vet.profile.id,
                medication_name=medication,
                dosage="75 mg",
                frequency="twice daily",
                valid_until=valid_until,
                discontinued_at=datetime.now(UTC) if discontinued else None,
            )
        )
