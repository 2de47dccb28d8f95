"""Builders of valid rows for service tests: clinics with hours, veterinarians with weekly rules,
owners with pets, staff with memberships, and the :class:`Actor` each of them acts as.

``Builder(session)`` flushes every row it makes; with a ``committed_session_factory`` session the
test commits itself. Defaults describe one ordinary practice: New York, open Monday to Friday
08:00–18:00 with a lunch break 12:00–13:00, veterinarians working 09:00–17:00.
"""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from vet_core.models import (
    Appointment,
    AppointmentHold,
    Clinic,
    ClinicClosure,
    ClinicMembership,
    ClinicOperatingHours,
    Pet,
    PetOwnership,
    User,
    Veterinarian,
    VeterinarianAvailability,
    VeterinarianTimeOff,
)
from vet_core.models.enums import (
    AppointmentStatus,
    HoldStatus,
    OwnershipRole,
    ServiceType,
    StaffRole,
    UserRole,
)
from vet_services.auth.permissions import Actor

_sequence = itertools.count(1)

#: Monday 3 March 2031, 07:00 in New York (12:00 UTC): the whole week ahead is bookable.
NOW = datetime(2031, 3, 3, 12, 0, tzinfo=UTC)
WEEKDAYS = (1, 2, 3, 4, 5)


def unique(prefix: str) -> str:
    return f"{prefix}{next(_sequence)}{uuid.uuid4().hex[:8]}"


@dataclass(frozen=True)
class Person:
    """A user row and the actor they sign in as."""

    user: User
    actor: Actor


class Builder:
    """Makes rows in one session (see the module docstring)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, row: Any) -> Any:
        self.session.add(row)
        await self.session.flush()
        return row

    async def user(self, role: UserRole = UserRole.PET_OWNER) -> User:
        return await self.add(
            User(
                clerk_user_id=unique("user_"),
                email=f"{unique('person')}@example.com",
                first_name="Alex",
                last_name=unique("Morgan"),
                role=role,
            )
        )

    async def clinic(
        self,
        *,
        timezone: str = "America/New_York",
        weekdays: tuple[int, ...] = WEEKDAYS,
        opens: time = time(8),
        closes: time = time(18),
        breaks: list[dict[str, str]] | None = None,
        open_24h: bool = False,
    ) -> Clinic:
        clinic = await self.add(
            Clinic(
                name="Riverside Animal Hospital",
                slug=unique("riverside-"),
                address_line1="1 River Road",
                city="Springfield",
                country_code="US",
                timezone=timezone,
                latitude=40.7,
                longitude=-74.0,
                is_open_24h=open_24h,
            )
        )
        if not open_24h:
            lunch = [{"start": "12:00", "end": "13:00"}] if breaks is None else breaks
            for weekday in weekdays:
                await self.add(
                    ClinicOperatingHours(
                        clinic_id=clinic.id,
                        weekday=weekday,
                        opens_at=opens,
                        closes_at=closes,
                        breaks=lunch,
                    )
                )
        return clinic

    async def closure(
        self,
        clinic: Clinic,
        starts_on: date,
        ends_on: date | None = None,
        *,
        opens: time | None = None,
        closes: time | None = None,
    ) -> ClinicClosure:
        return await self.add(
            ClinicClosure(
                clinic_id=clinic.id,
                starts_on=starts_on,
                ends_on=ends_on or starts_on,
                is_closed_all_day=opens is None,
                opens_at=opens,
                closes_at=closes,
            )
        )

    async def veterinarian(
        self,
        clinic: Clinic,
        *,
        weekdays: tuple[int, ...] = WEEKDAYS,
        starts: time = time(9),
        ends: time = time(17),
        effective_from: date = date(2030, 1, 1),
        effective_until: date | None = None,
        default_minutes: int = 30,
    ) -> Veterinarian:
        user = await self.user(UserRole.VETERINARIAN)
        vet = await self.add(
            Veterinarian(
                user_id=user.id,
                license_number=unique("LIC-"),
                license_state="NY",
                default_appointment_minutes=default_minutes,
            )
        )
        await self.add(
            ClinicMembership(clinic_id=clinic.id, user_id=user.id, role=StaffRole.VETERINARIAN)
        )
        for weekday in weekdays:
            await self.rule(
                vet,
                clinic,
                weekday,
                starts,
                ends,
                effective_from=effective_from,
                effective_until=effective_until,
            )
        return vet

    async def rule(
        self,
        vet: Veterinarian,
        clinic: Clinic,
        weekday: int,
        starts: time,
        ends: time,
        *,
        effective_from: date = date(2030, 1, 1),
        effective_until: date | None = None,
    ) -> VeterinarianAvailability:
        return await self.add(
            VeterinarianAvailability(
                veterinarian_id=vet.id,
                clinic_id=clinic.id,
                weekday=weekday,
                starts_at_local=starts,
                ends_at_local=ends,
                effective_from=effective_from,
                effective_until=effective_until,
            )
        )

    async def time_off(
        self, vet: Veterinarian, starts_at: datetime, ends_at: datetime
    ) -> VeterinarianTimeOff:
        return await self.add(
            VeterinarianTimeOff(veterinarian_id=vet.id, starts_at=starts_at, ends_at=ends_at)
        )

    async def owner(self) -> Person:
        user = await self.user(UserRole.PET_OWNER)
        return Person(user, Actor(role=UserRole.PET_OWNER, user_id=user.id))

    async def pet(self, owner: Person, *, co_owners: tuple[Person, ...] = ()) -> Pet:
        pet = await self.add(
            Pet(owner_id=owner.user.id, name="Rex", species="dog", birth_date=date(2020, 5, 17))
        )
        await self.add(PetOwnership(pet_id=pet.id, user_id=owner.user.id))
        for co_owner in co_owners:
            await self.add(
                PetOwnership(pet_id=pet.id, user_id=co_owner.user.id, role=OwnershipRole.CO_OWNER)
            )
        return pet

    async def staff(self, clinic: Clinic, role: StaffRole = StaffRole.RECEPTIONIST) -> Person:
        user = await self.user(UserRole(role.value))
        await self.add(ClinicMembership(clinic_id=clinic.id, user_id=user.id, role=role))
        return Person(
            user, Actor(role=UserRole(role.value), user_id=user.id, memberships={clinic.id: role})
        )

    async def appointment(
        self,
        *,
        vet: Veterinarian,
        clinic: Clinic,
        pet: Pet,
        starts_at: datetime,
        minutes: int = 30,
        status: AppointmentStatus = AppointmentStatus.SCHEDULED,
        booked_by: User | None = None,
    ) -> Appointment:
        """An appointment written directly (setup), bypassing the booking service."""
        values: dict[str, Any] = {}
        if status is AppointmentStatus.CANCELLED:
            values["cancelled_at"] = starts_at - timedelta(days=1)
        if status is AppointmentStatus.COMPLETED:
            values["completed_at"] = starts_at + timedelta(minutes=minutes)
        return await self.add(
            Appointment(
                pet_id=pet.id,
                booked_by_id=booked_by.id if booked_by else pet.owner_id,
                veterinarian_id=vet.id,
                clinic_id=clinic.id,
                service_type=ServiceType.WELLNESS_EXAM,
                status=status,
                starts_at=starts_at,
                ends_at=starts_at + timedelta(minutes=minutes),
                **values,
            )
        )

    async def hold(
        self,
        *,
        vet: Veterinarian,
        clinic: Clinic,
        holder: User,
        starts_at: datetime,
        expires_at: datetime,
        minutes: int = 30,
        status: HoldStatus = HoldStatus.ACTIVE,
    ) -> AppointmentHold:
        return await self.add(
            AppointmentHold(
                veterinarian_id=vet.id,
                clinic_id=clinic.id,
                held_by_id=holder.id,
                starts_at=starts_at,
                ends_at=starts_at + timedelta(minutes=minutes),
                # The CHECK wants expiry after the row's (real) creation time.
                expires_at=max(expires_at, datetime.now(UTC) + timedelta(seconds=1)),
                status=status,
            )
        )


@dataclass
class Practice:
    """One clinic, one veterinarian, an owner with a pet, another owner with another pet, and a
    receptionist: enough to tell "mine", "someone else's" and "staff" apart."""

    clinic: Clinic
    vet: Veterinarian
    owner: Person
    pet: Pet
    other_owner: Person
    other_pet: Pet
    receptionist: Person


async def make_practice(build: Builder, *, timezone: str = "America/New_York") -> Practice:
    clinic = await build.clinic(timezone=timezone)
    vet = await build.veterinarian(clinic)
    owner = await build.owner()
    other_owner = await build.owner()
    return Practice(
        clinic=clinic,
        vet=vet,
        owner=owner,
        pet=await build.pet(owner),
        other_owner=other_owner,
        other_pet=await build.pet(other_owner),
        receptionist=await build.staff(clinic),
    )
