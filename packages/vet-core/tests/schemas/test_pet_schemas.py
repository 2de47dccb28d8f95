"""Pet, ownership and weight schemas."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from pydantic import BaseModel

from vet_core.models.enums import PetSex, PetSizeCategory, PetStatus, Species
from vet_core.models.pets import Pet, WeightRecord
from vet_core.schemas.pets import (
    PetCreate,
    PetResponse,
    PetUpdate,
    WeightRecordCreate,
    WeightRecordResponse,
)

ErrorsOf = Callable[[type[BaseModel], dict[str, Any]], dict[str, str]]


def pet(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"name": "R2D2", "species": "dog", "birth_date": "2020-02-29"}
    data.update(overrides)
    return data


def test_pet_create_accepts() -> None:
    created = PetCreate.model_validate(pet(microchip="985 112 345 678 901", sex="female"))
    assert created.name == "R2D2"  # pet names may hold digits, unlike people's
    assert created.species is Species.DOG
    assert created.sex is PetSex.FEMALE
    assert created.microchip == "985112345678901"
    approximate = PetCreate.model_validate(
        {"name": "Tom", "species": "cat", "approximate_age_years": 3, "approximate_age_months": 4}
    )
    assert approximate.birth_date is None


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"name": "Rex", "species": "dog"}, "", "give birth_date or an approximate age"),
        (
            pet(approximate_age_years=2),
            "",
            "give birth_date or an approximate age, not both",
        ),
        (
            pet(birth_date=None, approximate_age_months=12),
            "approximate_age_months",
            "less than or equal to 11",
        ),
        (
            pet(birth_date=None, approximate_age_years=101),
            "approximate_age_years",
            "less than or equal to 100",
        ),
        (pet(microchip="12345"), "microchip", "microchip must be exactly 15 digits"),
        (pet(species="dragon"), "species", "Input should be"),
        (pet(name="   "), "name", "at least 1 character"),
        (
            pet(birth_date=(date.today() + timedelta(days=5)).isoformat()),
            "",
            "birth_date must not be in the future",
        ),
        (pet(size_category="huge"), "size_category", "Input should be"),
    ],
)
def test_pet_create_rejects(
    data: dict[str, Any], field: str, message: str, errors_of: ErrorsOf
) -> None:
    errors = errors_of(PetCreate, data)
    assert field in errors, errors
    assert message in errors[field]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "an update must set at least one field"),
        ({"name": None}, "name cannot be null"),
        ({"status": "deceased"}, "deceased_on is required when status is deceased"),
        ({"status": "active", "deceased_on": "2025-01-01"}, "only be set when status is deceased"),
        ({"deceased_on": "2025-01-01"}, "set status to deceased together with deceased_on"),
    ],
)
def test_pet_update_rejects(data: dict[str, Any], message: str, errors_of: ErrorsOf) -> None:
    assert message in errors_of(PetUpdate, data)[""]


def test_pet_update_accepts() -> None:
    update = PetUpdate.model_validate({"status": "deceased", "deceased_on": "2025-01-01"})
    assert update.changes() == {"status": PetStatus.DECEASED, "deceased_on": date(2025, 1, 1)}
    assert PetUpdate.model_validate({"microchip": None}).changes() == {"microchip": None}


def test_pet_response_from_model() -> None:
    now = datetime(2025, 1, 1, tzinfo=UTC)
    row = Pet(
        id=uuid.uuid4(),
        created_at=now,
        updated_at=now,
        owner_id=uuid.uuid4(),
        name="Rex",
        species=Species.DOG,
        breed="Beagle",
        is_mixed_breed=False,
        sex=PetSex.MALE,
        is_neutered=True,
        birth_date=date(2019, 5, 1),
        approximate_age_years=None,
        approximate_age_months=None,
        age_estimated_on=None,
        color="tricolour",
        microchip="985112345678901",
        size_category=PetSizeCategory.SMALL,
        status=PetStatus.ACTIVE,
        deceased_on=None,
        photo_keys=["pets/rex.jpg"],
        allergies=None,
        notes=None,
    )
    response = PetResponse.model_validate(row)
    assert response.size_category is PetSizeCategory.SMALL
    assert response.model_dump(mode="json")["species"] == "dog"


def test_weight_record(errors_of: ErrorsOf) -> None:
    assert WeightRecordCreate.model_validate({"weight_kg": "12.345"}).weight_kg == Decimal("12.345")
    assert "greater than 0" in errors_of(WeightRecordCreate, {"weight_kg": "0"})["weight_kg"]
    assert "decimal places" in errors_of(WeightRecordCreate, {"weight_kg": "1.2345"})["weight_kg"]
    assert (
        "timezone-aware"
        in errors_of(WeightRecordCreate, {"weight_kg": "3", "measured_at": "2025-01-01T10:00"})[
            "measured_at"
        ]
    )
    now = datetime(2025, 1, 1, tzinfo=UTC)
    row = WeightRecord(
        id=uuid.uuid4(),
        created_at=now,
        updated_at=now,
        pet_id=uuid.uuid4(),
        weight_kg=Decimal("12.500"),
        measured_at=now,
        recorded_by_id=None,
        note=None,
    )
    assert WeightRecordResponse.model_validate(row).weight_kg == Decimal("12.500")
