"""Test data of the storage tests: sample files (PNG, PDF, a phone JPEG with GPS) and a pet with
its owner, its clinic's staff and outsiders."""

from __future__ import annotations

import hashlib
import io
import itertools
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from PIL import Image
from sqlalchemy.ext.asyncio import AsyncSession

from vet_core.models import (
    Appointment,
    Clinic,
    ClinicMembership,
    HealthRecord,
    Pet,
    PetOwnership,
    User,
    Veterinarian,
)
from vet_core.models.enums import (
    AppointmentStatus,
    HealthRecordType,
    OwnershipRole,
    ServiceType,
    Species,
    StaffRole,
    UserRole,
)
from vet_services.auth.permissions import Actor

_counter = itertools.count(1)


def _unique(prefix: str) -> str:
    return f"{prefix}-{next(_counter)}-{uuid.uuid4().hex[:6]}"


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def png_bytes(size: tuple[int, int] = (64, 48), color: str = "orange") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, "PNG")
    return buffer.getvalue()


def pdf_bytes() -> bytes:
    return (
        b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
        b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
    )


def jpeg_with_gps(size: tuple[int, int] = (1600, 1200), orientation: int = 6) -> bytes:
    """A phone-style JPEG: GPS position in EXIF and an orientation tag (6 = rotate 90° CW)."""
    image = Image.new("RGB", size, "white")
    image.paste((200, 30, 30), (0, 0, size[0] // 2, size[1] // 2))  # red top-left quadrant
    exif = Image.Exif()
    exif[0x0112] = orientation
    exif[0x010F] = "PhoneMaker"
    gps = exif.get_ifd(0x8825)
    gps[1] = "N"
    gps[2] = (40.0, 44.0, 54.36)
    gps[3] = "W"
    gps[4] = (73.0, 59.0, 8.36)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif.tobytes(), quality=90)
    return buffer.getvalue()


@dataclass(frozen=True)
class PetCase:
    """A pet with its owner, a clinic that treated it, and who is who around it."""

    pet: Pet
    owner: Actor
    clinic: Clinic
    vet: Actor
    receptionist: Actor
    stranger: Actor
    other_clinic_vet: Actor
    record: HealthRecord


class StorageBuilder:
    """Rows flushed in one session."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, row: Any) -> Any:
        self.session.add(row)
        await self.session.flush()
        return row

    async def user(self, role: UserRole) -> User:
        return await self.add(
            User(
                clerk_user_id=_unique("user"),
                email=f"{_unique('person')}@example.com",
                first_name="Jo",
                last_name="Lee",
                role=role,
            )
        )

    async def clinic(self) -> Clinic:
        return await self.add(
            Clinic(
                name="Harbor Vets",
                slug=_unique("harbor"),
                address_line1="2 Quay",
                city="Portsmouth",
                country_code="US",
                timezone="America/New_York",
                latitude=43.07,
                longitude=-70.76,
            )
        )

    async def staff(self, clinic: Clinic, role: StaffRole) -> tuple[User, Actor]:
        user = await self.user(UserRole(role.value))
        await self.add(ClinicMembership(clinic_id=clinic.id, user_id=user.id, role=role))
        return user, Actor(
            role=UserRole(role.value), user_id=user.id, memberships={clinic.id: role}
        )

    async def pet_case(self) -> PetCase:
        owner = await self.user(UserRole.PET_OWNER)
        pet = await self.add(
            Pet(owner_id=owner.id, name="Pepper", species=Species.CAT, birth_date=date(2020, 5, 1))
        )
        await self.add(PetOwnership(pet_id=pet.id, user_id=owner.id, role=OwnershipRole.PRIMARY))
        clinic = await self.clinic()
        vet_user, vet = await self.staff(clinic, StaffRole.VETERINARIAN)
        _, receptionist = await self.staff(clinic, StaffRole.RECEPTIONIST)
        other_clinic = await self.clinic()
        _, other_vet = await self.staff(other_clinic, StaffRole.VETERINARIAN)
        stranger_user = await self.user(UserRole.PET_OWNER)
        vet_profile = await self.add(
            Veterinarian(user_id=vet_user.id, license_number=_unique("L"), license_state="NH")
        )
        starts = datetime(2026, 1, 5, 15, tzinfo=UTC)
        await self.add(
            Appointment(
                pet_id=pet.id,
                booked_by_id=owner.id,
                veterinarian_id=vet_profile.id,
                clinic_id=clinic.id,
                service_type=ServiceType.SICK_VISIT,
                status=AppointmentStatus.SCHEDULED,
                starts_at=starts,
                ends_at=starts.replace(hour=16),
            )
        )
        record = await self.add(
            HealthRecord(
                pet_id=pet.id,
                record_type=HealthRecordType.LAB_RESULT,
                title="Bloodwork",
                occurred_at=starts,
                clinic_id=clinic.id,
                veterinarian_id=vet_profile.id,
            )
        )
        return PetCase(
            pet=pet,
            owner=Actor(role=UserRole.PET_OWNER, user_id=owner.id),
            clinic=clinic,
            vet=vet,
            receptionist=receptionist,
            stranger=Actor(role=UserRole.PET_OWNER, user_id=stranger_user.id),
            other_clinic_vet=other_vet,
            record=record,
        )
