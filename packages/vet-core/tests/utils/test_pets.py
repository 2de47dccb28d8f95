"""Age from birth date, approximate birth dates and size categories."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from vet_core.exceptions import SchemaValidationException
from vet_core.models.enums import PetSizeCategory, Species
from vet_core.utils.pets import (
    Age,
    age_from_birth_date,
    approximate_birth_date,
    size_category_from_weight,
)


@pytest.mark.parametrize(
    ("birth", "today", "expected"),
    [
        (date(2020, 5, 10), date(2020, 5, 10), Age(0, 0)),
        (date(2020, 5, 10), date(2020, 6, 9), Age(0, 0)),
        (date(2020, 5, 10), date(2020, 6, 10), Age(0, 1)),
        (date(2020, 5, 10), date(2023, 5, 9), Age(2, 11)),
        (date(2020, 5, 10), date(2023, 5, 10), Age(3, 0)),
        # 29 February: the anniversary in a common year is 28 February.
        (date(2020, 2, 29), date(2021, 2, 27), Age(0, 11)),
        (date(2020, 2, 29), date(2021, 2, 28), Age(1, 0)),
        (date(2020, 2, 29), date(2024, 2, 28), Age(3, 11)),
        (date(2020, 2, 29), date(2024, 2, 29), Age(4, 0)),
        # Month-end births are a month older on the last day of a shorter month.
        (date(2021, 1, 31), date(2021, 2, 28), Age(0, 1)),
        (date(2021, 1, 31), date(2021, 3, 30), Age(0, 1)),
        (date(2021, 1, 31), date(2021, 3, 31), Age(0, 2)),
    ],
)
def test_age_from_birth_date(birth: date, today: date, expected: Age) -> None:
    assert age_from_birth_date(birth, today) == expected


def test_age_helpers() -> None:
    age = Age(3, 4)
    assert age.total_months == 40
    assert str(age) == "3y 4m"
    assert Age(1, 11) < Age(2, 0)


def test_birth_in_future_rejected() -> None:
    with pytest.raises(SchemaValidationException, match="birth_date 2030-01-01 is in the future"):
        age_from_birth_date(date(2030, 1, 1), date(2025, 1, 1))


@pytest.mark.parametrize(
    ("years", "months", "as_of", "expected"),
    [
        (3, 4, date(2025, 9, 15), date(2022, 5, 15)),
        (0, 0, date(2025, 9, 15), date(2025, 9, 15)),
        (1, 0, date(2024, 2, 29), date(2023, 2, 28)),
        (0, 1, date(2025, 3, 31), date(2025, 2, 28)),
        (0, 11, date(2025, 1, 10), date(2024, 2, 10)),
    ],
)
def test_approximate_birth_date(years: int, months: int, as_of: date, expected: date) -> None:
    birth = approximate_birth_date(years, months, as_of)
    assert birth == expected
    assert age_from_birth_date(birth, as_of) == Age(years, months)


@pytest.mark.parametrize(
    ("years", "months", "message"),
    [
        (1, 12, "approximate_months must be between 0 and 11, got 12"),
        (1, -1, "approximate_months must be between 0 and 11, got -1"),
        (-1, 0, "approximate_years must be between 0 and 100, got -1"),
        (101, 0, "approximate_years must be between 0 and 100, got 101"),
        (1.5, 0, "approximate_years must be an integer"),
    ],
)
def test_approximate_birth_date_rejects(years: int, months: int, message: str) -> None:
    with pytest.raises(SchemaValidationException, match=message):
        approximate_birth_date(years, months, date(2025, 1, 1))


@pytest.mark.parametrize(
    ("weight", "species", "expected"),
    [
        (Decimal("2.1"), Species.DOG, PetSizeCategory.TOY),
        (Decimal("4.49"), Species.DOG, PetSizeCategory.TOY),
        (Decimal("4.5"), "dog", PetSizeCategory.SMALL),
        (Decimal("10"), "dog", PetSizeCategory.MEDIUM),
        (Decimal("24.9"), "dog", PetSizeCategory.MEDIUM),
        (Decimal("25"), "dog", PetSizeCategory.LARGE),
        (Decimal("45"), "dog", PetSizeCategory.GIANT),
        (70, "Dog", PetSizeCategory.GIANT),
        (3.0, "cat", PetSizeCategory.SMALL),
        (Decimal("4.2"), "cat", PetSizeCategory.MEDIUM),
        (Decimal("8.5"), "cat", PetSizeCategory.LARGE),
        (Decimal("30"), "cat", PetSizeCategory.LARGE),
        (Decimal("0.03"), "bird", PetSizeCategory.TOY),
        (Decimal("1.8"), "rabbit", PetSizeCategory.SMALL),
        (Decimal("500"), "horse", PetSizeCategory.GIANT),
    ],
)
def test_size_category_from_weight(
    weight: Decimal, species: str, expected: PetSizeCategory
) -> None:
    assert size_category_from_weight(weight, species) is expected


@pytest.mark.parametrize("weight", [Decimal(0), Decimal(-1), float("nan"), Decimal("Infinity")])
def test_size_category_rejects_non_positive_weight(weight: Decimal) -> None:
    with pytest.raises(SchemaValidationException, match="weight_kg must be a positive number"):
        size_category_from_weight(weight, "dog")


def test_size_category_rejects_non_number() -> None:
    with pytest.raises(SchemaValidationException, match="weight_kg must be a number"):
        size_category_from_weight("12", "dog")  # type: ignore[arg-type]
