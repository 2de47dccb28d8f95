"""The reusable field types, the update base and the cursor page."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any, ClassVar

import pytest
from pydantic import BaseModel, ValidationError

from vet_core.schemas.base import (
    AwareDatetime,
    CurrencyCode,
    CursorPage,
    Email,
    Latitude,
    Longitude,
    Microchip,
    Money,
    PersonName,
    PhoneNumber,
    Rating,
    TimezoneName,
    UpdateSchema,
)

ErrorsOf = Callable[[type[BaseModel], dict[str, Any]], dict[str, str]]


class Fields(BaseModel):
    phone: PhoneNumber | None = None
    email: Email | None = None
    chip: Microchip | None = None
    name: PersonName | None = None
    tz: TimezoneName | None = None
    at: AwareDatetime | None = None
    price: Money | None = None
    currency: CurrencyCode | None = None
    lat: Latitude | None = None
    lng: Longitude | None = None
    rating: Rating | None = None


@pytest.mark.parametrize(
    ("field", "raw", "expected"),
    [
        ("phone", "+44 20 7946 0958", "+442079460958"),
        ("email", "Vet@Example.COM", "Vet@example.com"),
        ("chip", "985-112-345-678-901", "985112345678901"),
        ("name", "  Zoë  O'Brien ", "Zoë O'Brien"),
        ("tz", "America/New_York", "America/New_York"),
        ("at", "2025-03-09T02:30:00-05:00", datetime(2025, 3, 9, 7, 30, tzinfo=UTC)),
        ("price", "12.50", Decimal("12.50")),
        ("price", Decimal("0"), Decimal("0")),
        ("price", 12, Decimal("12")),
        ("currency", "JPY", "JPY"),
        ("lat", -90, -90.0),
        ("lng", 180, 180.0),
        ("rating", 5, 5),
    ],
)
def test_field_types_accept_and_normalise(field: str, raw: object, expected: object) -> None:
    assert getattr(Fields.model_validate({field: raw}), field) == expected


@pytest.mark.parametrize(
    ("field", "raw", "message"),
    [
        ("phone", "555-1234", "phone '555-1234' has no country code"),
        ("phone", "+1 123", "is not a valid phone number"),
        ("email", "not-an-email", "email 'not-an-email' is not valid"),
        ("chip", "12345", "microchip must be exactly 15 digits"),
        ("name", "Agent 47", "may contain only letters, spaces, apostrophes, hyphens and dots"),
        ("name", "", "name must not be empty"),
        ("tz", "EST+5", "'EST+5' is not an IANA timezone name"),
        ("at", "2025-03-09T02:30:00", "must be timezone-aware"),
        ("at", "0001-01-01T00:00:00+01:00", "datetime out of range"),
        ("price", 12.5, "not a float"),
        ("price", "-0.01", "greater than or equal to 0"),
        ("price", "1.005", "no more than 2 decimal places"),
        ("price", "NaN", "finite number"),
        ("currency", "usd", "three uppercase letters"),
        ("currency", "ABC", "currency 'ABC' is not supported"),
        ("lat", 90.5, "less than or equal to 90"),
        ("lng", -180.1, "greater than or equal to -180"),
        ("rating", 0, "greater than or equal to 1"),
        ("rating", 6, "less than or equal to 5"),
        ("rating", 4.5, "valid integer"),
    ],
)
def test_field_types_reject_with_message_on_the_field(
    field: str, raw: object, message: str, errors_of: ErrorsOf
) -> None:
    errors = errors_of(Fields, {field: raw})
    assert list(errors) == [field]
    assert message in errors[field]


def test_aware_datetime_accepts_python_objects_and_normalises_to_utc() -> None:
    value = datetime(2025, 7, 1, 9, tzinfo=timezone(timedelta(hours=2)))
    parsed = Fields(at=value).at
    assert parsed == value
    assert parsed is not None
    assert parsed.utcoffset() == timedelta(0)
    with pytest.raises(ValidationError, match="must be timezone-aware"):
        Fields(at=datetime(2025, 7, 1, 9))


def test_money_rejects_json_numbers() -> None:
    with pytest.raises(ValidationError, match="not a float"):
        Fields.model_validate_json('{"price": 12.5}')
    assert Fields.model_validate_json('{"price": "12.5"}').price == Decimal("12.5")


class PatchThing(UpdateSchema):
    NULLABLE_FIELDS: ClassVar[frozenset[str]] = frozenset({"nickname"})

    name: PersonName | None = None
    nickname: str | None = None


def test_empty_update_rejected(errors_of: ErrorsOf) -> None:
    assert errors_of(PatchThing, {}) == {"": "Value error, an update must set at least one field"}


def test_null_refused_for_non_nullable_field(errors_of: ErrorsOf) -> None:
    assert errors_of(PatchThing, {"name": None}) == {"": "Value error, name cannot be null"}


def test_null_allowed_for_nullable_field_and_changes_holds_only_sent_fields() -> None:
    assert PatchThing.model_validate({"nickname": None}).changes() == {"nickname": None}
    assert PatchThing.model_validate({"name": " Rex "}).changes() == {"name": "Rex"}


def test_unknown_field_is_rejected(errors_of: ErrorsOf) -> None:
    assert errors_of(PatchThing, {"nmae": "Rex"}) == {"nmae": "Extra inputs are not permitted"}


def test_cursor_page_envelope() -> None:
    page = CursorPage[int](items=[1, 2, 3], next_cursor="abc", limit=3)
    assert page.model_dump() == {"items": [1, 2, 3], "next_cursor": "abc", "limit": 3}
    assert CursorPage[int](items=[], limit=50).next_cursor is None
    with pytest.raises(ValidationError, match="at most limit=2 items, got 3"):
        CursorPage[int](items=[1, 2, 3], limit=2)
    with pytest.raises(ValidationError, match="less than or equal to 200"):
        CursorPage[int](items=[], limit=201)
    with pytest.raises(ValidationError, match="valid integer"):
        CursorPage[int].model_validate({"items": ["x"], "limit": 10})
