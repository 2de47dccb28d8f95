"""Phones, emails, microchips, names and timezone names: good and bad inputs with messages."""

from __future__ import annotations

import pytest

from vet_core.exceptions import SchemaValidationException
from vet_core.utils.validation import (
    normalize_email,
    normalize_phone,
    validate_microchip,
    validate_person_name,
    validate_timezone_name,
)


@pytest.mark.parametrize(
    ("raw", "region", "expected"),
    [
        ("+1 415 555 2671", None, "+14155552671"),
        ("(202) 456-1111", "US", "+12024561111"),
        ("(202) 456-1111", "us", "+12024561111"),
        ("020 7946 0958", "GB", "+442079460958"),
        ("+44 20 7946 0958", None, "+442079460958"),
        ("+44 20 7946 0958", "US", "+442079460958"),  # an explicit + wins over the region
        ("+49 30 901820", None, "+4930901820"),
        ("  +81 3-1234-5678 ", None, "+81312345678"),
    ],
)
def test_normalize_phone_to_e164(raw: str, region: str | None, expected: str) -> None:
    assert normalize_phone(raw, region) == expected


@pytest.mark.parametrize(
    ("raw", "region", "message"),
    [
        ("2024561111", None, "has no country code; write it as \\+<country code><number>"),
        ("+1 123", None, "'\\+1 123' is not a valid phone number"),
        ("+1 202 456 11111", None, "is not a valid phone number"),
        ("abc", "US", "'abc' is not a phone number"),
        ("", "US", "phone must not be empty"),
        ("   ", "US", "phone must not be empty"),
        (12024561111, "US", "phone must be a string"),
    ],
)
def test_normalize_phone_rejects(raw: str, region: str | None, message: str) -> None:
    with pytest.raises(SchemaValidationException, match=message) as info:
        normalize_phone(raw, region)
    assert info.value.details["field"] == "phone"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("alice@example.com", "alice@example.com"),
        ("Alice@Example.COM", "Alice@example.com"),
        ("user+tag@EXAMPLE.org", "user+tag@example.org"),
        ("  bob@example.com ", "bob@example.com"),
        ("ñandú@ejemplo.es", "ñandú@ejemplo.es"),
        ("x@MÜNCHEN.de", "x@münchen.de"),
    ],
)
def test_normalize_email(raw: str, expected: str) -> None:
    assert normalize_email(raw) == expected


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("bad@", "email 'bad@' is not valid: There must be something after the @-sign"),
        ("a@b", "email 'a@b' is not valid"),
        ("a..b@example.com", "two periods in a row"),
        ("no-at-sign", "email 'no-at-sign' is not valid"),
        ("", "email must not be empty"),
        (None, "email must be a string"),
    ],
)
def test_normalize_email_rejects(raw: str, message: str) -> None:
    with pytest.raises(SchemaValidationException, match=message):
        normalize_email(raw)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("985112345678901", "985112345678901"),
        ("985 112 345 678 901", "985112345678901"),
        ("985-112-345-678-901", "985112345678901"),
        (" 900164000123456 ", "900164000123456"),
    ],
)
def test_validate_microchip(raw: str, expected: str) -> None:
    assert validate_microchip(raw) == expected


@pytest.mark.parametrize(
    "raw",
    ["98511234567890", "9851123456789012", "98511234567890A", "", "９８５１１２３４５６７８９０１"],
)
def test_validate_microchip_rejects(raw: str) -> None:
    with pytest.raises(SchemaValidationException, match="microchip must be exactly 15 digits"):
        validate_microchip(raw)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Alice", "Alice"),
        ("  Zoë   O'Brien-Núñez ", "Zoë O'Brien-Núñez"),
        ("José Ma.", "José Ma."),
        ("李小龙", "李小龙"),
        ("D\u2019Angelo", "D\u2019Angelo"),
        ("Zoe\u0308", "Zoë"),  # NFC-normalised
        ("A" * 100, "A" * 100),
    ],
)
def test_validate_person_name(raw: str, expected: str) -> None:
    assert validate_person_name(raw) == expected


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("", "first_name must not be empty"),
        ("   ", "first_name must not be empty"),
        ("A" * 101, "first_name must be at most 100 characters, got 101"),
        (
            "R2D2",
            "first_name may contain only letters, spaces, apostrophes, hyphens and dots, not digits",
        ),
        ("Bob\x00", "not the character '\\\\x00'"),
        ("Bob <script>", "not the character '<'"),
        ("--", "first_name must contain at least one letter"),
    ],
)
def test_validate_person_name_rejects(raw: str, message: str) -> None:
    with pytest.raises(SchemaValidationException, match=message) as info:
        validate_person_name(raw, field="first_name")
    assert info.value.details["field"] == "first_name"


def test_validate_timezone_name() -> None:
    assert validate_timezone_name(" Europe/London ") == "Europe/London"
    with pytest.raises(SchemaValidationException, match="'Europe/Lndon' is not an IANA timezone"):
        validate_timezone_name("Europe/Lndon")
