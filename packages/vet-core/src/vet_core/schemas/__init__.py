"""Pydantic v2 schemas of the API edge, one module per domain (mirroring :mod:`vet_core.models`).

Each entity has ``XCreate``, a partial ``XUpdate`` (an empty update is rejected), ``XResponse``
read straight from the ORM object, and ``XStaffResponse`` where staff see more (appointment
internal notes, payment provider ids). Reusable field types and bases live in
:mod:`vet_core.schemas.base`; domain schemas are imported from their module, e.g.
``from vet_core.schemas.scheduling import AppointmentCreate``.

Modules: ``identity``, ``clinics``, ``veterinarians``, ``pets``, ``clinical``, ``scheduling``,
``notifications``, ``messaging``, ``reviews``, ``commerce``, ``audit``, ``files``.
"""

from vet_core.schemas.base import (
    MAX_PAGE_LIMIT,
    Attachment,
    AwareDatetime,
    CountryCode,
    CreateSchema,
    CurrencyCode,
    CursorPage,
    Email,
    EntityResponse,
    InputSchema,
    IsoWeekday,
    Latitude,
    Longitude,
    LongText,
    Microchip,
    MinorUnits,
    Money,
    ORMModel,
    PersonName,
    PhoneNumber,
    Rating,
    ShortText,
    StoredAttachment,
    TimezoneName,
    UpdateSchema,
    as_field_validator,
)

__all__ = [
    "MAX_PAGE_LIMIT",
    "Attachment",
    "AwareDatetime",
    "CountryCode",
    "CreateSchema",
    "CurrencyCode",
    "CursorPage",
    "Email",
    "EntityResponse",
    "InputSchema",
    "IsoWeekday",
    "Latitude",
    "LongText",
    "Longitude",
    "Microchip",
    "MinorUnits",
    "Money",
    "ORMModel",
    "PersonName",
    "PhoneNumber",
    "Rating",
    "ShortText",
    "StoredAttachment",
    "TimezoneName",
    "UpdateSchema",
    "as_field_validator",
]
