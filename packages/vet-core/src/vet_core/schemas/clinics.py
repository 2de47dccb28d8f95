"""Schemas of clinics, their opening hours and closures, and staff memberships.

Weekdays are ISO (1 = Monday … 7 = Sunday) and times are local to the clinic's timezone, as in
the database.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import date, datetime, time
from decimal import Decimal
from typing import Annotated, ClassVar
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, model_validator

from vet_core.models.enums import ClinicStatus, ClinicType, MembershipStatus, StaffRole
from vet_core.schemas.base import (
    AwareDatetime,
    CountryCode,
    CreateSchema,
    Email,
    EntityResponse,
    IsoWeekday,
    Latitude,
    Longitude,
    LongText,
    PhoneNumber,
    TimezoneName,
    UpdateSchema,
)
from vet_core.schemas.identity import HttpUrl
from vet_core.utils.business_hours import weekly_overlap

#: A URL-safe lowercase identifier: ``happy-paws-clinic``.
Slug = Annotated[str, Field(pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$", max_length=200)]
#: A service offered, as a lowercase slug (``dental``, ``x-ray``); indexed for search.
ServiceSlug = Annotated[str, Field(pattern=r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$", max_length=64)]
ClinicName = Annotated[str, Field(min_length=1, max_length=200)]
AddressLine = Annotated[str, Field(min_length=1, max_length=200)]
Locality = Annotated[str, Field(min_length=1, max_length=100)]
PostalCode = Annotated[str, Field(min_length=1, max_length=20)]


def _unique(values: list[str], field: str) -> None:
    if len(set(values)) != len(values):
        raise ValueError(f"{field} must not contain duplicates")


class ClinicCreate(CreateSchema):
    """A new clinic."""

    name: ClinicName
    slug: Slug
    clinic_type: ClinicType = ClinicType.GENERAL_PRACTICE
    description: LongText | None = None
    address_line1: AddressLine
    address_line2: AddressLine | None = None
    city: Locality
    region: Locality | None = None
    postal_code: PostalCode | None = None
    country_code: CountryCode
    timezone: TimezoneName
    latitude: Latitude
    longitude: Longitude
    phone: PhoneNumber | None = None
    email: Email | None = None
    website: HttpUrl | None = None
    services: list[ServiceSlug] = Field(default_factory=list, max_length=100)
    accepts_new_patients: bool = True
    accepts_emergencies: bool = False
    accepts_walk_ins: bool = False
    is_open_24h: bool = False

    @model_validator(mode="after")
    def _services_unique(self) -> ClinicCreate:
        _unique(self.services, "services")
        return self


class ClinicUpdate(UpdateSchema):
    """A partial change to a clinic."""

    NULLABLE_FIELDS: ClassVar[frozenset[str]] = frozenset(
        {"description", "address_line2", "region", "postal_code", "phone", "email", "website"}
    )

    name: ClinicName | None = None
    slug: Slug | None = None
    clinic_type: ClinicType | None = None
    status: ClinicStatus | None = None
    description: LongText | None = None
    address_line1: AddressLine | None = None
    address_line2: AddressLine | None = None
    city: Locality | None = None
    region: Locality | None = None
    postal_code: PostalCode | None = None
    country_code: CountryCode | None = None
    timezone: TimezoneName | None = None
    latitude: Latitude | None = None
    longitude: Longitude | None = None
    phone: PhoneNumber | None = None
    email: Email | None = None
    website: HttpUrl | None = None
    services: list[ServiceSlug] | None = Field(default=None, max_length=100)
    accepts_new_patients: bool | None = None
    accepts_emergencies: bool | None = None
    accepts_walk_ins: bool | None = None
    is_open_24h: bool | None = None

    @model_validator(mode="after")
    def _coordinates_together(self) -> ClinicUpdate:
        # Moving a clinic changes both coordinates; one alone is almost always a client bug.
        if ("latitude" in self.model_fields_set) != ("longitude" in self.model_fields_set):
            raise ValueError("latitude and longitude must be updated together")
        if self.services is not None:
            _unique(self.services, "services")
        return self


class ClinicResponse(EntityResponse):
    """A clinic as anyone may see it."""

    name: str
    slug: str
    clinic_type: ClinicType
    status: ClinicStatus
    description: str | None
    address_line1: str
    address_line2: str | None
    city: str
    region: str | None
    postal_code: str | None
    country_code: str
    timezone: str
    latitude: float
    longitude: float
    phone: str | None
    email: str | None
    website: str | None
    services: list[str]
    accepts_new_patients: bool
    accepts_emergencies: bool
    accepts_walk_ins: bool
    is_open_24h: bool
    rating_average: Decimal | None
    review_count: int


class BreakPeriod(BaseModel):
    """A break inside an opening interval (``{"start": "12:00", "end": "13:00"}`` in JSONB).

    Times follow the opening rule: an ``end`` at or before ``start`` is past midnight, and in an
    overnight interval a ``start`` earlier than the opening is on the next day (``02:00–02:30``
    in ``18:00–08:00``).
    """

    model_config = ConfigDict(extra="forbid", from_attributes=True)

    start: time
    end: time

    @model_validator(mode="after")
    def _ordered(self) -> BreakPeriod:
        if self.end == self.start:
            raise ValueError("a break must not end when it starts")
        return self


_DAY_SECONDS = 86_400


def _seconds(at: time) -> int:
    return at.hour * 3600 + at.minute * 60 + at.second


def _span(start: time, end: time, *, not_before: int = 0) -> tuple[int, int]:
    """``start``–``end`` as seconds from the opening day's midnight, the rule of
    :mod:`vet_core.utils.business_hours`: an end at or before the start is the next day, and a
    start before ``not_before`` (the opening) is the next day too."""
    begin = _seconds(start)
    if begin < not_before:
        begin += _DAY_SECONDS
    length = (_seconds(end) - _seconds(start)) % _DAY_SECONDS or _DAY_SECONDS
    return begin, begin + length


def _check_hours(opens_at: time, closes_at: time, breaks: list[BreakPeriod]) -> None:
    """Breaks inside the interval (which may run past midnight, or last 24 h) and disjoint."""
    opens, closes = _span(opens_at, closes_at)
    spans = sorted(
        ((_span(b.start, b.end, not_before=opens), b) for b in breaks), key=lambda pair: pair[0]
    )
    for (start, end), item in spans:
        if start < opens or end > closes:
            past_midnight = (
                " (times before the opening are the next day)" if closes > _DAY_SECONDS else ""
            )
            raise ValueError(
                f"break {item.start:%H:%M}-{item.end:%H:%M} must lie within "
                f"{opens_at:%H:%M}-{closes_at:%H:%M}{past_midnight}"
            )
    for earlier, later in itertools.pairwise(span for span, _ in spans):
        if later[0] < earlier[1]:
            raise ValueError("breaks must not overlap")


class ClinicOperatingHoursCreate(CreateSchema):
    """One opening interval on an ISO weekday, in the clinic's local time.

    ``closes_at <= opens_at`` closes the next day (``18:00–08:00``, an emergency clinic's night)
    and equal times are open 24 hours; the interval belongs to the weekday it opens on.
    """

    weekday: IsoWeekday
    opens_at: time
    closes_at: time
    breaks: list[BreakPeriod] = Field(default_factory=list, max_length=10)

    @model_validator(mode="after")
    def _consistent(self) -> ClinicOperatingHoursCreate:
        _check_hours(self.opens_at, self.closes_at, self.breaks)
        return self


class ClinicOperatingHoursUpdate(UpdateSchema):
    """A partial change; the service re-checks the merged row (opens/closes/breaks)."""

    weekday: IsoWeekday | None = None
    opens_at: time | None = None
    closes_at: time | None = None
    breaks: list[BreakPeriod] | None = Field(default=None, max_length=10)

    @model_validator(mode="after")
    def _consistent(self) -> ClinicOperatingHoursUpdate:
        if self.opens_at is not None and self.closes_at is not None:
            _check_hours(self.opens_at, self.closes_at, self.breaks or [])
        return self


def overlapping_hours(
    hours: Sequence[ClinicOperatingHoursCreate],
) -> tuple[ClinicOperatingHoursCreate, ClinicOperatingHoursCreate] | None:
    """The first two intervals of a week that share time, in week order; ``None`` if none do.

    An overnight interval overlaps the next weekday's early ones (and Sunday night Monday's).
    """
    ordered = sorted(hours, key=lambda h: (h.weekday, h.opens_at))
    for index, earlier in enumerate(ordered):
        for later in ordered[index + 1 :]:
            if weekly_overlap(
                (earlier.weekday - 1, earlier.opens_at, earlier.closes_at),
                (later.weekday - 1, later.opens_at, later.closes_at),
            ):
                return earlier, later
    return None


class ClinicOperatingHoursResponse(EntityResponse):
    """An opening interval of a clinic."""

    clinic_id: UUID
    weekday: int
    opens_at: time
    closes_at: time
    breaks: list[BreakPeriod]


def _check_closure(
    starts_on: date,
    ends_on: date,
    is_closed_all_day: bool,
    opens_at: time | None,
    closes_at: time | None,
) -> None:
    if ends_on < starts_on:
        raise ValueError("ends_on must not be before starts_on")
    if is_closed_all_day:
        if opens_at is not None or closes_at is not None:
            raise ValueError("a closure for the whole day takes no opens_at/closes_at")
    elif opens_at is None or closes_at is None:
        raise ValueError("special hours need both opens_at and closes_at")


class ClinicClosureCreate(CreateSchema):
    """Closed on ``starts_on``–``ends_on`` (inclusive), or open only ``opens_at``–``closes_at``.

    Special hours may run past midnight (``closes_at <= opens_at``), as weekly hours do.
    """

    starts_on: date
    ends_on: date
    reason: Annotated[str, Field(max_length=200)] | None = None
    is_closed_all_day: bool = True
    opens_at: time | None = None
    closes_at: time | None = None

    @model_validator(mode="after")
    def _consistent(self) -> ClinicClosureCreate:
        _check_closure(
            self.starts_on, self.ends_on, self.is_closed_all_day, self.opens_at, self.closes_at
        )
        return self


class ClinicClosureUpdate(UpdateSchema):
    """A partial change to a closure; the service re-checks the merged row."""

    NULLABLE_FIELDS: ClassVar[frozenset[str]] = frozenset({"reason", "opens_at", "closes_at"})

    starts_on: date | None = None
    ends_on: date | None = None
    reason: Annotated[str, Field(max_length=200)] | None = None
    is_closed_all_day: bool | None = None
    opens_at: time | None = None
    closes_at: time | None = None

    @model_validator(mode="after")
    def _ordered(self) -> ClinicClosureUpdate:
        if self.starts_on and self.ends_on and self.ends_on < self.starts_on:
            raise ValueError("ends_on must not be before starts_on")
        return self


class ClinicClosureResponse(EntityResponse):
    """A closure or special-hours exception."""

    clinic_id: UUID
    starts_on: date
    ends_on: date
    reason: str | None
    is_closed_all_day: bool
    opens_at: time | None
    closes_at: time | None


class ClinicMembershipCreate(CreateSchema):
    """Add a user to a clinic's staff."""

    user_id: UUID
    role: StaffRole


class ClinicMembershipUpdate(UpdateSchema):
    """Change a member's role or status, or end the membership."""

    NULLABLE_FIELDS: ClassVar[frozenset[str]] = frozenset({"ended_at"})

    role: StaffRole | None = None
    status: MembershipStatus | None = None
    ended_at: AwareDatetime | None = None


class ClinicMembershipResponse(EntityResponse):
    """A staff membership."""

    clinic_id: UUID
    user_id: UUID
    role: StaffRole
    status: MembershipStatus
    started_at: datetime
    ended_at: datetime | None


__all__ = [
    "BreakPeriod",
    "ClinicClosureCreate",
    "ClinicClosureResponse",
    "ClinicClosureUpdate",
    "ClinicCreate",
    "ClinicMembershipCreate",
    "ClinicMembershipResponse",
    "ClinicMembershipUpdate",
    "ClinicOperatingHoursCreate",
    "ClinicOperatingHoursResponse",
    "ClinicOperatingHoursUpdate",
    "ClinicResponse",
    "ClinicUpdate",
    "ServiceSlug",
    "Slug",
    "overlapping_hours",
]
