"""Building blocks of every schema: model bases, the cursor page and reusable field types.

The field types wrap the validators of :mod:`vet_core.utils`, so a value is checked by the same
code whether it arrives through the API or is built in a service. Their error messages become
Pydantic field errors: the location names the field, the message says what was wrong.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any, ClassVar, Generic, TypeVar
from uuid import UUID

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    model_validator,
)

from vet_core.exceptions import ValidationException
from vet_core.utils.money import validate_currency_code
from vet_core.utils.time import ensure_aware
from vet_core.utils.validation import (
    normalize_email,
    normalize_phone,
    validate_microchip,
    validate_person_name,
    validate_timezone_name,
)

T = TypeVar("T")
ItemT = TypeVar("ItemT")

#: Largest page a list endpoint may ask for.
MAX_PAGE_LIMIT = 200


def as_field_validator(check: Callable[[T], T]) -> Callable[[T], T]:
    """Adapt a :mod:`vet_core.utils` validator for Pydantic.

    Pydantic turns ``ValueError`` into a field error but lets other exceptions escape, so the
    platform's :class:`~vet_core.exceptions.ValidationException` is re-raised as ``ValueError``
    with the same message.
    """

    def validate(value: T) -> T:
        try:
            return check(value)
        except ValidationException as exc:
            raise ValueError(exc.message) from exc

    validate.__name__ = getattr(check, "__name__", "validate")
    validate.__doc__ = check.__doc__
    return validate


def _aware_utc(value: datetime, info: ValidationInfo) -> datetime:
    try:
        aware = ensure_aware(value, field=info.field_name or "datetime")
    except ValidationException as exc:
        raise ValueError(exc.message) from exc
    try:
        return aware.astimezone(UTC)
    except OverflowError:
        # 0001-01-01T00:00+01:00 is a valid input whose UTC instant falls before year 1.
        raise ValueError("datetime out of range") from None


def _reject_float(value: Any) -> Any:
    """Money must not pass through binary floating point (0.1 + 0.2 != 0.3)."""
    if isinstance(value, float):
        raise ValueError("money must be given as a string or Decimal such as '12.50', not a float")
    return value


def _person_name(value: str, info: ValidationInfo) -> str:
    try:
        return validate_person_name(value, field=info.field_name or "name")
    except ValidationException as exc:
        raise ValueError(exc.message) from exc


# --- reusable field types ---------------------------------------------------------------------

#: A phone number in E.164; input must carry its country code (``+44 20 7946 0958``).
PhoneNumber = Annotated[str, AfterValidator(as_field_validator(normalize_phone))]
#: An email address, syntax-checked (no DNS lookup) and normalised (lowercase domain).
Email = Annotated[str, Field(max_length=320), AfterValidator(as_field_validator(normalize_email))]
#: An ISO 11784/11785 microchip: 15 digits (spaces and dashes in the input are dropped).
Microchip = Annotated[str, AfterValidator(as_field_validator(validate_microchip))]
#: A person's name: letters of any script, spaces, apostrophes, hyphens, dots; 1–100 chars.
PersonName = Annotated[str, AfterValidator(_person_name)]
#: An IANA timezone name such as ``Europe/London``.
TimezoneName = Annotated[str, AfterValidator(as_field_validator(validate_timezone_name))]
#: A timezone-aware datetime, normalised to UTC; naive datetimes are rejected.
AwareDatetime = Annotated[datetime, AfterValidator(_aware_utc)]
#: A non-negative amount in major units with at most 2 decimal places (``Numeric(10, 2)``).
Money = Annotated[
    Decimal,
    BeforeValidator(_reject_float),
    Field(ge=0, max_digits=10, decimal_places=2, allow_inf_nan=False),
]
#: A non-negative amount in the currency's minor units (cents), as payment providers count.
MinorUnits = Annotated[int, Field(ge=0, strict=True)]
#: An ISO 4217 currency code the platform supports (``USD``).
CurrencyCode = Annotated[str, AfterValidator(as_field_validator(validate_currency_code))]
#: Degrees north, -90 to 90.
Latitude = Annotated[float, Field(ge=-90, le=90, allow_inf_nan=False)]
#: Degrees east, -180 to 180.
Longitude = Annotated[float, Field(ge=-180, le=180, allow_inf_nan=False)]
#: A review rating, whole stars 1 to 5.
Rating = Annotated[int, Field(ge=1, le=5, strict=True)]
#: ISO weekday as the database stores it: 1 = Monday … 7 = Sunday.
IsoWeekday = Annotated[int, Field(ge=1, le=7)]
#: ISO 3166-1 alpha-2 country code (``US``, ``GB``).
CountryCode = Annotated[str, Field(pattern=r"^[A-Z]{2}$")]
#: A short single-line text (titles, reasons).
ShortText = Annotated[str, Field(min_length=1, max_length=200)]
#: Free text (notes, descriptions), bounded so that one request cannot store megabytes.
LongText = Annotated[str, Field(max_length=10_000)]


# --- model bases ------------------------------------------------------------------------------


def _contains_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_contains_nul(k) or _contains_nul(v) for k, v in value.items())
    if isinstance(value, list | tuple | set | frozenset):
        return any(_contains_nul(item) for item in value)
    return False


class InputSchema(BaseModel):
    """Base of request bodies: unknown fields are errors (a typo must not be silently dropped).

    NUL characters are refused everywhere: PostgreSQL text cannot store them.
    """

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @model_validator(mode="before")
    @classmethod
    def _reject_nul(cls, data: Any) -> Any:
        if _contains_nul(data):
            raise ValueError("text must not contain NUL characters")
        return data


class CreateSchema(InputSchema):
    """Base of ``XCreate`` schemas."""


class UpdateSchema(InputSchema):
    """Base of partial ``XUpdate`` schemas: every field optional, at least one must be set.

    ``null`` is accepted only for the fields named in ``NULLABLE_FIELDS`` (columns that may be
    cleared); for any other field it would write NULL into a NOT NULL column, so it is refused.
    Apply an update with :meth:`changes`, which holds only the fields the client sent.
    """

    # Tell clients (and the OpenAPI document) up front that ``{}`` is not an update.
    model_config = ConfigDict(
        extra="forbid", str_strip_whitespace=True, json_schema_extra={"minProperties": 1}
    )

    NULLABLE_FIELDS: ClassVar[frozenset[str]] = frozenset()

    @model_validator(mode="after")
    def _reject_empty_and_null(self) -> UpdateSchema:
        if not self.model_fields_set:
            raise ValueError("an update must set at least one field")
        cleared = sorted(
            name
            for name in self.model_fields_set
            if getattr(self, name) is None and name not in self.NULLABLE_FIELDS
        )
        if cleared:
            raise ValueError(f"{', '.join(cleared)} cannot be null")
        return self

    def changes(self) -> dict[str, Any]:
        """The fields the client set, ready to apply to a model (``{"name": "Rex"}``)."""
        return self.model_dump(exclude_unset=True)


class ORMModel(BaseModel):
    """Base of response schemas, readable straight from SQLAlchemy objects."""

    model_config = ConfigDict(from_attributes=True)


class EntityResponse(ORMModel):
    """The columns every entity shares: its id and when it was created and last changed."""

    id: UUID
    created_at: datetime
    updated_at: datetime


class Attachment(BaseModel):
    """A stored file referenced from a JSONB ``attachments`` array (records, messages)."""

    model_config = ConfigDict(extra="forbid", from_attributes=True)

    file_id: UUID
    name: str = Field(min_length=1, max_length=255)
    content_type: str = Field(pattern=r"^[\w.+-]+/[\w.+-]+$", max_length=127)


class StoredAttachment(ORMModel):
    """An attachment as read back from JSONB: lenient, so that older rows with extra keys still
    render (responses must not fail on data the database already holds)."""

    model_config = ConfigDict(from_attributes=True, extra="ignore")

    file_id: UUID
    name: str
    content_type: str


class CursorPage(BaseModel, Generic[ItemT]):
    """One page of a list: ``items``, the opaque cursor of the next page (``None`` at the end)
    and the ``limit`` that produced it. Cursors (keyset pagination) stay correct while rows are
    inserted, where offsets skip or repeat rows."""

    items: list[ItemT]
    next_cursor: str | None = None
    limit: int = Field(ge=1, le=MAX_PAGE_LIMIT)

    @model_validator(mode="after")
    def _items_fit_limit(self) -> CursorPage[ItemT]:
        if len(self.items) > self.limit:
            raise ValueError(
                f"a page holds at most limit={self.limit} items, got {len(self.items)}"
            )
        return self


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
