"""Minor-unit conversion with per-currency exponents; floats refused."""

from __future__ import annotations

from decimal import Decimal

import pytest

from vet_core.exceptions import SchemaValidationException
from vet_core.utils.money import (
    currency_exponent,
    from_minor_units,
    to_minor_units,
    validate_currency_code,
)


@pytest.mark.parametrize(
    ("amount", "currency", "minor"),
    [
        (Decimal("12.34"), "USD", 1234),
        (Decimal("12.3"), "EUR", 1230),
        (Decimal("0"), "GBP", 0),
        (Decimal("1500"), "JPY", 1500),
        (Decimal("1.234"), "KWD", 1234),
        (Decimal("-5.00"), "USD", -500),
        (Decimal("12.340000"), "USD", 1234),
    ],
)
def test_round_trip(amount: Decimal, currency: str, minor: int) -> None:
    assert to_minor_units(amount, currency) == minor
    back = from_minor_units(minor, currency)
    assert back == amount
    assert back.as_tuple().exponent == -currency_exponent(currency)


def test_from_minor_units_quantises() -> None:
    assert str(from_minor_units(1230, "USD")) == "12.30"
    assert str(from_minor_units(1500, "JPY")) == "1500"
    assert str(from_minor_units(5, "KWD")) == "0.005"


@pytest.mark.parametrize(
    ("amount", "currency", "message"),
    [
        (Decimal("12.345"), "USD", "amount 12.345 has more than 2 decimal places for USD"),
        (Decimal("10.5"), "JPY", "has more than 0 decimal places for JPY"),
        (12.34, "USD", "not a float"),
        (1234, "USD", "amount must be a Decimal"),
        (Decimal("NaN"), "USD", "amount must be a finite number"),
        (Decimal("1"), "usd", "three uppercase letters"),
        (Decimal("1"), "US", "three uppercase letters"),
        (Decimal("1"), "XYZ", "currency 'XYZ' is not supported"),
    ],
)
def test_to_minor_units_rejects(amount: Decimal, currency: str, message: str) -> None:
    with pytest.raises(SchemaValidationException, match=message):
        to_minor_units(amount, currency)


@pytest.mark.parametrize("minor", [12.5, True, "100"])
def test_from_minor_units_requires_int(minor: int) -> None:
    with pytest.raises(SchemaValidationException, match="minor units must be an integer"):
        from_minor_units(minor, "USD")


def test_validate_currency_code() -> None:
    assert validate_currency_code("EUR") == "EUR"
