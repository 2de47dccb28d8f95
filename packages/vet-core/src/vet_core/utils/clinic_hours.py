"""Build :class:`~vet_core.utils.business_hours.BusinessHours` from stored clinic rows.

The database keeps opening hours with ISO weekdays (1 = Monday … 7 = Sunday), breaks as JSONB
``{"start": "HH:MM", "end": "HH:MM"}`` and closures as inclusive date ranges that either close
the clinic or give it special hours. This module translates those rows (ORM objects or response
schemas, anything with the same attribute names) so that services never redo the mapping, and
in particular never mix up ISO and Python weekdays.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, time, timedelta
from typing import Any, Protocol

from vet_core.exceptions import SchemaValidationException
from vet_core.utils.business_hours import BusinessHours, Closure, OpeningInterval, SpecialHours

#: Longest closure range expanded into days (a clinic closed longer should be marked inactive).
MAX_CLOSURE_DAYS = 366


class OperatingHoursRecord(Protocol):
    """What a ``ClinicOperatingHours`` row offers."""

    @property
    def weekday(self) -> int: ...
    @property
    def opens_at(self) -> time: ...
    @property
    def closes_at(self) -> time: ...
    @property
    def breaks(self) -> Sequence[Any]: ...


class ClosureRecord(Protocol):
    """What a ``ClinicClosure`` row offers."""

    @property
    def starts_on(self) -> date: ...
    @property
    def ends_on(self) -> date: ...
    @property
    def is_closed_all_day(self) -> bool: ...
    @property
    def opens_at(self) -> time | None: ...
    @property
    def closes_at(self) -> time | None: ...


def _as_time(value: object, what: str) -> time:
    if isinstance(value, time):
        return value
    if isinstance(value, str):
        try:
            return time.fromisoformat(value)
        except ValueError:
            pass
    raise SchemaValidationException(
        f"break {what} must be a time such as '12:30', got {value!r}", details={"field": "breaks"}
    )


def _break_bounds(item: object) -> tuple[time, time]:
    """``(start, end)`` of a break given as a JSONB mapping or an object with attributes."""
    if isinstance(item, Mapping):
        start, end = item.get("start"), item.get("end")
    else:
        start, end = getattr(item, "start", None), getattr(item, "end", None)
    return _as_time(start, "start"), _as_time(end, "end")


def iso_to_python_weekday(iso_weekday: int) -> int:
    """ISO weekday (1 = Monday … 7 = Sunday, as stored) → Python's ``date.weekday()`` (0–6)."""
    if not 1 <= iso_weekday <= 7:
        raise SchemaValidationException(
            f"ISO weekday must be 1 (Monday) to 7 (Sunday), got {iso_weekday}",
            details={"field": "weekday"},
        )
    return iso_weekday - 1


def _days(first: date, last: date) -> Iterable[date]:
    count = (last - first).days + 1
    if count < 1:
        raise SchemaValidationException(
            "a closure must not end before it starts", details={"field": "ends_on"}
        )
    if count > MAX_CLOSURE_DAYS:
        raise SchemaValidationException(
            f"a closure may span at most {MAX_CLOSURE_DAYS} days", details={"field": "ends_on"}
        )
    return (first + timedelta(days=offset) for offset in range(count))


def business_hours_from_records(
    timezone: str,
    operating_hours: Iterable[OperatingHoursRecord],
    closures: Iterable[ClosureRecord] = (),
    *,
    open_24h: bool = False,
) -> BusinessHours:
    """The :class:`BusinessHours` of a clinic from its stored hours and closures.

    A closure closed all day becomes a full-day :class:`Closure` for each date of its range; one
    with ``opens_at``/``closes_at`` becomes :class:`SpecialHours` on each of its dates.
    """
    rules = [
        OpeningInterval(
            iso_to_python_weekday(row.weekday),
            row.opens_at,
            row.closes_at,
            breaks=tuple(_break_bounds(item) for item in row.breaks),
        )
        for row in operating_hours
    ]
    full_days: list[Closure] = []
    special: list[SpecialHours] = []
    for row in closures:
        for day in _days(row.starts_on, row.ends_on):
            if row.is_closed_all_day or row.opens_at is None or row.closes_at is None:
                full_days.append(Closure(day))
            else:
                special.append(SpecialHours(day, row.opens_at, row.closes_at))
    return BusinessHours(
        timezone, rules=rules, closures=full_days, special_hours=special, open_24h=open_24h
    )


__all__ = [
    "MAX_CLOSURE_DAYS",
    "ClosureRecord",
    "OperatingHoursRecord",
    "business_hours_from_records",
    "iso_to_python_weekday",
]
