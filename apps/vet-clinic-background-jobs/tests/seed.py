"""Rows the tests (and the benchmark) start from, written with the models and really committed."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from vet_core.models import Clinic, ClinicMembership, Pet, Reminder, User
from vet_core.models.enums import ReminderKind, ReminderStatus, StaffRole, UserRole
from vet_core.utils.time import utcnow


def _tag() -> str:
    return uuid.uuid4().hex[:12]


def owner(tag: str | None = None) -> User:
    tag = tag or _tag()
    return User(
        clerk_user_id=f"user_{tag}",
        email=f"owner-{tag}@example.com",
        first_name="Alex",
        last_name=f"Morgan {tag}",
        role=UserRole.PET_OWNER,
    )


async def due_reminder(
    session: AsyncSession, *, due_at: datetime | None = None, pet_name: str = "Rex"
) -> Reminder:
    """A pet's medication refill reminder due now (nothing settles it: it must be sent)."""
    person = owner()
    session.add(person)
    await session.flush()
    pet = Pet(owner_id=person.id, name=pet_name, species="dog", birth_date=date(2020, 5, 17))
    session.add(pet)
    await session.flush()
    reminder = Reminder(
        pet_id=pet.id,
        kind=ReminderKind.MEDICATION,
        title="Refill of heartworm tablets",
        due_at=due_at or utcnow() - timedelta(minutes=1),
        status=ReminderStatus.PENDING,
    )
    session.add(reminder)
    await session.flush()
    return reminder


async def clinic_with_staff(session: AsyncSession, staff: int) -> tuple[Clinic, list[User]]:
    """A clinic and ``staff`` active members who receive its alerts by e-mail."""
    tag = _tag()
    clinic = Clinic(
        name="Riverside Animal Hospital",
        slug=f"riverside-{tag}",
        address_line1="1 River Road",
        city="Springfield",
        country_code="US",
        timezone="America/New_York",
        latitude=40.7,
        longitude=-74.0,
        is_open_24h=True,
    )
    session.add(clinic)
    members = []
    for number in range(staff):
        user = User(
            clerk_user_id=f"user_{tag}_{number}",
            email=f"staff{number}-{tag}@example.com",
            first_name=f"Sam{number}",
            last_name="Rivera",
            role=UserRole.VETERINARIAN,
        )
        session.add(user)
        members.append(user)
    await session.flush()
    for user in members:
        session.add(
            ClinicMembership(clinic_id=clinic.id, user_id=user.id, role=StaffRole.VETERINARIAN)
        )
    await session.flush()
    return clinic, members
