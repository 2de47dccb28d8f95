"""Money as ``Decimal`` major units or ``int`` minor units, never ``float``.

Payment providers (Stripe) count in minor units whose exponent depends on the currency: cents for
USD (2), none for JPY (0), fils for KWD (3). Converting with the wrong exponent charges 100 times
too much or too little, so every conversion goes through the table below and refuses amounts
finer than the currency allows instead of rounding them away.
"""

from __future__ import annotations

import re
from decimal import Decimal

from vet_core.exceptions import SchemaValidationException

#: ISO 4217 minor-unit exponents of the currencies the platform accepts.
CURRENCY_EXPONENTS: dict[str, int] = {
    # Exponent 0: no minor unit in practice.
    "CLP": 0,
    "ISK": 0,
    "JPY": 0,
    "KRW": 0,
    "VND": 0,
    # Exponent 3.
    "BHD": 3,
    "JOD": 3,
    "KWD": 3,
    "OMR": 3,
    "TND": 3,
    # Exponent 2.
    "AED": 2,
    "AUD": 2,
    "BRL": 2,
    "CAD": 2,
    "CHF": 2,
    "CNY": 2,
    "CZK": 2,
    "DKK": 2,
    "EUR": 2,
    "GBP": 2,
    "HKD": 2,
    "ILS": 2,
    "INR": 2,
    "MXN": 2,
    "NOK": 2,
    "NZD": 2,
    "PLN": 2,
    "SEK": 2,
    "SGD": 2,
    "USD": 2,
    "ZAR": 2,
}

_CODE_SHAPE = re.compile(r"[A-Z]{3}")


def validate_currency_code(raw: str) -> str:
    """The ISO 4217 code if it is three uppercase letters and one the platform supports."""
    if not isinstance(raw, str) or not _CODE_SHAPE.fullmatch(raw):
        raise SchemaValidationException(
            f"currency must be an ISO 4217 code of three uppercase letters, e.g. 'USD', got {raw!r}",
            details={"field": "currency"},
        )
    if raw not in CURRENCY_EXPONENTS:
        raise SchemaValidationException(
            f"currency '{raw}' is not supported", details={"field": "currency", "value": raw}
        )
    return raw


def currency_exponent(currency: str) -> int:
    """How many decimal places the currency's minor unit has (JPY 0, USD 2, KWD 3)."""
    return CURRENCY_EXPONENTS[validate_currency_code(currency)]


def ensure_decimal(amount: object, *, field: str = "amount") -> Decimal:
    """Return ``amount`` if it is a finite ``Decimal``; floats are refused (0.1 + 0.2 != 0.3)."""
    if isinstance(amount, float):
        raise SchemaValidationException(
            f"{field} must be a Decimal or a string, not a float (floats cannot hold cents exactly)",
            details={"field": field},
        )
    if not isinstance(amount, Decimal):
        raise SchemaValidationException(f"{field} must be a Decimal", details={"field": field})
    if not amount.is_finite():
        raise SchemaValidationException(
            f"{field} must be a finite number", details={"field": field}
        )
    return amount


def to_minor_units(amount: Decimal, currency: str) -> int:
    """``Decimal("12.34")`` USD → ``1234``; refuses more decimal places than the currency has."""
    value = ensure_decimal(amount)
    exponent = currency_exponent(currency)
    scaled = value.scaleb(exponent)
    integral = scaled.to_integral_value()
    if integral != scaled:
        raise SchemaValidationException(
            f"amount {value} has more than {exponent} decimal places for {currency}",
            details={"field": "amount", "value": str(value)},
        )
    return int(integral)


def from_minor_units(minor: int, currency: str) -> Decimal:
    """``1234`` USD → ``Decimal("12.34")``, quantised to the currency's exponent."""
    if isinstance(minor, bool) or not isinstance(minor, int):
        raise SchemaValidationException(
            "minor units must be an integer", details={"field": "amount_minor"}
        )
    exponent = currency_exponent(currency)
    return Decimal(minor).scaleb(-exponent).quantize(Decimal(1).scaleb(-exponent))


__all__ = [
    "CURRENCY_EXPONENTS",
    "currency_exponent",
    "ensure_decimal",
    "from_minor_units",
    "to_minor_units",
    "validate_currency_code",
]
