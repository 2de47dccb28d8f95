"""Schemas of appointments, checkout slot holds and the waitlist.

Every instant is a timezone-aware datetime (normalised to UTC); the clinic's timezone is applied
only when showing local times. Owners get :class:`AppointmentResponse`; staff get
:class:`AppointmentStaffResponse`, which adds the internal notes.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Annotated, ClassVar
from uuid import UUID

from pydantic import Field, model_validator

from vet_core.models.enums import (
    AppointmentPriority,
    AppointmentStatus,
    HoldStatus,
    ServiceType,
    WaitlistStatus,
)
from vet_core.schemas.base import (
    AwareDatetime,
    CreateSchema,
    CurrencyCode,
    EntityResponse,
    InputSchema,
    LongText,
    Money,
    UpdateSchema,
)

#: Longest single appointment (a day of surgery or hospital observation).
MAX_APPOINTMENT_LENGTH = timedelta(hours=12)
#: An idempotency key from the client: retries of one booking share it.
IdempotencyKey = Annotated[str, Field(min_length=8, max_length=128, pattern=r"^[A-Za-z0-9._:-]+$")]


def _check_window(starts_at: datetime | None, ends_at: datetime | None) -> None:
    """``ends_at`` after ``starts_at`` and the appointment no longer than a working day."""
    if starts_at is None or ends_at is None:
        return
    if ends_at <= starts_at:
        raise ValueError("ends_at must be after starts_at")
    if ends_at - starts_at > MAX_APPOINTMENT_LENGTH:
        hours = int(MAX_APPOINTMENT_LENGTH.total_seconds() // 3600)
        raise ValueError(f"an appointment may last at most {hours} hours")


class AppointmentCreate(CreateSchema):
    """A booking request. Whether the slot is free is decided by the database (exclusion).

    The price, the status and who booked are set by the service, never by the client. A held
    slot is booked with :class:`AppointmentHoldBook` instead.
    """

    pet_id: UUID
    veterinarian_id: UUID
    clinic_id: UUID
    service_type: ServiceType
    priority: AppointmentPriority = AppointmentPriority.ROUTINE
    starts_at: AwareDatetime
    ends_at: AwareDatetime | None = Field(
        default=None, description="omitted: the usual length of the service type"
    )
    reason: LongText | None = None
    notes: LongText | None = None
    idempotency_key: IdempotencyKey | None = None

    @model_validator(mode="after")
    def _window(self) -> AppointmentCreate:
        _check_window(self.starts_at, self.ends_at)
        return self


class AppointmentHoldBook(CreateSchema):
    """Book a held slot: the hold fixes the clinic, veterinarian, pet and interval."""

    service_type: ServiceType
    reason: LongText | None = None
    notes: LongText | None = None
    idempotency_key: IdempotencyKey | None = None


class AppointmentUpdate(UpdateSchema):
    """What the pet's owner (or whoever booked) may change without rescheduling.

    Moving the appointment is ``POST /appointments/{id}/reschedule``; another pet, clinic or
    veterinarian is another booking.
    """

    NULLABLE_FIELDS: ClassVar[frozenset[str]] = frozenset({"reason", "notes"})

    reason: LongText | None = None
    notes: LongText | None = Field(default=None, description="notes the owner and staff see")


class AppointmentStaffUpdate(AppointmentUpdate):
    """What staff of the appointment's clinic may change besides the owner's fields.

    ``priority``, ``internal_notes``, ``price`` and ``currency`` are for staff only: anyone
    else who sends them is refused (403).
    """

    NULLABLE_FIELDS: ClassVar[frozenset[str]] = frozenset(
        {"reason", "notes", "internal_notes", "price"}
    )

    priority: AppointmentPriority | None = None
    internal_notes: LongText | None = None
    price: Money | None = None
    currency: CurrencyCode | None = None

    #: The fields only staff may set.
    STAFF_FIELDS: ClassVar[frozenset[str]] = frozenset(
        {"priority", "internal_notes", "price", "currency"}
    )


class AppointmentStatusChange(InputSchema):
    """A status transition (check in, start, complete, no-show, cancel).

    A cancellation needs a reason; the service checks that the transition is allowed from the
    current status and stamps the matching ``*_at`` column.
    """

    status: AppointmentStatus
    cancellation_reason: LongText | None = None

    @model_validator(mode="after")
    def _reason(self) -> AppointmentStatusChange:
        if self.status is AppointmentStatus.CANCELLED and not self.cancellation_reason:
            raise ValueError("cancellation_reason is required to cancel an appointment")
        if self.status is not AppointmentStatus.CANCELLED and self.cancellation_reason:
            raise ValueError("cancellation_reason is only for cancelled appointments")
        return self


class AppointmentResponse(EntityResponse):
    """An appointment as the pet's owner sees it (no internal notes)."""

    pet_id: UUID
    booked_by_id: UUID
    veterinarian_id: UUID
    clinic_id: UUID
    service_type: ServiceType
    status: AppointmentStatus
    priority: AppointmentPriority
    starts_at: datetime
    ends_at: datetime
    price: Decimal | None
    currency: str
    reason: str | None
    notes: str | None
    checked_in_at: datetime | None
    started_at: datetime | None
    completed_at: datetime | None
    cancelled_at: datetime | None
    cancellation_reason: str | None
    rescheduled_from_id: UUID | None
    version: int


class AppointmentStaffResponse(AppointmentResponse):
    """An appointment as clinic staff see it: adds internal notes and bookkeeping."""

    internal_notes: str | None
    cancelled_by_id: UUID | None
    idempotency_key: str | None
    created_by: UUID | None
    updated_by: UUID | None


class AppointmentHoldCreate(CreateSchema):
    """Hold a slot for a few minutes during checkout.

    The hold lasts as long as ``service_type`` usually takes from ``starts_at``; how long the
    hold itself is kept is the clinic's setting.
    """

    clinic_id: UUID
    veterinarian_id: UUID
    pet_id: UUID
    service_type: ServiceType
    starts_at: AwareDatetime


class AppointmentHoldResponse(EntityResponse):
    """A held slot and when the hold lapses."""

    veterinarian_id: UUID
    clinic_id: UUID
    held_by_id: UUID
    pet_id: UUID | None
    starts_at: datetime
    ends_at: datetime
    expires_at: datetime
    status: HoldStatus
    appointment_id: UUID | None


def _check_waitlist_window(earliest_at: datetime | None, latest_at: datetime | None) -> None:
    if earliest_at is not None and latest_at is not None and latest_at <= earliest_at:
        raise ValueError("latest_at must be after earliest_at")


class WaitlistEntryCreate(CreateSchema):
    """Wait for a slot at a clinic, optionally with one veterinarian and within a window."""

    clinic_id: UUID
    veterinarian_id: UUID | None = None
    pet_id: UUID
    service_type: ServiceType
    earliest_at: AwareDatetime | None = None
    latest_at: AwareDatetime | None = None
    notes: LongText | None = None

    @model_validator(mode="after")
    def _window(self) -> WaitlistEntryCreate:
        _check_waitlist_window(self.earliest_at, self.latest_at)
        return self


class WaitlistEntryUpdate(UpdateSchema):
    """Change the wanted window, veterinarian or notes, or leave the waitlist."""

    NULLABLE_FIELDS: ClassVar[frozenset[str]] = frozenset(
        {"veterinarian_id", "earliest_at", "latest_at", "notes"}
    )

    veterinarian_id: UUID | None = None
    service_type: ServiceType | None = None
    status: WaitlistStatus | None = None
    earliest_at: AwareDatetime | None = None
    latest_at: AwareDatetime | None = None
    notes: LongText | None = None

    @model_validator(mode="after")
    def _window(self) -> WaitlistEntryUpdate:
        _check_waitlist_window(self.earliest_at, self.latest_at)
        return self


class WaitlistEntryResponse(EntityResponse):
    """A waitlist entry and any slot offered to it."""

    clinic_id: UUID
    veterinarian_id: UUID | None
    pet_id: UUID
    requested_by_id: UUID
    service_type: ServiceType
    status: WaitlistStatus
    earliest_at: datetime | None
    latest_at: datetime | None
    notes: str | None
    offered_appointment_id: UUID | None
    offered_at: datetime | None
    offer_expires_at: datetime | None


__all__ = [
    "MAX_APPOINTMENT_LENGTH",
    "AppointmentCreate",
    "AppointmentHoldBook",
    "AppointmentHoldCreate",
    "AppointmentHoldResponse",
    "AppointmentResponse",
    "AppointmentStaffResponse",
    "AppointmentStaffUpdate",
    "AppointmentStatusChange",
    "AppointmentUpdate",
    "IdempotencyKey",
    "WaitlistEntryCreate",
    "WaitlistEntryResponse",
    "WaitlistEntryUpdate",
]
