"""Schemas of veterinarians, their weekly availability per clinic and their time off."""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal
from typing import Annotated, ClassVar
from uuid import UUID

from pydantic import Field, model_validator

from vet_core.models.enums import Species
from vet_core.schemas.base import (
    AwareDatetime,
    CreateSchema,
    EntityResponse,
    IsoWeekday,
    LongText,
    UpdateSchema,
)

LicenseNumber = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9./ -]+$")]
LicenseState = Annotated[str, Field(min_length=1, max_length=64)]
Specialization = Annotated[str, Field(min_length=1, max_length=64)]
#: Minutes of a default appointment, as the database allows (5 minutes to 8 hours).
AppointmentMinutes = Annotated[int, Field(ge=5, le=480)]


def _no_duplicates(values: list[str] | list[Species] | None, field: str) -> None:
    if values is not None and len(set(values)) != len(values):
        raise ValueError(f"{field} must not contain duplicates")


class VeterinarianCreate(CreateSchema):
    """The professional profile of a user who is a veterinarian."""

    user_id: UUID
    license_number: LicenseNumber
    license_state: LicenseState
    license_expires_on: date | None = None
    specializations: list[Specialization] = Field(default_factory=list, max_length=30)
    species_expertise: list[Species] = Field(default_factory=list)
    bio: LongText | None = None
    default_appointment_minutes: AppointmentMinutes = 30
    accepts_new_patients: bool = True

    @model_validator(mode="after")
    def _unique_lists(self) -> VeterinarianCreate:
        _no_duplicates(self.specializations, "specializations")
        _no_duplicates(self.species_expertise, "species_expertise")
        return self


class VeterinarianUpdate(UpdateSchema):
    """A partial change to a veterinarian's profile."""

    NULLABLE_FIELDS: ClassVar[frozenset[str]] = frozenset({"license_expires_on", "bio"})

    license_number: LicenseNumber | None = None
    license_state: LicenseState | None = None
    license_expires_on: date | None = None
    specializations: list[Specialization] | None = Field(default=None, max_length=30)
    species_expertise: list[Species] | None = None
    bio: LongText | None = None
    default_appointment_minutes: AppointmentMinutes | None = None
    accepts_new_patients: bool | None = None

    @model_validator(mode="after")
    def _unique_lists(self) -> VeterinarianUpdate:
        _no_duplicates(self.specializations, "specializations")
        _no_duplicates(self.species_expertise, "species_expertise")
        return self


class VeterinarianResponse(EntityResponse):
    """A veterinarian's public profile."""

    user_id: UUID
    license_number: str
    license_state: str
    license_expires_on: date | None
    specializations: list[str]
    species_expertise: list[Species]
    bio: str | None
    default_appointment_minutes: int
    accepts_new_patients: bool
    rating_average: Decimal | None
    review_count: int


def _check_rule(effective_from: date | None, effective_until: date | None) -> None:
    # Any two times make a rule: ends_at_local <= starts_at_local is a night shift ending the
    # next day and equal times a 24-hour shift (the rule of vet_core.utils.business_hours).
    if effective_from and effective_until and effective_until < effective_from:
        raise ValueError("effective_until must not be before effective_from")


class VeterinarianAvailabilityCreate(CreateSchema):
    """A weekly rule in the clinic's local time: ISO weekday, start and end.

    ``ends_at_local <= starts_at_local`` ends the next day (a ``22:00–06:00`` night shift), and
    equal times are a 24-hour shift; the rule belongs to the weekday it starts on.
    """

    clinic_id: UUID
    weekday: IsoWeekday
    starts_at_local: time
    ends_at_local: time
    effective_from: date | None = None
    effective_until: date | None = None

    @model_validator(mode="after")
    def _consistent(self) -> VeterinarianAvailabilityCreate:
        _check_rule(self.effective_from, self.effective_until)
        return self


class VeterinarianAvailabilityUpdate(UpdateSchema):
    """A partial change to a weekly rule; the service re-checks the merged row."""

    NULLABLE_FIELDS: ClassVar[frozenset[str]] = frozenset({"effective_until"})

    weekday: IsoWeekday | None = None
    starts_at_local: time | None = None
    ends_at_local: time | None = None
    effective_from: date | None = None
    effective_until: date | None = None

    @model_validator(mode="after")
    def _consistent(self) -> VeterinarianAvailabilityUpdate:
        _check_rule(self.effective_from, self.effective_until)
        return self


class VeterinarianAvailabilityResponse(EntityResponse):
    """A weekly availability rule."""

    veterinarian_id: UUID
    clinic_id: UUID
    weekday: int
    starts_at_local: time
    ends_at_local: time
    effective_from: date
    effective_until: date | None


class VeterinarianTimeOffCreate(CreateSchema):
    """An absolute interval in which the veterinarian takes no appointments."""

    starts_at: AwareDatetime
    ends_at: AwareDatetime
    reason: Annotated[str, Field(max_length=200)] | None = None

    @model_validator(mode="after")
    def _ordered(self) -> VeterinarianTimeOffCreate:
        if self.ends_at <= self.starts_at:
            raise ValueError("ends_at must be after starts_at")
        return self


class VeterinarianTimeOffUpdate(UpdateSchema):
    """Move or annotate time off."""

    NULLABLE_FIELDS: ClassVar[frozenset[str]] = frozenset({"reason"})

    starts_at: AwareDatetime | None = None
    ends_at: AwareDatetime | None = None
    reason: Annotated[str, Field(max_length=200)] | None = None

    @model_validator(mode="after")
    def _ordered(self) -> VeterinarianTimeOffUpdate:
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            raise ValueError("ends_at must be after starts_at")
        return self


class VeterinarianTimeOffResponse(EntityResponse):
    """Time off of a veterinarian."""

    veterinarian_id: UUID
    starts_at: datetime
    ends_at: datetime
    reason: str | None


__all__ = [
    "VeterinarianAvailabilityCreate",
    "VeterinarianAvailabilityResponse",
    "VeterinarianAvailabilityUpdate",
    "VeterinarianCreate",
    "VeterinarianResponse",
    "VeterinarianTimeOffCreate",
    "VeterinarianTimeOffResponse",
    "VeterinarianTimeOffUpdate",
    "VeterinarianUpdate",
]
