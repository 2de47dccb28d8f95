"""Builders for the report and audit-query tests: one clinic in Los Angeles with its history.

Los Angeles (UTC-8 in January) makes the local-day arithmetic visible: 03:00 UTC on 6 January is
still 5 January in the clinic.
"""

from __future__ import annotations

import itertools
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from vet_core.models import (
    Appointment,
    AuditLog,
    Clinic,
    ClinicMembership,
    Order,
    Payment,
    Pet,
    User,
    Vaccination,
    Veterinarian,
)
from vet_core.models.enums import (
    AppointmentStatus,
    AuditAction,
    OrderStatus,
    PaymentStatus,
    PetStatus,
    ServiceType,
    Species,
    StaffRole,
    UserRole,
)
from vet_services.auth.permissions import Actor

_counter = itertools.count(1)


def _unique(prefix: str) -> str:
    return f"{prefix}-{next(_counter)}-{uuid.uuid4().hex[:6]}"


class ReportBuilder:
    """Rows of one clinic's life: staff, patients, visits, payments, vaccinations, audit."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self._next_slot = datetime(2025, 6, 1, tzinfo=UTC)

    async def add(self, row: Any) -> Any:
        self.session.add(row)
        await self.session.flush()
        return row

    async def user(self, role: UserRole = UserRole.PET_OWNER) -> User:
        return await self.add(
            User(
                clerk_user_id=_unique("user"),
                email=f"{_unique('person')}@example.com",
                first_name="Kim",
                last_name="Park",
                role=role,
            )
        )

    async def clinic(self, timezone: str = "America/Los_Angeles") -> Clinic:
        return await self.add(
            Clinic(
                name="Sunset Vets",
                slug=_unique("sunset"),
                address_line1="9 Sunset Blvd",
                city="Los Angeles",
                country_code="US",
                timezone=timezone,
                latitude=34.09,
                longitude=-118.36,
            )
        )

    async def staff(self, clinic: Clinic, role: StaffRole) -> Actor:
        user = await self.user(UserRole(role.value))
        await self.add(ClinicMembership(clinic_id=clinic.id, user_id=user.id, role=role))
        return Actor(role=UserRole(role.value), user_id=user.id, memberships={clinic.id: role})

    async def veterinarian(self, clinic: Clinic) -> Veterinarian:
        user = await self.user(UserRole.VETERINARIAN)
        await self.add(
            ClinicMembership(clinic_id=clinic.id, user_id=user.id, role=StaffRole.VETERINARIAN)
        )
        return await self.add(
            Veterinarian(user_id=user.id, license_number=_unique("L"), license_state="CA")
        )

    async def pet(self, status: PetStatus = PetStatus.ACTIVE) -> Pet:
        owner = await self.user()
        return await self.add(
            Pet(
                owner_id=owner.id,
                name="Mochi",
                species=Species.DOG,
                birth_date=date(2019, 1, 1),
                status=status,
                deceased_on=date(2025, 12, 1) if status is PetStatus.DECEASED else None,
            )
        )

    async def visit(
        self,
        clinic: Clinic,
        vet: Veterinarian,
        starts_at: datetime,
        status: AppointmentStatus = AppointmentStatus.COMPLETED,
        pet: Pet | None = None,
    ) -> Appointment:
        pet = pet or await self.pet()
        ends_at = starts_at + timedelta(minutes=30)
        return await self.add(
            Appointment(
                pet_id=pet.id,
                booked_by_id=pet.owner_id,
                veterinarian_id=vet.id,
                clinic_id=clinic.id,
                service_type=ServiceType.WELLNESS_EXAM,
                status=status,
                starts_at=starts_at,
                ends_at=ends_at,
                completed_at=ends_at if status is AppointmentStatus.COMPLETED else None,
                cancelled_at=starts_at if status is AppointmentStatus.CANCELLED else None,
            )
        )

    async def payment(
        self,
        *,
        amount: int,
        currency: str,
        paid_at: datetime,
        appointment: Appointment | None = None,
        order: Order | None = None,
        refunded: int = 0,
        status: PaymentStatus = PaymentStatus.SUCCEEDED,
    ) -> Payment:
        payer = appointment.booked_by_id if appointment else order.user_id if order else None
        assert payer is not None
        return await self.add(
            Payment(
                user_id=payer,
                appointment_id=appointment.id if appointment else None,
                order_id=order.id if order else None,
                amount=amount,
                amount_refunded=refunded,
                currency=currency,
                status=status,
                paid_at=paid_at if status is not PaymentStatus.FAILED else None,
            )
        )

    async def order(self, clinic: Clinic, currency: str) -> Order:
        buyer = await self.user()
        return await self.add(
            Order(user_id=buyer.id, clinic_id=clinic.id, currency=currency, status=OrderStatus.PAID)
        )

    async def vaccination(
        self, pet: Pet, name: str, administered: date, next_due: date | None
    ) -> Vaccination:
        return await self.add(
            Vaccination(
                pet_id=pet.id,
                vaccine_name=name,
                administered_at=datetime.combine(administered, datetime.min.time(), UTC),
                next_due_on=next_due,
            )
        )

    async def audit(
        self,
        entity_type: str,
        entity_id: uuid.UUID | None,
        *,
        at: datetime,
        actor_id: uuid.UUID | None = None,
        action: AuditAction = AuditAction.UPDATE,
        request_id: str | None = None,
    ) -> AuditLog:
        return await self.add(
            AuditLog(
                occurred_at=at,
                actor_id=actor_id,
                action=action,
                entity_type=entity_type,
                entity_id=entity_id,
                changes={"status": {"before": "a", "after": "b"}},
                request_id=request_id,
            )
        )
