"""Rows for notification and reminder tests: owners, clinics, pets, vaccines, visits.

Every builder flushes; with a ``committed_session_factory`` session the test commits itself.
Defaults describe one household in New York with e-mail reminders on.
"""

from __future__ import annotations

import itertools
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from vet_core.models import (
    Appointment,
    Clinic,
    Pet,
    PetOwnership,
    Prescription,
    User,
    Vaccination,
    Veterinarian,
)
from vet_core.models.enums import (
    AppointmentStatus,
    OwnershipRole,
    PetStatus,
    ServiceType,
    Species,
    UserRole,
    UserStatus,
)

T = TypeVar("T")
_numbers = itertools.count(1)

#: Monday 3 March 2031, 12:00 UTC (07:00 in New York).
NOW = datetime(2031, 3, 3, 12, 0, tzinfo=UTC)


def unique(prefix: str) -> str:
    return f"{prefix}{next(_numbers)}{uuid.uuid4().hex[:8]}"


class Make:
    """Builds valid rows in one session."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, row: T) -> T:
        self.session.add(row)
        await self.session.flush()
        return row

    async def owner(
        self,
        *,
        first_name: str = "Dana",
        channels: list[str] | None = None,
        timezone: str | None = "America/New_York",
        language: str = "en",
        quiet_hours: tuple[str, str] | None = None,
        phone: str | None = None,
        status: UserStatus = UserStatus.ACTIVE,
        **extra: Any,
    ) -> User:
        preferences: dict[str, Any] = {
            "language": language,
            "notification_channels": channels if channels is not None else ["email"],
            **extra,
        }
        if timezone:
            preferences["timezone"] = timezone
        if quiet_hours:
            preferences["quiet_hours"] = {"start": quiet_hours[0], "end": quiet_hours[1]}
        return await self.add(
            User(
                clerk_user_id=unique("user_"),
                email=f"{unique('owner')}@example.com",
                first_name=first_name,
                last_name="Rivera",
                phone=phone,
                role=UserRole.PET_OWNER,
                status=status,
                preferences=preferences,
            )
        )

    async def clinic(
        self,
        *,
        name: str = "Riverside Animal Hospital",
        timezone: str = "America/New_York",
        settings: dict[str, Any] | None = None,
    ) -> Clinic:
        return await self.add(
            Clinic(
                name=name,
                slug=unique("riverside-"),
                address_line1="1 River Road",
                city="Springfield",
                country_code="US",
                timezone=timezone,
                latitude=40.7,
                longitude=-74.0,
                settings=settings or {},
            )
        )

    async def pet(
        self, owner: User, name: str = "Rex", *, status: PetStatus = PetStatus.ACTIVE
    ) -> Pet:
        pet = await self.add(
            Pet(
                owner_id=owner.id,
                name=name,
                species=Species.DOG,
                birth_date=date(2020, 5, 17),
                status=status,
                deceased_on=date(2031, 2, 1) if status is PetStatus.DECEASED else None,
            )
        )
        await self.add(PetOwnership(pet_id=pet.id, user_id=owner.id, role=OwnershipRole.PRIMARY))
        return pet

    async def vaccination(
        self,
        pet: Pet,
        clinic: Clinic | None,
        *,
        vaccine: str = "Rabies",
        next_due_on: date | None = date(2031, 3, 17),
        administered_at: datetime = datetime(2028, 3, 17, 15, tzinfo=UTC),
    ) -> Vaccination:
        return await self.add(
            Vaccination(
                pet_id=pet.id,
                clinic_id=clinic.id if clinic else None,
                vaccine_name=vaccine,
                administered_at=administered_at,
                next_due_on=next_due_on,
            )
        )

    async def veterinarian(self) -> Veterinarian:
        user = await self.add(
            User(
                clerk_user_id=unique("vet_"),
                email=f"{unique('vet')}@example.com",
                first_name="Sam",
                last_name="Okafor",
                role=UserRole.VETERINARIAN,
            )
        )
        return await self.add(
            Veterinarian(user_id=user.id, license_number=unique("LIC-"), license_state="NY")
        )

    async def appointment(
        self,
        pet: Pet,
        clinic: Clinic,
        starts_at: datetime,
        *,
        service: ServiceType = ServiceType.WELLNESS_EXAM,
        status: AppointmentStatus = AppointmentStatus.SCHEDULED,
        vet: Veterinarian | None = None,
    ) -> Appointment:
        vet = vet or await self.veterinarian()
        return await self.add(
            Appointment(
                pet_id=pet.id,
                booked_by_id=pet.owner_id,
                veterinarian_id=vet.id,
                clinic_id=clinic.id,
                service_type=service,
                status=status,
                starts_at=starts_at,
                ends_at=starts_at + timedelta(minutes=30),
                completed_at=starts_at + timedelta(minutes=30)
                if status is AppointmentStatus.COMPLETED
                else None,
                cancelled_at=starts_at - timedelta(days=1)
                if status is AppointmentStatus.CANCELLED
                else None,
            )
        )

    async def prescription(
        self, pet: Pet, *, medication: str = "Carprofen 75 mg", valid_until: date
    ) -> Prescription:
        vet = await self.veterinarian()
        return await self.add(
            Prescription(
                pet_id=pet.id,
                prescribed_by_id=vet.id,
                medication_name=medication,
                dosage="1 tablet",
                frequency="twice daily",
                valid_until=valid_until,
            )
        )
