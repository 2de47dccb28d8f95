"""Business hours built from stored rows: ISO weekdays, JSONB breaks, closures, special hours."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any

import pytest

from vet_core.exceptions import SchemaValidationException
from vet_core.utils.business_hours import BusinessHours, Closure, OpeningInterval, SpecialHours
from vet_core.utils.clinic_hours import business_hours_from_records, iso_to_python_weekday


@dataclass
class HoursRow:
    weekday: int
    opens_at: time
    closes_at: time
    breaks: list[Any] = field(default_factory=list)


@dataclass
class ClosureRow:
    starts_on: date
    ends_on: date
    is_closed_all_day: bool = True
    opens_at: time | None = None
    closes_at: time | None = None


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def test_iso_weekdays_map_to_python_weekdays() -> None:
    assert [iso_to_python_weekday(d) for d in range(1, 8)] == list(range(7))
    for bad in (0, 8):
        with pytest.raises(SchemaValidationException, match="ISO weekday must be 1"):
            iso_to_python_weekday(bad)


def test_rows_become_rules_in_the_clinic_zone() -> None:
    # ISO 1 = Monday; breaks as stored in JSONB.
    hours = business_hours_from_records(
        "America/New_York",
        [HoursRow(1, time(9), time(17), [{"start": "12:00", "end": "13:00"}])],
    )
    monday = date(2025, 3, 10)  # the day after the spring change: EDT, UTC-4
    assert [(a.astimezone(UTC), b.astimezone(UTC)) for a, b in hours.intervals_on(monday)] == [
        (utc(2025, 3, 10, 13), utc(2025, 3, 10, 16)),
        (utc(2025, 3, 10, 17), utc(2025, 3, 10, 21)),
    ]
    assert hours.intervals_on(date(2025, 3, 9)) == []  # Sunday (ISO 7) has no row


def test_breaks_may_be_objects_with_start_and_end() -> None:
    @dataclass
    class Break:
        start: time
        end: time

    hours = business_hours_from_records(
        "Europe/London", [HoursRow(3, time(9), time(17), [Break(time(12), time(12, 30))])]
    )
    assert not hours.is_open(utc(2025, 1, 8, 12, 15))
    assert hours.is_open(utc(2025, 1, 8, 12, 30))


def test_malformed_break_is_reported() -> None:
    with pytest.raises(SchemaValidationException, match="break start must be a time"):
        business_hours_from_records(
            "Europe/London", [HoursRow(1, time(9), time(17), [{"end": "13:00"}])]
        )


def test_closure_range_and_special_hours() -> None:
    weekdays = [HoursRow(d, time(9), time(17)) for d in range(1, 6)]
    hours = business_hours_from_records(
        "Europe/London",
        weekdays,
        [
            ClosureRow(date(2025, 12, 25), date(2025, 12, 26)),
            ClosureRow(date(2025, 12, 24), date(2025, 12, 24), False, time(9), time(12)),
        ],
    )
    assert hours.intervals_on(date(2025, 12, 25)) == []
    assert hours.intervals_on(date(2025, 12, 26)) == []
    [(start, end)] = hours.intervals_on(date(2025, 12, 24))
    assert (start.astimezone(UTC), end.astimezone(UTC)) == (
        utc(2025, 12, 24, 9),
        utc(2025, 12, 24, 12),
    )
    opening = hours.next_opening(utc(2025, 12, 24, 13))
    assert opening is not None
    assert opening.astimezone(UTC) == utc(2025, 12, 29, 9)  # Monday after the holidays


def test_special_hours_open_an_otherwise_closed_day() -> None:
    hours = BusinessHours(
        "America/New_York",
        [OpeningInterval(0, time(9), time(17))],
        special_hours=[SpecialHours(date(2025, 11, 2), time(0), time(4))],  # a Sunday
    )
    [(start, end)] = hours.intervals_on(date(2025, 11, 2))
    # Autumn change: 00:00 EDT to 04:00 EST is five real hours.
    assert end.astimezone(UTC) - start.astimezone(UTC) == utc(2025, 1, 1, 5) - utc(2025, 1, 1)


def test_full_day_closure_beats_special_hours() -> None:
    day = date(2025, 12, 24)
    hours = BusinessHours(
        "Europe/London",
        closures=[Closure(day)],
        special_hours=[SpecialHours(day, time(9), time(12))],
    )
    assert hours.intervals_on(day) == []


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (ClosureRow(date(2025, 1, 2), date(2025, 1, 1)), "must not end before it starts"),
        (ClosureRow(date(2025, 1, 1), date(2027, 1, 1)), "at most 366 days"),
    ],
)
def test_bad_closure_ranges(row: ClosureRow, message: str) -> None:
    with pytest.raises(SchemaValidationException, match=message):
        business_hours_from_records("Europe/London", [], [row])


def test_orm_rows_work_directly() -> None:
    from vet_core.models.clinics import ClinicClosure, ClinicOperatingHours

    rows = [
        ClinicOperatingHours(
            weekday=6,
            opens_at=time(10),
            closes_at=time(14),
            breaks=[{"start": "12:00", "end": "12:30"}],
        )
    ]
    closures = [
        ClinicClosure(starts_on=date(2025, 3, 8), ends_on=date(2025, 3, 8), is_closed_all_day=True)
    ]
    hours = business_hours_from_records("America/New_York", rows, closures)
    assert hours.intervals_on(date(2025, 3, 8)) == []  # Saturday closed by the closure
    assert hours.is_open(utc(2025, 3, 15, 14))  # next Saturday 10:00 EDT
    assert not hours.is_open(utc(2025, 3, 15, 16, 15))  # 12:15 break
