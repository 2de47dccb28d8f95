"""Clinic, opening hours, closure and membership schemas."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, time
from decimal import Decimal
from typing import Any

import pytest
from pydantic import BaseModel

from vet_core.models.clinics import Clinic, ClinicOperatingHours
from vet_core.models.enums import ClinicStatus, ClinicType
from vet_core.schemas.clinics import (
    ClinicClosureCreate,
    ClinicClosureUpdate,
    ClinicCreate,
    ClinicMembershipUpdate,
    ClinicOperatingHoursCreate,
    ClinicOperatingHoursResponse,
    ClinicResponse,
    ClinicUpdate,
)

ErrorsOf = Callable[[type[BaseModel], dict[str, Any]], dict[str, str]]


def clinic(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": "Happy Paws",
        "slug": "happy-paws",
        "clinic_type": "emergency",
        "address_line1": "1 Main St",
        "city": "Boston",
        "country_code": "US",
        "timezone": "America/New_York",
        "latitude": 42.36,
        "longitude": -71.06,
        "phone": "+1 617 555 0100",
        "email": "Front@HappyPaws.example",
        "services": ["dental", "x-ray"],
        "is_open_24h": True,
    }
    data.update(overrides)
    return data


def test_clinic_create_accepts() -> None:
    created = ClinicCreate.model_validate(clinic())
    assert created.clinic_type is ClinicType.EMERGENCY
    assert created.phone == "+16175550100"
    assert created.email == "Front@happypaws.example"
    assert created.is_open_24h


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"timezone": "America/Boston"}, "timezone", "is not an IANA timezone name"),
        ({"latitude": 91}, "latitude", "less than or equal to 90"),
        ({"longitude": -181}, "longitude", "greater than or equal to -180"),
        ({"country_code": "usa"}, "country_code", "pattern"),
        ({"slug": "Happy Paws"}, "slug", "pattern"),
        ({"services": ["dental", "dental"]}, "", "services must not contain duplicates"),
        ({"services": ["Dental Care"]}, "services.0", "pattern"),
        ({"website": "ftp://x"}, "website", "pattern"),
        ({"name": ""}, "name", "at least 1 character"),
    ],
)
def test_clinic_create_rejects(
    overrides: dict[str, Any], field: str, message: str, errors_of: ErrorsOf
) -> None:
    errors = errors_of(ClinicCreate, clinic(**overrides))
    assert field in errors, errors
    assert message in errors[field]


def test_clinic_update(errors_of: ErrorsOf) -> None:
    assert ClinicUpdate.model_validate({"website": None}).changes() == {"website": None}
    assert errors_of(ClinicUpdate, {"latitude": 10.0}) == {
        "": "Value error, latitude and longitude must be updated together"
    }
    assert errors_of(ClinicUpdate, {"name": None}) == {"": "Value error, name cannot be null"}
    assert errors_of(ClinicUpdate, {}) == {"": "Value error, an update must set at least one field"}


def test_clinic_response_from_model() -> None:
    now = datetime(2025, 1, 1, tzinfo=UTC)
    data = ClinicCreate.model_validate(clinic()).model_dump()
    row = Clinic(
        id=uuid.uuid4(),
        created_at=now,
        updated_at=now,
        status=ClinicStatus.ACTIVE,
        description=None,
        address_line2=None,
        region=None,
        postal_code=None,
        website=None,
        rating_average=Decimal("4.50"),
        review_count=12,
        **{k: v for k, v in data.items() if v is not None},
    )
    response = ClinicResponse.model_validate(row)
    assert response.timezone == "America/New_York"
    assert response.rating_average == Decimal("4.50")


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        (
            {"weekday": 0, "opens_at": "09:00", "closes_at": "17:00"},
            "weekday",
            "greater than or equal to 1",
        ),
        (
            {"weekday": 8, "opens_at": "09:00", "closes_at": "17:00"},
            "weekday",
            "less than or equal to 7",
        ),
        (
            {"weekday": 1, "opens_at": "17:00", "closes_at": "09:00"},
            "",
            "closes_at must be after opens_at",
        ),
        (
            {
                "weekday": 1,
                "opens_at": "09:00",
                "closes_at": "17:00",
                "breaks": [{"start": "08:00", "end": "09:30"}],
            },
            "",
            "break 08:00-09:30 must lie within 09:00-17:00",
        ),
        (
            {
                "weekday": 1,
                "opens_at": "09:00",
                "closes_at": "17:00",
                "breaks": [{"start": "12:00", "end": "13:00"}, {"start": "12:30", "end": "14:00"}],
            },
            "",
            "breaks must not overlap",
        ),
        (
            {
                "weekday": 1,
                "opens_at": "09:00",
                "closes_at": "17:00",
                "breaks": [{"start": "13:00", "end": "12:00"}],
            },
            "breaks.0",
            "a break must end after it starts",
        ),
    ],
)
def test_operating_hours_rejects(
    data: dict[str, Any], field: str, message: str, errors_of: ErrorsOf
) -> None:
    errors = errors_of(ClinicOperatingHoursCreate, data)
    assert field in errors, errors
    assert message in errors[field]


def test_operating_hours_round_trip_through_model() -> None:
    created = ClinicOperatingHoursCreate.model_validate(
        {
            "weekday": 1,
            "opens_at": "09:00",
            "closes_at": "17:00",
            "breaks": [{"start": "12:00", "end": "13:00"}],
        }
    )
    now = datetime(2025, 1, 1, tzinfo=UTC)
    row = ClinicOperatingHours(
        id=uuid.uuid4(),
        created_at=now,
        updated_at=now,
        clinic_id=uuid.uuid4(),
        **created.model_dump(mode="json"),
    )
    response = ClinicOperatingHoursResponse.model_validate(row)
    assert response.breaks[0].start == time(12)
    assert response.opens_at == time(9)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"starts_on": "2025-12-26", "ends_on": "2025-12-24"},
            "ends_on must not be before starts_on",
        ),
        (
            {
                "starts_on": "2025-12-24",
                "ends_on": "2025-12-24",
                "opens_at": "09:00",
                "closes_at": "12:00",
            },
            "a closure for the whole day takes no opens_at/closes_at",
        ),
        (
            {"starts_on": "2025-12-24", "ends_on": "2025-12-24", "is_closed_all_day": False},
            "special hours need both opens_at and closes_at",
        ),
        (
            {
                "starts_on": "2025-12-24",
                "ends_on": "2025-12-24",
                "is_closed_all_day": False,
                "opens_at": "12:00",
                "closes_at": "09:00",
            },
            "closes_at must be after opens_at",
        ),
    ],
)
def test_closure_rejects(data: dict[str, Any], message: str, errors_of: ErrorsOf) -> None:
    assert message in errors_of(ClinicClosureCreate, data)[""]


def test_closure_accepts_special_hours_and_updates() -> None:
    closure = ClinicClosureCreate.model_validate(
        {
            "starts_on": "2025-12-24",
            "ends_on": "2025-12-24",
            "is_closed_all_day": False,
            "opens_at": "09:00",
            "closes_at": "12:00",
            "reason": "Christmas Eve",
        }
    )
    assert closure.closes_at == time(12)
    assert ClinicClosureUpdate.model_validate({"reason": None}).changes() == {"reason": None}


def test_membership_update_requires_aware_end(errors_of: ErrorsOf) -> None:
    assert "ended_at" in errors_of(ClinicMembershipUpdate, {"ended_at": "2025-01-01T00:00"})
    assert ClinicMembershipUpdate.model_validate({"ended_at": None}).changes() == {"ended_at": None}
