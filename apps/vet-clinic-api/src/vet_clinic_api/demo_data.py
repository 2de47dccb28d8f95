"""Realistic demo data for the development stack (idempotent: loaded once per database).

Three clinics in three timezones with opening hours and staff (the emergency clinic also opens
every night, 18:00-08:00, with a veterinarian on 22:00-06:00 night shifts), veterinarians with
weekly rules, owners with pets and vaccinations, and a week of appointments around today.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from vet_core.models.clinical import Vaccination
from vet_core.models.clinics import Clinic, ClinicMembership, ClinicOperatingHours
from vet_core.models.enums import (
    AppointmentStatus,
    ClinicStatus,
    ClinicType,
    MembershipStatus,
    OwnershipRole,
    PetSex,
    ServiceType,
    Species,
    StaffRole,
    UserRole,
)
from vet_core.models.identity import User
from vet_core.models.pets import Pet, PetOwnership
from vet_core.models.scheduling import Appointment
from vet_core.models.veterinarians import Veterinarian, VeterinarianAvailability

ADMIN_CLERK_ID = "dev_platform_admin"

CLINICS = [
    ("Hudson Animal Hospital", "New York", "US", "America/New_York", 40.7306, -73.9866, False),
    ("Bay Emergency Vets", "San Francisco", "US", "America/Los_Angeles", 37.7749, -122.4194, True),
    ("Thames Veterinary Practice", "London", "GB", "Europe/London", 51.5072, -0.1276, False),
]
PETS = [
    ("Biscuit", Species.DOG, "Labrador Retriever"),
    ("Miso", Species.CAT, "Domestic Shorthair"),
    ("Pepper", Species.DOG, "Border Collie"),
    ("Juniper", Species.RABBIT, "Holland Lop"),
    ("Olive", Species.CAT, "Maine Coon"),
    ("Rocket", Species.DOG, "Whippet"),
    ("Kiwi", Species.BIRD, "Budgerigar"),
    ("Noodle", Species.DOG, "Dachshund"),
]


@dataclass
class DemoPeople:
    """The accounts the dev command prints tokens for, by role."""

    by_role: dict[str, User] = field(default_factory=dict)


def _user(clerk_id: str, email: str, first: str, last: str, role: UserRole, tz: str) -> User:
    return User(
        clerk_user_id=clerk_id,
        email=email,
        first_name=first,
        last_name=last,
        role=role,
        preferences={"timezone": tz, "language": "en", "notification_channels": ["email"]},
    )


async def demo_people(session: AsyncSession) -> DemoPeople:
    """One account per role from the demo data (empty when it is not loaded)."""
    rows = await session.scalars(select(User).where(User.clerk_user_id.like("dev_%")))
    people = DemoPeople()
    for user in rows:
        people.by_role.setdefault(user.role.value, user)
    return people


def _opening_hours(clinic_id: uuid.UUID, *, emergency: bool) -> list[ClinicOperatingHours]:
    """Weekdays 08:00-18:00 with lunch, Saturday mornings; the emergency clinic also opens every
    night, 18:00 until 08:00 the next morning."""
    days = [
        ClinicOperatingHours(
            clinic_id=clinic_id,
            weekday=weekday,
            opens_at=time(8) if weekday < 6 else time(9),
            closes_at=time(18) if weekday < 6 else time(13),
            breaks=[{"start": "12:00:00", "end": "13:00:00"}] if weekday < 6 else [],
        )
        for weekday in range(1, 7)
    ]
    nights = [
        ClinicOperatingHours(
            clinic_id=clinic_id, weekday=weekday, opens_at=time(18), closes_at=time(8), breaks=[]
        )
        for weekday in range(1, 8)
        if emergency
    ]
    return days + nights


def _works_nights(*, emergency: bool, vet_number: int) -> bool:
    """At the emergency clinic the second veterinarian works nights."""
    return emergency and vet_number == 1


def _weekly_rules(
    vet_id: uuid.UUID, clinic_id: uuid.UUID, *, emergency: bool, vet_number: int, since: date
) -> list[VeterinarianAvailability]:
    """Monday to Friday, by day, or 22:00 until 06:00 the next morning for a night vet."""
    if _works_nights(emergency=emergency, vet_number=vet_number):
        starts, ends = time(22), time(6)
    else:
        starts, ends = (time(9) if vet_number == 0 else time(8)), time(17)
    return [
        VeterinarianAvailability(
            veterinarian_id=vet_id,
            clinic_id=clinic_id,
            weekday=weekday,
            starts_at_local=starts,
            ends_at_local=ends,
            effective_from=since,
        )
        for weekday in range(1, 6)
    ]


def _visit_half_hours(*, emergency: bool, vet_number: int) -> range:
    """The local half hours (from midnight) demo appointments start in: 09:00-16:00, or the
    night shift's hours before midnight."""
    if _works_nights(emergency=emergency, vet_number=vet_number):
        return range(22 * 2, 24 * 2)
    return range(9 * 2, 16 * 2)


async def load_demo_data(session: AsyncSession, *, today: date | None = None) -> bool:
    """Insert the demo data unless it is there already; returns whether it was loaded."""
    exists = await session.scalar(select(User.id).where(User.clerk_user_id == ADMIN_CLERK_ID))
    if exists is not None:
        return False
    rng = random.Random(20261123)  # noqa: S311 - demo data, not security
    today = today or datetime.now(UTC).date()
    session.add(
        _user(ADMIN_CLERK_ID, "admin@demo.vet", "Pat", "Admin", UserRole.PLATFORM_ADMIN, "UTC")
    )

    owners = [
        _user(
            f"dev_owner_{n}",
            f"owner{n}@demo.vet",
            first,
            last,
            UserRole.PET_OWNER,
            CLINICS[n % len(CLINICS)][3],
        )
        for n, (first, last) in enumerate(
            [("Alex", "Rivera"), ("Sam", "Okafor"), ("Mia", "Chen"), ("Leo", "Novak")]
        )
    ]
    session.add_all(owners)

    vets: list[tuple[Veterinarian, Clinic]] = []
    for index, (name, city, country, tz, lat, lng, emergency) in enumerate(CLINICS):
        clinic = Clinic(
            name=name,
            slug=name.lower().replace(" ", "-"),
            clinic_type=ClinicType.EMERGENCY if emergency else ClinicType.GENERAL_PRACTICE,
            status=ClinicStatus.ACTIVE,
            address_line1=f"{100 + index} Main Street",
            city=city,
            country_code=country,
            timezone=tz,
            latitude=lat,
            longitude=lng,
            phone=["+12125550100", "+14155550100", "+442079460000"][index],
            services=["wellness_exam", "vaccination", "dental", "surgery"]
            + (["emergency"] if emergency else []),
            accepts_emergencies=emergency,
        )
        session.add(clinic)
        await session.flush()
        session.add_all(_opening_hours(clinic.id, emergency=emergency))
        admin = _user(
            f"dev_clinic_admin_{index}",
            f"admin{index}@demo.vet",
            "Casey",
            f"Manager{index}",
            UserRole.CLINIC_ADMIN,
            tz,
        )
        receptionist = _user(
            f"dev_receptionist_{index}",
            f"front{index}@demo.vet",
            "Robin",
            f"Desk{index}",
            UserRole.RECEPTIONIST,
            tz,
        )
        tech = _user(
            f"dev_vet_tech_{index}",
            f"tech{index}@demo.vet",
            "Jo",
            f"Tech{index}",
            UserRole.VET_TECH,
            tz,
        )
        session.add_all([admin, receptionist, tech])
        for vet_number in range(2):
            person = _user(
                f"dev_veterinarian_{index}_{vet_number}",
                f"vet{index}{vet_number}@demo.vet",
                ["Morgan", "Avery"][vet_number],
                f"Herriot{index}",
                UserRole.VETERINARIAN,
                tz,
            )
            session.add(person)
            await session.flush()
            vet = Veterinarian(
                user_id=person.id,
                license_number=f"DEMO-{index}{vet_number}-{uuid.uuid4().hex[:6].upper()}",
                license_state=city,
                specializations=["general practice"],
                species_expertise=["dog", "cat"] + (["rabbit", "bird"] if vet_number else []),
                default_appointment_minutes=30,
            )
            session.add(vet)
            await session.flush()
            vets.append((vet, clinic))
            session.add(
                ClinicMembership(
                    user_id=person.id,
                    clinic_id=clinic.id,
                    role=StaffRole.VETERINARIAN,
                    status=MembershipStatus.ACTIVE,
                )
            )
            session.add_all(
                _weekly_rules(
                    vet.id,
                    clinic.id,
                    emergency=emergency,
                    vet_number=vet_number,
                    since=today - timedelta(days=30),
                )
            )
        await session.flush()
        for person, role in (
            (admin, StaffRole.CLINIC_ADMIN),
            (receptionist, StaffRole.RECEPTIONIST),
            (tech, StaffRole.VET_TECH),
        ):
            session.add(
                ClinicMembership(
                    user_id=person.id,
                    clinic_id=clinic.id,
                    role=role,
                    status=MembershipStatus.ACTIVE,
                )
            )

    await session.flush()
    pets: list[tuple[Pet, User]] = []
    for number, (name, species, breed) in enumerate(PETS):
        owner = owners[number % len(owners)]
        pet = Pet(
            owner_id=owner.id,
            name=name,
            species=species,
            breed=breed,
            sex=PetSex.FEMALE if number % 2 else PetSex.MALE,
            is_neutered=bool(number % 3),
            birth_date=today - timedelta(days=365 * (1 + number % 9) + 40 * number),
            microchip=f"9851{number:011d}",
        )
        session.add(pet)
        await session.flush()
        session.add(PetOwnership(pet_id=pet.id, user_id=owner.id, role=OwnershipRole.PRIMARY))
        pets.append((pet, owner))

    for number, (pet, _owner) in enumerate(pets):
        vet, clinic = vets[(number * 2) % len(vets)]
        given = datetime.combine(today - timedelta(days=340 + 7 * number), time(10), tzinfo=UTC)
        session.add(
            Vaccination(
                pet_id=pet.id,
                vaccine_name="Rabies" if pet.species is Species.DOG else "Core combination",
                lot_number=f"LOT{number:04d}",
                administered_at=given,
                administered_by_id=vet.id,
                clinic_id=clinic.id,
                next_due_on=(given + timedelta(days=365)).date(),
            )
        )

    # A week of appointments, from three days ago to four days ahead, in each clinic's hours.
    for day_offset in range(-3, 5):
        day = today + timedelta(days=day_offset)
        if day.isoweekday() > 5:
            continue
        for vet_index, (vet, clinic) in enumerate(vets):
            zone = ZoneInfo(clinic.timezone)
            for slot in rng.sample(
                _visit_half_hours(emergency=clinic.accepts_emergencies, vet_number=vet_index % 2), 3
            ):
                pet, owner = pets[(slot + vet_index) % len(pets)]
                local = datetime.combine(day, time(slot // 2, 30 * (slot % 2)), tzinfo=zone)
                starts = local.astimezone(UTC)
                past = day_offset < 0
                status = AppointmentStatus.COMPLETED if past else AppointmentStatus.CONFIRMED
                session.add(
                    Appointment(
                        pet_id=pet.id,
                        booked_by_id=owner.id,
                        veterinarian_id=vet.id,
                        clinic_id=clinic.id,
                        service_type=rng.choice(
                            [
                                ServiceType.WELLNESS_EXAM,
                                ServiceType.VACCINATION,
                                ServiceType.SICK_VISIT,
                            ]
                        ),
                        status=status,
                        starts_at=starts,
                        ends_at=starts + timedelta(minutes=30),
                        price=Decimal("65.00"),
                        currency="GBP" if clinic.country_code == "GB" else "USD",
                        reason="Routine visit",
                        completed_at=starts + timedelta(minutes=30) if past else None,
                    )
                )
    await session.flush()
    return True
