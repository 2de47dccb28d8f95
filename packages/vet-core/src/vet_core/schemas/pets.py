"""Schemas of pets, their ownership (and transfers) and weight history."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Annotated, ClassVar
from uuid import UUID

from pydantic import Field, model_validator

from vet_core.models.enums import (
    OwnershipEndReason,
    OwnershipRole,
    PetSex,
    PetSizeCategory,
    PetStatus,
    Species,
)
from vet_core.schemas.base import (
    AwareDatetime,
    CreateSchema,
    EntityResponse,
    LongText,
    Microchip,
    UpdateSchema,
)
from vet_core.utils.pets import MAX_APPROXIMATE_AGE_YEARS
from vet_core.utils.time import utcnow

#: A pet's name: any characters (pets are called "R2D2"), trimmed, 1–100 long.
PetName = Annotated[str, Field(min_length=1, max_length=100)]
Descriptor = Annotated[str, Field(min_length=1, max_length=100)]
ApproximateYears = Annotated[int, Field(ge=0, le=MAX_APPROXIMATE_AGE_YEARS)]
ApproximateMonths = Annotated[int, Field(ge=0, le=11)]
#: Kilograms with gram precision (``Numeric(7, 3)``), strictly positive.
WeightKg = Annotated[Decimal, Field(gt=0, max_digits=7, decimal_places=3, allow_inf_nan=False)]
#: A storage key of an uploaded photo (see the files schemas).
StorageKey = Annotated[str, Field(min_length=1, max_length=512)]


def _check_not_future(value: date | None, field: str) -> None:
    # A day of slack: "today" differs between the client's timezone and UTC.
    if value is not None and value > (utcnow() + timedelta(days=1)).date():
        raise ValueError(f"{field} must not be in the future")


class PetCreate(CreateSchema):
    """A new pet. Give ``birth_date`` or an approximate age (years and/or months).

    ``owner_id`` defaults to the caller in the service; staff registering a pet for an owner set
    it explicitly.
    """

    owner_id: UUID | None = None
    name: PetName
    species: Species
    breed: Descriptor | None = None
    is_mixed_breed: bool = False
    sex: PetSex = PetSex.UNKNOWN
    is_neutered: bool | None = None
    birth_date: date | None = None
    approximate_age_years: ApproximateYears | None = None
    approximate_age_months: ApproximateMonths | None = None
    age_estimated_on: date | None = None
    color: Descriptor | None = None
    microchip: Microchip | None = None
    size_category: PetSizeCategory | None = None
    photo_keys: list[StorageKey] = Field(default_factory=list, max_length=20)
    allergies: LongText | None = None
    notes: LongText | None = None

    @model_validator(mode="after")
    def _age_known(self) -> PetCreate:
        approximate = (
            self.approximate_age_years is not None or self.approximate_age_months is not None
        )
        if self.birth_date is None and not approximate:
            raise ValueError("give birth_date or an approximate age (approximate_age_years/months)")
        if self.birth_date is not None and approximate:
            raise ValueError("give birth_date or an approximate age, not both")
        _check_not_future(self.birth_date, "birth_date")
        return self


class PetUpdate(UpdateSchema):
    """A partial change to a pet. Marking a pet deceased needs ``deceased_on`` in the same update."""

    NULLABLE_FIELDS: ClassVar[frozenset[str]] = frozenset(
        {
            "breed",
            "is_neutered",
            "birth_date",
            "approximate_age_years",
            "approximate_age_months",
            "age_estimated_on",
            "color",
            "microchip",
            "size_category",
            "deceased_on",
            "allergies",
            "notes",
        }
    )

    name: PetName | None = None
    species: Species | None = None
    breed: Descriptor | None = None
    is_mixed_breed: bool | None = None
    sex: PetSex | None = None
    is_neutered: bool | None = None
    birth_date: date | None = None
    approximate_age_years: ApproximateYears | None = None
    approximate_age_months: ApproximateMonths | None = None
    age_estimated_on: date | None = None
    color: Descriptor | None = None
    microchip: Microchip | None = None
    size_category: PetSizeCategory | None = None
    status: PetStatus | None = None
    deceased_on: date | None = None
    photo_keys: list[StorageKey] | None = Field(default=None, max_length=20)
    allergies: LongText | None = None
    notes: LongText | None = None

    @model_validator(mode="after")
    def _deceased_consistent(self) -> PetUpdate:
        fields = self.model_fields_set
        if self.status is PetStatus.DECEASED and self.deceased_on is None:
            raise ValueError("deceased_on is required when status is deceased")
        if "status" in fields and self.status is not PetStatus.DECEASED and self.deceased_on:
            raise ValueError("deceased_on may only be set when status is deceased")
        if "status" not in fields and self.deceased_on is not None:
            raise ValueError("set status to deceased together with deceased_on")
        _check_not_future(self.birth_date, "birth_date")
        _check_not_future(self.deceased_on, "deceased_on")
        return self


class PetResponse(EntityResponse):
    """A pet as its owners and the clinic's staff see it."""

    owner_id: UUID
    name: str
    species: Species
    breed: str | None
    is_mixed_breed: bool
    sex: PetSex
    is_neutered: bool | None
    birth_date: date | None
    approximate_age_years: int | None
    approximate_age_months: int | None
    age_estimated_on: date | None
    color: str | None
    microchip: str | None
    size_category: PetSizeCategory | None
    status: PetStatus
    deceased_on: date | None
    photo_keys: list[str]
    allergies: str | None
    notes: str | None


class PetOwnershipCreate(CreateSchema):
    """Add a co-owner to a pet."""

    user_id: UUID
    role: OwnershipRole = OwnershipRole.CO_OWNER


class PetTransferCreate(CreateSchema):
    """Transfer a pet to a new primary owner; the current ownership ends as ``transferred``."""

    new_owner_id: UUID
    transfer_note: LongText | None = None


class PetOwnershipUpdate(UpdateSchema):
    """End an ownership (with a reason) or change its role."""

    role: OwnershipRole | None = None
    end_reason: OwnershipEndReason | None = None
    transfer_note: LongText | None = None


class PetOwnershipResponse(EntityResponse):
    """One (co-)ownership of a pet; ended rows are the transfer history."""

    pet_id: UUID
    user_id: UUID
    role: OwnershipRole
    started_at: datetime
    ended_at: datetime | None
    end_reason: OwnershipEndReason | None
    transfer_note: str | None


class WeightRecordCreate(CreateSchema):
    """A weighing; ``measured_at`` defaults to now in the service."""

    weight_kg: WeightKg
    measured_at: AwareDatetime | None = None
    note: Annotated[str, Field(max_length=500)] | None = None


class WeightRecordUpdate(UpdateSchema):
    """Correct a weighing."""

    NULLABLE_FIELDS: ClassVar[frozenset[str]] = frozenset({"note"})

    weight_kg: WeightKg | None = None
    measured_at: AwareDatetime | None = None
    note: Annotated[str, Field(max_length=500)] | None = None


class WeightRecordResponse(EntityResponse):
    """One weighing of a pet."""

    pet_id: UUID
    weight_kg: Decimal
    measured_at: datetime
    recorded_by_id: UUID | None
    note: str | None


__all__ = [
    "PetCreate",
    "PetOwnershipCreate",
    "PetOwnershipResponse",
    "PetOwnershipUpdate",
    "PetResponse",
    "PetTransferCreate",
    "PetUpdate",
    "WeightRecordCreate",
    "WeightRecordResponse",
    "WeightRecordUpdate",
]
