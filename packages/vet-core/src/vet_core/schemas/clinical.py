"""Schemas of the medical record: health records (with addenda), vaccinations, prescriptions.

A health record is locked when signed; after that only an addendum (a new record of type
``addendum`` pointing at it through ``amends_id``) may add to it. The database enforces the lock;
these schemas make the addendum rule visible at the API edge.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, ClassVar
from uuid import UUID

from pydantic import Field, model_validator

from vet_core.models.enums import HealthRecordType
from vet_core.schemas.base import (
    Attachment,
    AwareDatetime,
    CreateSchema,
    EntityResponse,
    LongText,
    ShortText,
    StoredAttachment,
    UpdateSchema,
)


class HealthRecordCreate(CreateSchema):
    """A new entry of a pet's history; an addendum must name the record it amends."""

    pet_id: UUID
    record_type: HealthRecordType
    title: ShortText
    notes: LongText | None = None
    occurred_at: AwareDatetime | None = None
    follow_up_on: date | None = None
    veterinarian_id: UUID | None = None
    clinic_id: UUID | None = None
    appointment_id: UUID | None = None
    attachments: list[Attachment] = Field(default_factory=list, max_length=50)
    amends_id: UUID | None = None

    @model_validator(mode="after")
    def _addendum_iff_amends(self) -> HealthRecordCreate:
        is_addendum = self.record_type is HealthRecordType.ADDENDUM
        if is_addendum and self.amends_id is None:
            raise ValueError("an addendum must set amends_id to the record it amends")
        if not is_addendum and self.amends_id is not None:
            raise ValueError("amends_id is only for records of type addendum")
        return self


class HealthRecordUpdate(UpdateSchema):
    """Edit an unlocked record (the service refuses locked ones: add an addendum instead)."""

    NULLABLE_FIELDS: ClassVar[frozenset[str]] = frozenset(
        {"notes", "follow_up_on", "veterinarian_id", "clinic_id", "appointment_id"}
    )

    title: ShortText | None = None
    notes: LongText | None = None
    occurred_at: AwareDatetime | None = None
    follow_up_on: date | None = None
    veterinarian_id: UUID | None = None
    clinic_id: UUID | None = None
    appointment_id: UUID | None = None
    attachments: list[Attachment] | None = Field(default=None, max_length=50)


class HealthRecordResponse(EntityResponse):
    """An entry of a pet's medical history."""

    pet_id: UUID
    record_type: HealthRecordType
    title: str
    notes: str | None
    occurred_at: datetime
    follow_up_on: date | None
    veterinarian_id: UUID | None
    clinic_id: UUID | None
    appointment_id: UUID | None
    attachments: list[StoredAttachment]
    locked_at: datetime | None
    locked_by: UUID | None
    amends_id: UUID | None


class VaccinationCreate(CreateSchema):
    """A vaccine given to a pet."""

    pet_id: UUID
    health_record_id: UUID | None = None
    vaccine_name: ShortText
    manufacturer: ShortText | None = None
    lot_number: Annotated[str, Field(min_length=1, max_length=64)] | None = None
    administered_at: AwareDatetime
    administered_by_id: UUID | None = None
    clinic_id: UUID | None = None
    next_due_on: date | None = None
    notes: LongText | None = None

    @model_validator(mode="after")
    def _due_after_given(self) -> VaccinationCreate:
        if self.next_due_on is not None and self.next_due_on < self.administered_at.date():
            raise ValueError("next_due_on must not be before the vaccine was administered")
        return self


class VaccinationUpdate(UpdateSchema):
    """Correct a vaccination entry."""

    NULLABLE_FIELDS: ClassVar[frozenset[str]] = frozenset(
        {"manufacturer", "lot_number", "next_due_on", "notes", "administered_by_id"}
    )

    vaccine_name: ShortText | None = None
    manufacturer: ShortText | None = None
    lot_number: Annotated[str, Field(min_length=1, max_length=64)] | None = None
    administered_at: AwareDatetime | None = None
    administered_by_id: UUID | None = None
    next_due_on: date | None = None
    notes: LongText | None = None


class VaccinationResponse(EntityResponse):
    """A vaccination."""

    pet_id: UUID
    health_record_id: UUID | None
    vaccine_name: str
    manufacturer: str | None
    lot_number: str | None
    administered_at: datetime
    administered_by_id: UUID | None
    clinic_id: UUID | None
    next_due_on: date | None
    notes: str | None


Quantity = Annotated[Decimal, Field(gt=0, max_digits=10, decimal_places=2, allow_inf_nan=False)]
Refills = Annotated[int, Field(ge=0, le=99)]


class PrescriptionCreate(CreateSchema):
    """A medication prescribed to a pet."""

    pet_id: UUID
    appointment_id: UUID | None = None
    medication_name: ShortText
    dosage: Annotated[str, Field(min_length=1, max_length=100)]
    frequency: Annotated[str, Field(min_length=1, max_length=100)]
    route: Annotated[str, Field(min_length=1, max_length=50)] | None = None
    quantity: Quantity | None = None
    refills_allowed: Refills = 0
    instructions: LongText | None = None
    valid_until: date | None = None


class PrescriptionUpdate(UpdateSchema):
    """Record a refill, change instructions, or discontinue."""

    NULLABLE_FIELDS: ClassVar[frozenset[str]] = frozenset(
        {"route", "quantity", "instructions", "valid_until", "discontinued_at"}
    )

    dosage: Annotated[str, Field(min_length=1, max_length=100)] | None = None
    frequency: Annotated[str, Field(min_length=1, max_length=100)] | None = None
    route: Annotated[str, Field(min_length=1, max_length=50)] | None = None
    quantity: Quantity | None = None
    refills_allowed: Refills | None = None
    refills_used: Refills | None = None
    instructions: LongText | None = None
    valid_until: date | None = None
    discontinued_at: AwareDatetime | None = None

    @model_validator(mode="after")
    def _refills(self) -> PrescriptionUpdate:
        if (
            self.refills_used is not None
            and self.refills_allowed is not None
            and self.refills_used > self.refills_allowed
        ):
            raise ValueError("refills_used must not exceed refills_allowed")
        return self


class PrescriptionResponse(EntityResponse):
    """A prescription."""

    pet_id: UUID
    prescribed_by_id: UUID
    appointment_id: UUID | None
    medication_name: str
    dosage: str
    frequency: str
    route: str | None
    quantity: Decimal | None
    refills_allowed: int
    refills_used: int
    instructions: str | None
    prescribed_at: datetime
    valid_until: date | None
    discontinued_at: datetime | None


__all__ = [
    "HealthRecordCreate",
    "HealthRecordResponse",
    "HealthRecordUpdate",
    "PrescriptionCreate",
    "PrescriptionResponse",
    "PrescriptionUpdate",
    "VaccinationCreate",
    "VaccinationResponse",
    "VaccinationUpdate",
]
