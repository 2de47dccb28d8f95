"""Rows the follow-up, periodic and export task tests start from (committed by the tests)."""

from __future__ import annotations

import io
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from PIL import Image
from sqlalchemy.ext.asyncio import AsyncSession

from vet_core.models import (
    Appointment,
    Clinic,
    ClinicMembership,
    Order,
    OrderItem,
    Payment,
    Pet,
    PetOwnership,
    User,
    Veterinarian,
)
from vet_core.models.enums import (
    AppointmentStatus,
    OrderStatus,
    PaymentStatus,
    ServiceType,
    StaffRole,
    UserRole,
)


def _tag() -> str:
    return uuid.uuid4().hex[:12]


@dataclass
class Practice:
    """A clinic with a veterinarian and a receptionist, and an owner with a dog."""

    clinic: Clinic
    vet: Veterinarian
    vet_user: User
    receptionist: User
    owner: User
    pet: Pet


async def _user(session: AsyncSession, kind: str, role: UserRole) -> User:
    tag = _tag()
    user = User(
        clerk_user_id=f"user_{tag}",
        email=f"{kind}-{tag}@example.com",
        first_name=kind.capitalize(),
        last_name=f"Rivera {tag}",
        role=role,
    )
    session.add(user)
    await session.flush()
    return user


async def practice(session: AsyncSession, *, timezone: str = "America/New_York") -> Practice:
    clinic = Clinic(
        name="Riverside Animal Hospital",
        slug=f"riverside-{_tag()}",
        address_line1="1 River Road",
        city="Springfield",
        country_code="US",
        timezone=timezone,
        latitude=40.7,
        longitude=-74.0,
        is_open_24h=True,
    )
    session.add(clinic)
    await session.flush()
    vet_user = await _user(session, "vet", UserRole.VETERINARIAN)
    receptionist = await _user(session, "desk", UserRole.RECEPTIONIST)
    owner = await _user(session, "owner", UserRole.PET_OWNER)
    vet = Veterinarian(user_id=vet_user.id, license_number=f"LIC-{_tag()}", license_state="NY")
    session.add(vet)
    for user, role in ((vet_user, StaffRole.VETERINARIAN), (receptionist, StaffRole.RECEPTIONIST)):
        session.add(ClinicMembership(clinic_id=clinic.id, user_id=user.id, role=role))
    pet = Pet(owner_id=owner.id, name="Rex", species="dog", birth_date=date(2020, 5, 17))
    session.add(pet)
    await session.flush()
    session.add(PetOwnership(pet_id=pet.id, user_id=owner.id))
    await session.flush()
    return Practice(clinic, vet, vet_user, receptionist, owner, pet)


async def appointment(
    session: AsyncSession,
    at: Practice,
    starts_at: datetime,
    *,
    status: AppointmentStatus = AppointmentStatus.SCHEDULED,
    minutes: int = 30,
) -> Appointment:
    visit = Appointment(
        pet_id=at.pet.id,
        booked_by_id=at.owner.id,
        veterinarian_id=at.vet.id,
        clinic_id=at.clinic.id,
        service_type=ServiceType.WELLNESS_EXAM,
        status=status,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=minutes),
    )
    session.add(visit)
    await session.flush()
    return visit


async def paid_order(session: AsyncSession, at: Practice) -> tuple[Order, Payment]:
    """An order of two bags of kibble (54.00 USD with tax), paid."""
    order = Order(
        user_id=at.owner.id,
        clinic_id=at.clinic.id,
        status=OrderStatus.PAID,
        currency="USD",
        subtotal_amount=5_000,
        tax_amount=400,
        total_amount=5_400,
    )
    session.add(order)
    await session.flush()
    session.add(
        OrderItem(
            order_id=order.id,
            name="Salmon Kibble 2kg",
            unit_amount=2_500,
            quantity=2,
            total_amount=5_000,
        )
    )
    payment = Payment(
        user_id=at.owner.id,
        order_id=order.id,
        amount=5_400,
        currency="USD",
        status=PaymentStatus.SUCCEEDED,
    )
    session.add(payment)
    await session.flush()
    return order, payment


def jpeg_with_gps(size: tuple[int, int] = (1600, 1200), orientation: int = 6) -> bytes:
    """A photo as a phone takes it: EXIF with a GPS position and a rotation to apply."""
    image = Image.new("RGB", size, (30, 160, 60))
    image.paste((220, 20, 20), (0, 0, size[0] // 2, size[1] // 2))
    exif = Image.Exif()
    exif[0x0112] = orientation
    exif[0x010F] = "PhoneMaker"
    gps = exif.get_ifd(0x8825)
    gps[1] = "N"
    gps[2] = (40.0, 42.0, 46.0)
    gps[3] = "W"
    gps[4] = (74.0, 0.0, 21.0)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif.tobytes(), quality=90)
    return buffer.getvalue()
