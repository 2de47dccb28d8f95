"""Pet helpers: age from a birth date (or back), and a size category from weight and species."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from vet_core.exceptions import SchemaValidationException
from vet_core.models.enums import PetSizeCategory

#: Oldest approximate age accepted, in years (parrots and tortoises outlive dogs; the DB CHECK agrees).
MAX_APPROXIMATE_AGE_YEARS = 100


#: Upper bounds (exclusive, kg) of each class; the last class has no upper bound.
#: Dogs follow the common veterinary bands (toy < 4.5 kg ~ Chihuahua, giant >= 45 kg ~ Great Dane).
DOG_SIZE_BOUNDS: tuple[tuple[Decimal, PetSizeCategory], ...] = (
    (Decimal("4.5"), PetSizeCategory.TOY),
    (Decimal("10"), PetSizeCategory.SMALL),
    (Decimal("25"), PetSizeCategory.MEDIUM),
    (Decimal("45"), PetSizeCategory.LARGE),
)
#: Cats vary far less: < 3.5 kg small (Singapura), < 6 kg medium, larger (Maine Coon) large.
CAT_SIZE_BOUNDS: tuple[tuple[Decimal, PetSizeCategory], ...] = (
    (Decimal("3.5"), PetSizeCategory.SMALL),
    (Decimal("6"), PetSizeCategory.MEDIUM),
)
#: Other species on one absolute scale: pocket pets and birds are toy, rabbits small, horses giant.
OTHER_SIZE_BOUNDS: tuple[tuple[Decimal, PetSizeCategory], ...] = (
    (Decimal("0.5"), PetSizeCategory.TOY),
    (Decimal("2"), PetSizeCategory.SMALL),
    (Decimal("10"), PetSizeCategory.MEDIUM),
    (Decimal("45"), PetSizeCategory.LARGE),
)

_DOG_NAMES = frozenset({"dog", "canine"})
_CAT_NAMES = frozenset({"cat", "feline"})


@dataclass(frozen=True, slots=True, order=True)
class Age:
    """A whole-month age: ``years`` and ``months`` (0–11)."""

    years: int
    months: int

    @property
    def total_months(self) -> int:
        """The age in months."""
        return self.years * 12 + self.months

    def __str__(self) -> str:
        return f"{self.years}y {self.months}m"


def _clamped(year: int, month: int, day: int) -> date:
    """``date(year, month, day)`` with ``day`` clamped to the month's length (Feb 29 → Feb 28)."""
    return date(year, month, min(day, calendar.monthrange(year, month)[1]))


def _shift_months(day: date, months: int) -> date:
    index = day.year * 12 + (day.month - 1) + months
    return _clamped(index // 12, index % 12 + 1, day.day)


def age_from_birth_date(birth: date, today: date) -> Age:
    """Completed years and months between ``birth`` and ``today``.

    A month is complete on the same day of the month, clamped to the month's end: a pet born on
    29 February turns one on 28 February of a common year, and one born on 31 January is one
    month old on 28 (or 29) February. ``today`` is explicit so the result does not depend on the
    server's clock or timezone.
    """
    if birth > today:
        raise SchemaValidationException(
            f"birth_date {birth.isoformat()} is in the future", details={"field": "birth_date"}
        )
    months = (today.year - birth.year) * 12 + (today.month - birth.month)
    if today < _clamped(today.year, today.month, birth.day):
        months -= 1
    return Age(months // 12, months % 12)


def approximate_birth_date(years: int, months: int, as_of: date) -> date:
    """The birth date implied by an age of ``years`` and ``months`` on ``as_of``.

    Used when an owner knows only "about 3 years 4 months"; month-end days are clamped the same
    way as :func:`age_from_birth_date`, so the two functions round-trip.
    """
    for name, value in (("approximate_years", years), ("approximate_months", months)):
        if isinstance(value, bool) or not isinstance(value, int):
            raise SchemaValidationException(f"{name} must be an integer", details={"field": name})
    if not 0 <= months <= 11:
        raise SchemaValidationException(
            f"approximate_months must be between 0 and 11, got {months}",
            details={"field": "approximate_months"},
        )
    if not 0 <= years <= MAX_APPROXIMATE_AGE_YEARS:
        raise SchemaValidationException(
            f"approximate_years must be between 0 and {MAX_APPROXIMATE_AGE_YEARS}, got {years}",
            details={"field": "approximate_years"},
        )
    return _shift_months(as_of, -(years * 12 + months))


def size_category_from_weight(weight_kg: Decimal | float, species: str) -> PetSizeCategory:
    """The size class of an adult animal of ``species`` weighing ``weight_kg``.

    Dogs use :data:`DOG_SIZE_BOUNDS`, cats :data:`CAT_SIZE_BOUNDS` (never toy or giant), every
    other species :data:`OTHER_SIZE_BOUNDS`. Bounds are exclusive upper limits, so a 10 kg dog is
    medium.
    """
    if isinstance(weight_kg, bool) or not isinstance(weight_kg, int | float | Decimal):
        raise SchemaValidationException(
            "weight_kg must be a number", details={"field": "weight_kg"}
        )
    weight = Decimal(str(weight_kg)) if isinstance(weight_kg, float) else Decimal(weight_kg)
    if not weight.is_finite() or weight <= 0:
        raise SchemaValidationException(
            f"weight_kg must be a positive number, got {weight_kg}", details={"field": "weight_kg"}
        )
    kind = str(species).strip().lower()
    if kind in _DOG_NAMES:
        bounds, largest = DOG_SIZE_BOUNDS, PetSizeCategory.GIANT
    elif kind in _CAT_NAMES:
        bounds, largest = CAT_SIZE_BOUNDS, PetSizeCategory.LARGE
    else:
        bounds, largest = OTHER_SIZE_BOUNDS, PetSizeCategory.GIANT
    for upper, category in bounds:
        if weight < upper:
            return category
    return largest


__all__ = [
    "CAT_SIZE_BOUNDS",
    "DOG_SIZE_BOUNDS",
    "MAX_APPROXIMATE_AGE_YEARS",
    "OTHER_SIZE_BOUNDS",
    "Age",
    "age_from_birth_date",
    "approximate_birth_date",
    "size_category_from_weight",
]
