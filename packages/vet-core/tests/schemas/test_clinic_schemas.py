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
    ClinicOperatingHoursUpdate,
    ClinicResponse,
    ClinicUpdate,
    overlapping_hours,
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
            {
                "weekday": 1,
                "opens_at": "18:00",
                "closes_at": "08:00",
                "breaks": [{"start": "07:30", "end": "08:30"}],
            },
            "",
            "break 07:30-08:30 must lie within 18:00-08:00 (times before the opening are the next",
        ),
        (
            {
                "weekday": 1,
                "opens_at": "18:00",
                "closes_at": "08:00",
                "breaks": [{"start": "23:00", "end": "01:00"}, {"start": "00:30", "end": "02:00"}],
            },
            "",
            "breaks must not overlap",
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
            "",
            "break 13:00-12:00 must lie within 09:00-17:00",
        ),
        (
            {
                "weekday": 1,
                "opens_at": "09:00",
                "closes_at": "17:00",
                "breaks": [{"start": "12:00", "end": "12:00"}],
            },
            "breaks.0",
            "a break must not end when it starts",
        ),
    ],
)
def test_operating_hours_rejects(
    data: dict[str, Any], field: str, message: str, errors_of: ErrorsOf
) -> None:
    errors = errors_of(ClinicOperatingHoursCreate, data)
    assert field in errors, errors
    assert message in errors[field]


@pytest.mark.parametrize(
    ("opens", "closes", "breaks"),
    [
        pytest.param("18:00", "08:00", [], id="overnight-emergency-clinic"),
        pytest.param(
            "22:00",
            "06:00",
            [{"start": "23:30", "end": "00:30"}, {"start": "03:00", "end": "03:15"}],
            id="overnight-with-breaks-across-and-after-midnight",
        ),
        pytest.param("00:00", "00:00", [{"start": "12:00", "end": "12:30"}], id="whole-day"),
        pytest.param("09:00", "09:00", [{"start": "08:00", "end": "08:30"}], id="24h-from-nine"),
        pytest.param("08:00", "00:00", [{"start": "23:00", "end": "00:00"}], id="until-midnight"),
    ],
)
def test_operating_hours_accept_intervals_past_midnight(
    opens: str, closes: str, breaks: list[dict[str, str]]
) -> None:
    hours = ClinicOperatingHoursCreate.model_validate(
        {"weekday": 1, "opens_at": opens, "closes_at": closes, "breaks": breaks}
    )
    assert (hours.opens_at, hours.closes_at) == (
        time.fromisoformat(opens),
        time.fromisoformat(closes),
    )
    assert [(b.start, b.end) for b in hours.breaks] == [
        (time.fromisoformat(b["start"]), time.fromisoformat(b["end"])) for b in breaks
    ]
    update = ClinicOperatingHoursUpdate.model_validate({"opens_at": opens, "closes_at": closes})
    assert update.closes_at == time.fromisoformat(closes)


def _hours(weekday: int, opens: str, closes: str) -> ClinicOperatingHoursCreate:
    return ClinicOperatingHoursCreate.model_validate(
        {"weekday": weekday, "opens_at": opens, "closes_at": closes}
    )


@pytest.mark.parametrize(
    ("week", "pair"),
    [
        pytest.param([(1, "08:00", "12:00"), (1, "11:00", "15:00")], (0, 1), id="same-day"),
        pytest.param(
            [(2, "07:00", "12:00"), (1, "18:00", "08:00")],
            (1, 0),
            id="monday-night-spills-into-tuesday-morning",
        ),
        pytest.param(
            [(1, "06:00", "09:00"), (7, "22:00", "07:00")],
            (0, 1),
            id="sunday-night-spills-into-monday",
        ),
        pytest.param(
            [(3, "10:00", "10:00"), (4, "09:00", "11:00")], (0, 1), id="24h-into-next-day"
        ),
        pytest.param([(1, "18:00", "08:00"), (2, "08:00", "18:00")], None, id="touching"),
        pytest.param([(1, "00:00", "00:00"), (2, "00:00", "00:00")], None, id="whole-days"),
        pytest.param([(1, "18:00", "08:00"), (3, "07:00", "12:00")], None, id="day-after"),
    ],
)
def test_overlapping_hours_include_the_night_before(
    week: list[tuple[int, str, str]], pair: tuple[int, int] | None
) -> None:
    hours = [_hours(weekday, opens, closes) for weekday, opens, closes in week]
    found = overlapping_hours(hours)
    if pair is None:
        assert found is None
    else:
        assert found is not None
        assert {id(found[0]), id(found[1])} == {id(hours[pair[0]]), id(hours[pair[1]])}
        assert found[0].weekday <= found[1].weekday, "in week order"


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


def test_special_hours_may_run_past_midnight() -> None:
    new_years_eve = ClinicClosureCreate.model_validate(
        {
            "starts_on": "2025-12-31",
            "ends_on": "2025-12-31",
            "is_closed_all_day": False,
            "opens_at": "20:00",
            "closes_at": "02:00",
            "reason": "New Year's Eve emergency cover",
        }
    )
    assert (new_years_eve.opens_at, new_years_eve.closes_at) == (time(20), time(2))
    update = ClinicClosureUpdate.model_validate({"opens_at": "22:00", "closes_at": "04:00"})
    assert update.changes() == {"opens_at": time(22), "closes_at": time(4)}


def test_membership_update_requires_aware_end(errors_of: ErrorsOf) -> None:
    assert "ended_at" in errors_of(ClinicMembershipUpdate, {"ended_at": "2025-01-01T00:00"})
    assert ClinicMembershipUpdate.model_validate({"ended_at": None}).changes() == {"ended_at": None}
