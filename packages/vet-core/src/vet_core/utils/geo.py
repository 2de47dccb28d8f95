"""Coordinates, great-circle distance and the bounding box that pre-filters "clinics near me".

Distances use the haversine formula on a sphere of the IUGG mean Earth radius; the error against
the ellipsoid is below 0.5 %, far finer than "5 km away" needs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal

from vet_core.exceptions import SchemaValidationException

#: IUGG mean Earth radius in kilometres.
EARTH_RADIUS_KM = 6371.0088


def _finite_number(value: float, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise SchemaValidationException(f"{name} must be a number", details={"field": name})
    number = float(value)
    if not math.isfinite(number):
        raise SchemaValidationException(f"{name} must be a finite number", details={"field": name})
    return number


def validate_latitude(value: float) -> float:
    """Return ``value`` as a float if it is a latitude in degrees, -90 to 90 inclusive."""
    number = _finite_number(value, "latitude")
    if not -90.0 <= number <= 90.0:
        raise SchemaValidationException(
            f"latitude must be between -90 and 90 degrees, got {number}",
            details={"field": "latitude"},
        )
    return number


def validate_longitude(value: float) -> float:
    """Return ``value`` as a float if it is a longitude in degrees, -180 to 180 inclusive."""
    number = _finite_number(value, "longitude")
    if not -180.0 <= number <= 180.0:
        raise SchemaValidationException(
            f"longitude must be between -180 and 180 degrees, got {number}",
            details={"field": "longitude"},
        )
    return number


def validate_coordinates(lat: float, lng: float) -> tuple[float, float]:
    """Validate a latitude/longitude pair (degrees) and return it as floats."""
    return validate_latitude(lat), validate_longitude(lng)


def haversine_km(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance in kilometres between two points given in degrees."""
    lat1, lng1 = validate_coordinates(lat1, lng1)
    lat2, lng2 = validate_coordinates(lat2, lng2)
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    d_phi = phi2 - phi1
    d_lambda = math.radians(lng2 - lng1)
    h = math.sin(d_phi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(d_lambda / 2) ** 2
    # min() guards asin against rounding just above 1 for antipodal points.
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


@dataclass(frozen=True, slots=True)
class BoundingBox:
    """A latitude/longitude box; ``min_lng > max_lng`` when it crosses the antimeridian."""

    min_lat: float
    min_lng: float
    max_lat: float
    max_lng: float

    @property
    def crosses_antimeridian(self) -> bool:
        """True when the box wraps from +180 to -180 degrees of longitude."""
        return self.min_lng > self.max_lng

    def contains(self, lat: float, lng: float) -> bool:
        """Whether the point lies inside the box (edges included)."""
        if not self.min_lat <= lat <= self.max_lat:
            return False
        if self.crosses_antimeridian:
            return lng >= self.min_lng or lng <= self.max_lng
        return self.min_lng <= lng <= self.max_lng


def bounding_box(lat: float, lng: float, radius_km: float) -> BoundingBox:
    """The smallest lat/lng box holding every point within ``radius_km`` of the centre.

    Used to narrow an indexed query before the exact haversine check; the box is a superset of
    the circle. Near a pole the box spans all longitudes, and across the antimeridian
    ``min_lng > max_lng`` (see :attr:`BoundingBox.crosses_antimeridian`).
    """
    lat, lng = validate_coordinates(lat, lng)
    radius = _finite_number(radius_km, "radius_km")
    if radius < 0:
        raise SchemaValidationException(
            f"radius_km must not be negative, got {radius}", details={"field": "radius_km"}
        )
    angular = radius / EARTH_RADIUS_KM
    min_lat = lat - math.degrees(angular)
    max_lat = lat + math.degrees(angular)
    if min_lat <= -90.0 or max_lat >= 90.0 or angular >= math.pi / 2:
        # The circle reaches a pole: every longitude qualifies.
        return BoundingBox(max(min_lat, -90.0), -180.0, min(max_lat, 90.0), 180.0)
    # Widest longitude span of the circle (Chamberlain's "Getting the bounding box" formula).
    d_lng = math.degrees(math.asin(min(1.0, math.sin(angular) / math.cos(math.radians(lat)))))
    min_lng, max_lng = lng - d_lng, lng + d_lng
    if min_lng < -180.0:
        min_lng += 360.0
    if max_lng > 180.0:
        max_lng -= 360.0
    return BoundingBox(min_lat, min_lng, max_lat, max_lng)


__all__ = [
    "EARTH_RADIUS_KM",
    "BoundingBox",
    "bounding_box",
    "haversine_km",
    "validate_coordinates",
    "validate_latitude",
    "validate_longitude",
]
