"""Coordinates, haversine distance and bounding boxes."""

from __future__ import annotations

import math
from decimal import Decimal

import pytest

from vet_core.exceptions import SchemaValidationException
from vet_core.utils.geo import (
    EARTH_RADIUS_KM,
    bounding_box,
    haversine_km,
    validate_coordinates,
    validate_latitude,
    validate_longitude,
)

LONDON = (51.5074, -0.1278)
PARIS = (48.8566, 2.3522)
NEW_YORK = (40.7128, -74.0060)


@pytest.mark.parametrize(
    ("a", "b", "expected_km"),
    [
        (LONDON, PARIS, 343.6),
        (LONDON, NEW_YORK, 5570.2),
        ((0.0, 0.0), (0.0, 1.0), 111.19),
        ((0.0, 179.5), (0.0, -179.5), 111.19),  # across the antimeridian, not around the globe
    ],
)
def test_haversine_known_distances(
    a: tuple[float, float], b: tuple[float, float], expected_km: float
) -> None:
    assert haversine_km(*a, *b) == pytest.approx(expected_km, rel=2e-3)
    assert haversine_km(*b, *a) == pytest.approx(haversine_km(*a, *b))


def test_haversine_zero_and_antipodal() -> None:
    assert haversine_km(*LONDON, *LONDON) == 0.0
    assert haversine_km(90.0, 0.0, -90.0, 0.0) == pytest.approx(math.pi * EARTH_RADIUS_KM)


def test_haversine_accepts_decimal_from_numeric_columns() -> None:
    assert haversine_km(Decimal("51.5074"), Decimal("-0.1278"), *PARIS) == pytest.approx(
        343.6, rel=2e-3
    )


@pytest.mark.parametrize(
    ("lat", "lng", "message"),
    [
        (90.0001, 0.0, "latitude must be between -90 and 90"),
        (-91, 0.0, "latitude must be between -90 and 90"),
        (0.0, 180.5, "longitude must be between -180 and 180"),
        (0.0, -181, "longitude must be between -180 and 180"),
        (float("nan"), 0.0, "latitude must be a finite number"),
        (0.0, float("inf"), "longitude must be a finite number"),
        ("51.5", 0.0, "latitude must be a number"),
        (True, 0.0, "latitude must be a number"),
    ],
)
def test_invalid_coordinates(lat: object, lng: object, message: str) -> None:
    with pytest.raises(SchemaValidationException, match=message):
        validate_coordinates(lat, lng)  # type: ignore[arg-type]
    with pytest.raises(SchemaValidationException, match=message):
        haversine_km(lat, lng, 0.0, 0.0)  # type: ignore[arg-type]


def test_coordinate_edges_are_valid() -> None:
    assert validate_latitude(-90) == -90.0
    assert validate_longitude(180) == 180.0


def test_bounding_box_contains_circle() -> None:
    box = bounding_box(*LONDON, 10.0)
    assert box.min_lat < LONDON[0] < box.max_lat
    assert box.max_lat - LONDON[0] == pytest.approx(10.0 / 111.195, rel=1e-3)
    # At 51.5°N a degree of longitude is ~0.62 of a degree of latitude.
    assert (box.max_lng - LONDON[1]) == pytest.approx(
        (box.max_lat - LONDON[0]) / math.cos(math.radians(LONDON[0])), rel=1e-2
    )
    # Points 9.9 km due north, east, south and west are inside.
    for bearing_lat, bearing_lng in ((1, 0), (0, 1), (-1, 0), (0, -1)):
        lat = LONDON[0] + bearing_lat * (box.max_lat - LONDON[0]) * 0.99
        lng = LONDON[1] + bearing_lng * (box.max_lng - LONDON[1]) * 0.99
        assert box.contains(lat, lng)
        assert haversine_km(*LONDON, lat, lng) < 10.0
    assert not box.contains(*PARIS)
    assert not box.crosses_antimeridian


def test_bounding_box_across_antimeridian() -> None:
    box = bounding_box(-17.7, 179.9, 50.0)  # Fiji
    assert box.crosses_antimeridian
    assert box.min_lng > box.max_lng
    assert box.contains(-17.7, -179.9)
    assert box.contains(-17.7, 179.95)
    assert not box.contains(-17.7, 0.0)


def test_bounding_box_near_pole_spans_all_longitudes() -> None:
    box = bounding_box(89.95, 10.0, 20.0)
    assert (box.min_lng, box.max_lng, box.max_lat) == (-180.0, 180.0, 90.0)


def test_bounding_box_zero_radius_and_negative_radius() -> None:
    box = bounding_box(*PARIS, 0.0)
    assert (box.min_lat, box.max_lat) == (PARIS[0], PARIS[0])
    with pytest.raises(SchemaValidationException, match="radius_km must not be negative"):
        bounding_box(*PARIS, -1.0)
