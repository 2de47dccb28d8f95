"""Pure helpers shared by every layer: time and DST, business hours, geo, money, validation, pets.

Nothing here touches the database or the network; every function raises a
:class:`~vet_core.exceptions.SchemaValidationException` (or a subclass) on bad input.
"""

from vet_core.utils.business_hours import BusinessHours, Closure, OpeningInterval, SpecialHours
from vet_core.utils.clinic_hours import business_hours_from_records
from vet_core.utils.geo import BoundingBox, bounding_box, haversine_km, validate_coordinates
from vet_core.utils.money import from_minor_units, to_minor_units, validate_currency_code
from vet_core.utils.pets import (
    Age,
    age_from_birth_date,
    approximate_birth_date,
    size_category_from_weight,
)
from vet_core.utils.time import (
    Ambiguous,
    Nonexistent,
    ensure_aware,
    local_day_bounds,
    localize,
    parse_timezone,
    to_utc,
    to_zone,
    utcnow,
)
from vet_core.utils.validation import (
    normalize_email,
    normalize_phone,
    validate_microchip,
    validate_person_name,
    validate_timezone_name,
)

__all__ = [
    "Age",
    "Ambiguous",
    "BoundingBox",
    "BusinessHours",
    "Closure",
    "Nonexistent",
    "OpeningInterval",
    "SpecialHours",
    "age_from_birth_date",
    "approximate_birth_date",
    "bounding_box",
    "business_hours_from_records",
    "ensure_aware",
    "from_minor_units",
    "haversine_km",
    "local_day_bounds",
    "localize",
    "normalize_email",
    "normalize_phone",
    "parse_timezone",
    "size_category_from_weight",
    "to_minor_units",
    "to_utc",
    "to_zone",
    "utcnow",
    "validate_coordinates",
    "validate_currency_code",
    "validate_microchip",
    "validate_person_name",
    "validate_timezone_name",
]
