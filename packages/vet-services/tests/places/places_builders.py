"""Builders for the clinic search and emergency tests: clinics placed on the map with hours.

Every row is flushed inside the test's rolled-back transaction (``db_session``). Places are real
coordinates so distances read naturally: Manhattan, Brooklyn, Newark, Philadelphia, Tokyo.
"""

from __future__ import annotations

import itertools
import uuid
from datetime import UTC, datetime, time, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from vet_core.models import (
    Appointment,
    Clinic,
    ClinicClosure,
    ClinicMembership,
    ClinicOperatingHours,
    Pet,
    User,
    Veterinarian,
)
from vet_core.models.enums import AppointmentStatus, ServiceType, Species, StaffRole, UserRole

_counter = itertools.count(1)

MANHATTAN = (40.7580, -73.9855)
BROOKLYN = (40.6782, -73.9442)
NEWARK = (40.7357, -74.1724)
PHILADELPHIA = (39.9526, -75.1652)
TOKYO = (35.6762, 139.6503)

#: Monday 2 March 2026, 15:00 UTC: 10:00 in New York (open), 00:00 Tuesday in Tokyo (closed).
MONDAY_10AM_NEW_YORK = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
WEEKDAYS = (1, 2, 3, 4, 5)


def _unique(prefix: str) -> str:
    return f"{prefix}-{next(_counter)}-{uuid.uuid4().hex[:6]}"


class PlacesBuilder:
    """Makes clinics, veterinarians, pets and appointments in one session."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, row: Any) -> Any:
        self.session.add(row)
        await self.session.flush()
        return row

    async def clinic(
        self,
        name: str = "Riverside Animal Hospital",
        *,
        at: tuple[float, float] = MANHATTAN,
        timezone: str = "America/New_York",
        weekdays: tuple[int, ...] = WEEKDAYS,
        opens: time = time(8),
        closes: time = time(18),
        breaks: list[dict[str, str]] | None = None,
        open_24h: bool = False,
        emergencies: bool = False,
        new_patients: bool = True,
        services: list[str] | None = None,
        phone: str | None = "+12125550100",
        settings: dict[str, Any] | None = None,
    ) -> Clinic:
        clinic = await self.add(
            Clinic(
                name=name,
                slug=_unique("clinic"),
                address_line1="1 Main Street",
                city="Somewhere",
                country_code="US" if timezone.startswith("America") else "JP",
                timezone=timezone,
                latitude=at[0],
                longitude=at[1],
                is_open_24h=open_24h,
                accepts_emergencies=emergencies,
                accepts_new_patients=new_patients,
                services=services or [],
                phone=phone,
                settings=settings or {},
            )
        )
        if not open_24h:
            for weekday in weekdays:
                await self.add(
                    ClinicOperatingHours(
                        clinic_id=clinic.id,
                        weekday=weekday,
                        opens_at=opens,
                        closes_at=closes,
                        breaks=breaks or [],
                    )
                )
        return clinic

    async def closure(self, clinic: Clinic, day: Any, **special: time) -> ClinicClosure:
        return await self.add(
            ClinicClosure(
                clinic_id=clinic.id,
                starts_on=day,
                ends_on=day,
                is_closed_all_day=not special,
                opens_at=special.get("opens"),
                closes_at=special.get("closes"),
            )
        )

    async def user(self, role: UserRole = UserRole.PET_OWNER) -> User:
        return await self.add(
            User(
                clerk_user_id=_unique("user"),
                email=f"{_unique('person')}@example.com",
                first_name="Sam",
                last_name="Rivera",
                role=role,
            )
        )

    async def veterinarian(self, clinic: Clinic, species: list[Species]) -> Veterinarian:
        user = await self.user(UserRole.VETERINARIAN)
        vet = await self.add(
            Veterinarian(
                user_id=user.id,
                license_number=_unique("LIC"),
                license_state="NY",
                species_expertise=[s.value for s in species],
            )
        )
        await self.add(
            ClinicMembership(clinic_id=clinic.id, user_id=user.id, role=StaffRole.VETERINARIAN)
        )
        return vet

    async def pet(self, owner: User | None = None) -> Pet:
        owner = owner or await self.user()
        return await self.add(
            Pet(owner_id=owner.id, name="Biscuit", species=Species.DOG, approximate_age_years=3)
        )

    async def patients_in_care(
        self, clinic: Clinic, count: int, *, now: datetime, status: AppointmentStatus
    ) -> None:
        """``count`` appointments at ``clinic`` that started before ``now`` and are still open."""
        vet = await self.veterinarian(clinic, [Species.DOG])
        for index in range(count):
            pet = await self.pet()
            starts = now - timedelta(minutes=30 + 40 * index)
            await self.add(
                Appointment(
                    pet_id=pet.id,
                    booked_by_id=pet.owner_id,
                    veterinarian_id=vet.id,
                    clinic_id=clinic.id,
                    service_type=ServiceType.EMERGENCY,
                    status=status,
                    starts_at=starts,
                    ends_at=starts + timedelta(minutes=40),
                    completed_at=(
                        starts + timedelta(minutes=40)
                        if status is AppointmentStatus.COMPLETED
                        else None
                    ),
                )
            )
