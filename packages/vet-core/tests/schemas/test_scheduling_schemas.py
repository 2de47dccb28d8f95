"""Appointment, hold and waitlist schemas; owner vs staff responses from real model objects."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from pydantic import BaseModel

from vet_core.models.enums import (
    AppointmentPriority,
    AppointmentStatus,
    HoldStatus,
    ServiceType,
)
from vet_core.models.scheduling import Appointment, AppointmentHold
from vet_core.schemas.scheduling import (
    AppointmentCreate,
    AppointmentHoldBook,
    AppointmentHoldCreate,
    AppointmentHoldResponse,
    AppointmentResponse,
    AppointmentStaffResponse,
    AppointmentStaffUpdate,
    AppointmentStatusChange,
    AppointmentUpdate,
    WaitlistEntryCreate,
    WaitlistEntryUpdate,
)

ErrorsOf = Callable[[type[BaseModel], dict[str, Any]], dict[str, str]]

START = "2025-03-10T09:00:00-04:00"
END = "2025-03-10T09:30:00-04:00"


def booking(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "pet_id": str(uuid.uuid4()),
        "veterinarian_id": str(uuid.uuid4()),
        "clinic_id": str(uuid.uuid4()),
        "service_type": "wellness_exam",
        "starts_at": START,
        "ends_at": END,
    }
    data.update(overrides)
    return data


def test_appointment_create_accepts_and_normalises() -> None:
    created = AppointmentCreate.model_validate(booking(idempotency_key="book-2025-03-10-abc"))
    assert created.starts_at == datetime(2025, 3, 10, 13, tzinfo=UTC)
    assert created.starts_at.tzinfo is UTC
    assert created.service_type is ServiceType.WELLNESS_EXAM
    assert created.priority is AppointmentPriority.ROUTINE
    without_end = booking()
    del without_end["ends_at"]
    assert AppointmentCreate.model_validate(without_end).ends_at is None


def test_hold_booking_takes_only_what_the_hold_does_not_fix(errors_of: ErrorsOf) -> None:
    book = AppointmentHoldBook.model_validate({"service_type": "dental", "reason": "tooth"})
    assert book.service_type is ServiceType.DENTAL
    assert "starts_at" in errors_of(
        AppointmentHoldBook, {"service_type": "dental", "starts_at": START}
    )
    assert "service_type" in errors_of(AppointmentHoldBook, {})


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"starts_at": "2025-03-10T09:00:00"}, "starts_at", "starts_at must be timezone-aware"),
        ({"ends_at": "2025-03-10T09:30:00"}, "ends_at", "ends_at must be timezone-aware"),
        ({"ends_at": START}, "", "ends_at must be after starts_at"),
        ({"ends_at": "2025-03-10T22:00:00-04:00"}, "", "at most 12 hours"),
        ({"service_type": "massage"}, "service_type", "Input should be"),
        ({"status": "completed"}, "status", "Extra inputs are not permitted"),
        # The server prices a booking and knows its clinic's currency.
        ({"price": "45.00"}, "price", "Extra inputs are not permitted"),
        ({"currency": "EUR"}, "currency", "Extra inputs are not permitted"),
        ({"hold_id": str(uuid.uuid4())}, "hold_id", "Extra inputs are not permitted"),
        ({"idempotency_key": "short"}, "idempotency_key", "at least 8 characters"),
        ({"internal_notes": "x"}, "internal_notes", "Extra inputs are not permitted"),
    ],
)
def test_appointment_create_rejects(
    overrides: dict[str, Any], field: str, message: str, errors_of: ErrorsOf
) -> None:
    errors = errors_of(AppointmentCreate, booking(**overrides))
    assert field in errors
    assert message in errors[field]


def test_appointment_update_partial_and_rules(errors_of: ErrorsOf) -> None:
    assert AppointmentUpdate.model_validate({"notes": "bring the vaccination card"}).changes() == {
        "notes": "bring the vaccination card"
    }
    assert AppointmentUpdate.model_validate({"notes": None}).changes() == {"notes": None}
    assert errors_of(AppointmentUpdate, {}) == {
        "": "Value error, an update must set at least one field"
    }
    # Moving an appointment is a reschedule, not an update.
    assert "starts_at" in errors_of(AppointmentUpdate, {"starts_at": START})
    assert "veterinarian_id" in errors_of(AppointmentStaffUpdate, {"veterinarian_id": None})
    assert errors_of(AppointmentStaffUpdate, {"priority": None}) == {
        "": "Value error, priority cannot be null"
    }
    # Owners cannot touch staff fields.
    assert "internal_notes" in errors_of(AppointmentUpdate, {"internal_notes": "x"})
    staff_only = AppointmentStaffUpdate.STAFF_FIELDS
    assert staff_only == {"priority", "internal_notes", "price", "currency"}


def test_staff_update_may_set_internal_notes_and_clear_price(errors_of: ErrorsOf) -> None:
    update = AppointmentStaffUpdate.model_validate({"internal_notes": "aggressive", "price": None})
    assert update.changes() == {"internal_notes": "aggressive", "price": None}
    priced = AppointmentStaffUpdate.model_validate({"price": "45.00", "currency": "EUR"})
    assert priced.price == Decimal("45.00")
    assert "not a float" in errors_of(AppointmentStaffUpdate, {"price": 45.5})["price"]
    assert (
        "three uppercase letters"
        in errors_of(AppointmentStaffUpdate, {"currency": "usd"})["currency"]
    )


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"status": "cancelled"}, "cancellation_reason is required to cancel"),
        ({"status": "completed", "cancellation_reason": "x"}, "only for cancelled appointments"),
    ],
)
def test_status_change_rules(data: dict[str, Any], message: str, errors_of: ErrorsOf) -> None:
    assert message in errors_of(AppointmentStatusChange, data)[""]


def test_status_change_cancel() -> None:
    change = AppointmentStatusChange(
        status=AppointmentStatus.CANCELLED, cancellation_reason="pet is better"
    )
    assert change.status is AppointmentStatus.CANCELLED


def make_appointment() -> Appointment:
    now = datetime(2025, 3, 1, 12, tzinfo=UTC)
    return Appointment(
        id=uuid.uuid4(),
        created_at=now,
        updated_at=now,
        created_by=uuid.uuid4(),
        updated_by=None,
        pet_id=uuid.uuid4(),
        booked_by_id=uuid.uuid4(),
        veterinarian_id=uuid.uuid4(),
        clinic_id=uuid.uuid4(),
        service_type=ServiceType.DENTAL,
        status=AppointmentStatus.SCHEDULED,
        priority=AppointmentPriority.URGENT,
        starts_at=now + timedelta(days=3),
        ends_at=now + timedelta(days=3, hours=1),
        price=Decimal("120.00"),
        currency="USD",
        reason="tooth",
        notes="no food after midnight",
        internal_notes="bites; muzzle",
        checked_in_at=None,
        started_at=None,
        completed_at=None,
        cancelled_at=None,
        cancellation_reason=None,
        cancelled_by_id=None,
        idempotency_key="book-abcdef12",
        rescheduled_from_id=None,
        version=1,
    )


def test_owner_response_hides_internal_notes() -> None:
    row = make_appointment()
    owner = AppointmentResponse.model_validate(row)
    assert owner.id == row.id
    assert owner.status is AppointmentStatus.SCHEDULED
    assert owner.notes == "no food after midnight"
    dumped = owner.model_dump()
    assert "internal_notes" not in dumped
    assert "idempotency_key" not in dumped


def test_staff_response_shows_internal_notes() -> None:
    staff = AppointmentStaffResponse.model_validate(make_appointment())
    assert staff.internal_notes == "bites; muzzle"
    assert staff.idempotency_key == "book-abcdef12"
    assert staff.model_dump(mode="json")["price"] == "120.00"


def test_hold_create_and_response(errors_of: ErrorsOf) -> None:
    data = {
        "veterinarian_id": str(uuid.uuid4()),
        "clinic_id": str(uuid.uuid4()),
        "pet_id": str(uuid.uuid4()),
        "service_type": "wellness_exam",
        "starts_at": START,
    }
    hold = AppointmentHoldCreate.model_validate(data)
    assert hold.service_type is ServiceType.WELLNESS_EXAM
    # The service computes the end from the service type: a client's end is refused.
    assert "ends_at" in errors_of(AppointmentHoldCreate, {**data, "ends_at": END})
    assert "pet_id" in errors_of(
        AppointmentHoldCreate, {k: v for k, v in data.items() if k != "pet_id"}
    )
    now = datetime(2025, 3, 1, tzinfo=UTC)
    row = AppointmentHold(
        id=uuid.uuid4(),
        created_at=now,
        updated_at=now,
        veterinarian_id=hold.veterinarian_id,
        clinic_id=hold.clinic_id,
        held_by_id=uuid.uuid4(),
        pet_id=None,
        starts_at=hold.starts_at,
        ends_at=hold.starts_at + timedelta(minutes=30),
        expires_at=now + timedelta(minutes=10),
        status=HoldStatus.ACTIVE,
        appointment_id=None,
    )
    assert AppointmentHoldResponse.model_validate(row).status is HoldStatus.ACTIVE


def test_waitlist_window(errors_of: ErrorsOf) -> None:
    data = {
        "clinic_id": str(uuid.uuid4()),
        "pet_id": str(uuid.uuid4()),
        "service_type": "vaccination",
        "earliest_at": END,
        "latest_at": START,
    }
    assert errors_of(WaitlistEntryCreate, data) == {
        "": "Value error, latest_at must be after earliest_at"
    }
    data["latest_at"] = "2025-03-20T00:00:00Z"
    assert WaitlistEntryCreate.model_validate(data).latest_at == datetime(2025, 3, 20, tzinfo=UTC)
    assert WaitlistEntryUpdate.model_validate({"veterinarian_id": None}).changes() == {
        "veterinarian_id": None
    }
    assert "earliest_at" in errors_of(WaitlistEntryUpdate, {"earliest_at": "2025-03-20T10:00"})
