"""Veterinarian, availability and time-off schemas."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, time
from typing import Any

import pytest
from pydantic import BaseModel

from vet_core.models.enums import Species
from vet_core.models.veterinarians import VeterinarianAvailability
from vet_core.schemas.veterinarians import (
    VeterinarianAvailabilityCreate,
    VeterinarianAvailabilityResponse,
    VeterinarianAvailabilityUpdate,
    VeterinarianCreate,
    VeterinarianTimeOffCreate,
    VeterinarianUpdate,
)

ErrorsOf = Callable[[type[BaseModel], dict[str, Any]], dict[str, str]]


def vet(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "user_id": str(uuid.uuid4()),
        "license_number": "VET-12345",
        "license_state": "MA",
        "species_expertise": ["dog", "cat"],
    }
    data.update(overrides)
    return data


def test_veterinarian_create() -> None:
    created = VeterinarianCreate.model_validate(vet())
    assert created.species_expertise == [Species.DOG, Species.CAT]
    assert created.default_appointment_minutes == 30


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"species_expertise": ["dog", "unicorn"]}, "species_expertise.1", "Input should be"),
        (
            {"species_expertise": ["dog", "dog"]},
            "",
            "species_expertise must not contain duplicates",
        ),
        (
            {"default_appointment_minutes": 4},
            "default_appointment_minutes",
            "greater than or equal to 5",
        ),
        (
            {"default_appointment_minutes": 481},
            "default_appointment_minutes",
            "less than or equal to 480",
        ),
        ({"license_number": "VET#1"}, "license_number", "pattern"),
    ],
)
def test_veterinarian_create_rejects(
    overrides: dict[str, Any], field: str, message: str, errors_of: ErrorsOf
) -> None:
    errors = errors_of(VeterinarianCreate, vet(**overrides))
    assert field in errors, errors
    assert message in errors[field]


def test_veterinarian_update(errors_of: ErrorsOf) -> None:
    assert VeterinarianUpdate.model_validate({"bio": None}).changes() == {"bio": None}
    assert errors_of(VeterinarianUpdate, {"license_number": None}) == {
        "": "Value error, license_number cannot be null"
    }


def test_availability(errors_of: ErrorsOf) -> None:
    base = {"clinic_id": str(uuid.uuid4()), "weekday": 7, "starts_at_local": "08:00"}
    night = VeterinarianAvailabilityCreate.model_validate(
        {**base, "starts_at_local": "22:00", "ends_at_local": "06:00"}
    )
    assert (night.starts_at_local, night.ends_at_local) == (time(22), time(6))
    whole_day = VeterinarianAvailabilityCreate.model_validate({**base, "ends_at_local": "08:00"})
    assert whole_day.starts_at_local == whole_day.ends_at_local == time(8)
    assert VeterinarianAvailabilityUpdate.model_validate(
        {"starts_at_local": "22:00", "ends_at_local": "06:00"}
    ).changes() == {"starts_at_local": time(22), "ends_at_local": time(6)}
    assert (
        "effective_until must not be before effective_from"
        in errors_of(
            VeterinarianAvailabilityCreate,
            {
                **base,
                "ends_at_local": "12:00",
                "effective_from": "2025-02-01",
                "effective_until": "2025-01-01",
            },
        )[""]
    )
    created = VeterinarianAvailabilityCreate.model_validate({**base, "ends_at_local": "12:00"})
    now = datetime(2025, 1, 1, tzinfo=UTC)
    row = VeterinarianAvailability(
        id=uuid.uuid4(),
        created_at=now,
        updated_at=now,
        veterinarian_id=uuid.uuid4(),
        clinic_id=created.clinic_id,
        weekday=created.weekday,
        starts_at_local=created.starts_at_local,
        ends_at_local=created.ends_at_local,
        effective_from=date(2025, 1, 1),
        effective_until=None,
    )
    assert VeterinarianAvailabilityResponse.model_validate(row).ends_at_local == time(12)


def test_time_off(errors_of: ErrorsOf) -> None:
    assert (
        "must be timezone-aware"
        in errors_of(
            VeterinarianTimeOffCreate,
            {"starts_at": "2025-01-01T00:00", "ends_at": "2025-01-02T00:00Z"},
        )["starts_at"]
    )
    assert errors_of(
        VeterinarianTimeOffCreate,
        {"starts_at": "2025-01-02T00:00Z", "ends_at": "2025-01-01T00:00Z"},
    ) == {"": "Value error, ends_at must be after starts_at"}
