"""Timezone helpers and business hours across the DST changes of New York and London (2025).

New York: 9 March 02:00 EST → 03:00 EDT (07:00 UTC); 2 November 02:00 EDT → 01:00 EST (06:00 UTC).
London:   30 March 01:00 GMT → 02:00 BST (01:00 UTC); 26 October 02:00 BST → 01:00 GMT (01:00 UTC).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from vet_core.exceptions import SchemaValidationException, ValidationException
from vet_core.utils.business_hours import BusinessHours, Closure, OpeningInterval
from vet_core.utils.time import (
    Ambiguous,
    AmbiguousTimeError,
    Nonexistent,
    NonexistentTimeError,
    clock_offset,
    ensure_aware,
    local_day_bounds,
    localize,
    parse_timezone,
    set_clock_offset,
    to_utc,
    to_zone,
    utcnow,
)

NY = "America/New_York"
LONDON = "Europe/London"


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


# --- basics -----------------------------------------------------------------------------------


def test_utcnow_is_aware_utc() -> None:
    now = utcnow()
    assert now.tzinfo is UTC
    assert abs((datetime.now(UTC) - now).total_seconds()) < 5


def test_ensure_aware_rejects_naive_with_field_name() -> None:
    with pytest.raises(SchemaValidationException, match="starts_at must be timezone-aware"):
        ensure_aware(datetime(2025, 1, 1, 12), field="starts_at")


def test_ensure_aware_accepts_fixed_offset() -> None:
    value = datetime(2025, 1, 1, 12, tzinfo=timezone(timedelta(hours=2)))
    assert ensure_aware(value) is value
    assert to_utc(value) == utc(2025, 1, 1, 10)


def test_to_zone_converts_instant() -> None:
    local = to_zone(utc(2025, 7, 1, 12), NY)
    assert (local.hour, local.utcoffset()) == (8, timedelta(hours=-4))
    with pytest.raises(SchemaValidationException, match="timezone-aware"):
        to_zone(datetime(2025, 7, 1, 12), NY)


@pytest.mark.parametrize("name", [NY, LONDON, "Asia/Kolkata", "UTC", "Australia/Lord_Howe"])
def test_parse_timezone_accepts_iana(name: str) -> None:
    assert parse_timezone(name) == ZoneInfo(name)


@pytest.mark.parametrize(
    "name", ["Mars/Olympus_Mons", "america/new_york", "+02:00", "", "   ", "../etc/passwd"]
)
def test_parse_timezone_rejects_non_iana(name: str) -> None:
    with pytest.raises(ValidationException, match="is not an IANA timezone name"):
        parse_timezone(name)


# --- localize: gap and fold -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tz", "wall", "gap_end_utc"),
    [
        (NY, datetime(2025, 3, 9, 2, 30), utc(2025, 3, 9, 7)),
        (NY, datetime(2025, 3, 9, 2, 0), utc(2025, 3, 9, 7)),
        (LONDON, datetime(2025, 3, 30, 1, 30), utc(2025, 3, 30, 1)),
    ],
)
def test_nonexistent_time_raises_or_shifts_to_end_of_gap(
    tz: str, wall: datetime, gap_end_utc: datetime
) -> None:
    with pytest.raises(NonexistentTimeError, match="does not exist"):
        localize(wall, tz)
    shifted = localize(wall, tz, nonexistent=Nonexistent.SHIFT_FORWARD)
    assert shifted.astimezone(UTC) == gap_end_utc
    # The shifted value is a real wall time: the first one after the gap.
    assert shifted.replace(tzinfo=None) > wall


def test_nonexistent_error_is_a_validation_exception() -> None:
    with pytest.raises(ValidationException) as info:
        localize(datetime(2025, 3, 9, 2, 30), NY)
    assert info.value.code == "NONEXISTENT_LOCAL_TIME"
    assert info.value.http_status == 422


@pytest.mark.parametrize(
    ("tz", "wall", "earlier_utc", "later_utc"),
    [
        (NY, datetime(2025, 11, 2, 1, 30), utc(2025, 11, 2, 5, 30), utc(2025, 11, 2, 6, 30)),
        (LONDON, datetime(2025, 10, 26, 1, 30), utc(2025, 10, 26, 0, 30), utc(2025, 10, 26, 1, 30)),
    ],
)
def test_ambiguous_time_needs_a_choice(
    tz: str, wall: datetime, earlier_utc: datetime, later_utc: datetime
) -> None:
    with pytest.raises(AmbiguousTimeError, match="happens twice"):
        localize(wall, tz)
    assert localize(wall, tz, ambiguous=Ambiguous.EARLIER).astimezone(UTC) == earlier_utc
    assert localize(wall, tz, ambiguous=Ambiguous.LATER).astimezone(UTC) == later_utc


def test_ordinary_time_ignores_policies() -> None:
    value = localize(datetime(2025, 7, 1, 9), LONDON)
    assert value.utcoffset() == timedelta(hours=1)
    assert value.astimezone(UTC) == utc(2025, 7, 1, 8)


def test_localize_rejects_aware_input() -> None:
    with pytest.raises(SchemaValidationException, match="naive local wall time"):
        localize(utc(2025, 7, 1, 9), LONDON)


# --- day lengths ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tz", "day", "hours"),
    [
        (NY, date(2025, 3, 9), 23),
        (NY, date(2025, 11, 2), 25),
        (NY, date(2025, 6, 15), 24),
        (LONDON, date(2025, 3, 30), 23),
        (LONDON, date(2025, 10, 26), 25),
        (LONDON, date(2025, 1, 15), 24),
    ],
)
def test_local_day_bounds_length(tz: str, day: date, hours: int) -> None:
    start, end = local_day_bounds(day, tz)
    assert start.tzinfo is UTC
    assert end - start == timedelta(hours=hours)
    assert start.astimezone(ZoneInfo(tz)).replace(tzinfo=None) == datetime.combine(day, time())


def test_half_hour_dst_gap_lord_howe() -> None:
    # Australia/Lord_Howe moves its clocks by 30 minutes: 02:00 → 02:30 on 5 October 2025.
    shifted = localize(
        datetime(2025, 10, 5, 2, 15), "Australia/Lord_Howe", nonexistent=Nonexistent.SHIFT_FORWARD
    )
    assert shifted.replace(tzinfo=None) == datetime(2025, 10, 5, 2, 30)
    assert shifted.utcoffset() == timedelta(hours=11)


def test_day_starting_after_a_midnight_gap_santiago() -> None:
    # Chile springs forward at midnight: 7 September 2025 starts at 01:00 and lasts 23 hours.
    start, end = local_day_bounds(date(2025, 9, 7), "America/Santiago")
    local_start = start.astimezone(ZoneInfo("America/Santiago"))
    assert local_start.replace(tzinfo=None) == datetime(2025, 9, 7, 1)
    assert end - start == timedelta(hours=23)
    # ...and falls back at midnight: 5 April 2025 lasts 25 hours.
    start, end = local_day_bounds(date(2025, 4, 5), "America/Santiago")
    assert end - start == timedelta(hours=25)


def test_local_day_bounds_values_new_york_spring() -> None:
    assert local_day_bounds(date(2025, 3, 9), NY) == (utc(2025, 3, 9, 5), utc(2025, 3, 10, 4))


# --- business hours: rules, breaks, closures --------------------------------------------------

WEEKDAYS_9_TO_5 = tuple(
    OpeningInterval(weekday, time(9), time(17), breaks=((time(12), time(13)),))
    for weekday in range(5)
)


def test_weekday_hours_with_lunch_break_in_london_summer() -> None:
    hours = BusinessHours(LONDON, WEEKDAYS_9_TO_5)
    monday = date(2025, 7, 7)
    intervals = [(a.astimezone(UTC), b.astimezone(UTC)) for a, b in hours.intervals_on(monday)]
    assert intervals == [
        (utc(2025, 7, 7, 8), utc(2025, 7, 7, 11)),
        (utc(2025, 7, 7, 12), utc(2025, 7, 7, 16)),
    ]
    assert all(a.tzinfo == ZoneInfo(LONDON) for a, _ in hours.intervals_on(monday))
    assert hours.is_open(utc(2025, 7, 7, 8))  # 09:00 BST, opening is inclusive
    assert not hours.is_open(utc(2025, 7, 7, 7, 59))
    assert not hours.is_open(utc(2025, 7, 7, 11, 30))  # 12:30 lunch
    assert not hours.is_open(utc(2025, 7, 7, 16))  # 17:00, closing is exclusive
    assert hours.intervals_on(date(2025, 7, 6)) == []  # Sunday


def test_is_open_rejects_naive() -> None:
    hours = BusinessHours(LONDON, WEEKDAYS_9_TO_5)
    with pytest.raises(SchemaValidationException, match="at must be timezone-aware"):
        hours.is_open(datetime(2025, 7, 7, 10))


def test_same_rules_in_another_zone_shift_the_instants() -> None:
    hours = BusinessHours(NY, WEEKDAYS_9_TO_5)
    assert hours.is_open(utc(2025, 7, 7, 13))  # 09:00 EDT
    assert not hours.is_open(utc(2025, 7, 7, 12, 59))


def test_spring_forward_interval_is_an_hour_shorter_new_york() -> None:
    # Sunday 9 March 2025: open 01:00–05:00 local, which is 3 real hours.
    hours = BusinessHours(NY, [OpeningInterval(6, time(1), time(5))])
    [(start, end)] = hours.intervals_on(date(2025, 3, 9))
    assert start.astimezone(UTC) == utc(2025, 3, 9, 6)
    assert end.astimezone(UTC) == utc(2025, 3, 9, 9)
    assert end.astimezone(UTC) - start.astimezone(UTC) == timedelta(hours=3)
    assert hours.is_open(utc(2025, 3, 9, 6, 59, 59))  # 01:59:59 EST
    assert hours.is_open(utc(2025, 3, 9, 7))  # 03:00 EDT, right after the jump
    assert hours.is_open(utc(2025, 3, 9, 8, 59, 59))
    assert not hours.is_open(utc(2025, 3, 9, 9))  # 05:00 EDT


def test_opening_inside_the_gap_opens_when_the_gap_ends() -> None:
    hours = BusinessHours(NY, [OpeningInterval(6, time(2, 30), time(8))])
    assert not hours.is_open(utc(2025, 3, 9, 6, 59, 59))  # 01:59:59 EST
    assert hours.is_open(utc(2025, 3, 9, 7))  # 03:00 EDT
    next_open = hours.next_opening(utc(2025, 3, 9, 5))
    assert next_open is not None
    assert next_open.astimezone(UTC) == utc(2025, 3, 9, 7)
    assert next_open.replace(tzinfo=None) == datetime(2025, 3, 9, 3)


def test_london_spring_gap_opening() -> None:
    # Sunday 30 March 2025: 01:30 does not exist; the clinic opens at 02:00 BST = 01:00 UTC.
    hours = BusinessHours(LONDON, [OpeningInterval(6, time(1, 30), time(3))])
    [(start, end)] = hours.intervals_on(date(2025, 3, 30))
    assert (start.astimezone(UTC), end.astimezone(UTC)) == (
        utc(2025, 3, 30, 1),
        utc(2025, 3, 30, 2),
    )
    assert not hours.is_open(utc(2025, 3, 30, 0, 59))
    assert hours.is_open(utc(2025, 3, 30, 1))


def test_autumn_interval_is_an_hour_longer_and_open_in_both_folds() -> None:
    # Sunday 2 November 2025 in New York: 00:00–04:00 local lasts 5 hours.
    hours = BusinessHours(NY, [OpeningInterval(6, time(0), time(4))])
    [(start, end)] = hours.intervals_on(date(2025, 11, 2))
    assert end.astimezone(UTC) - start.astimezone(UTC) == timedelta(hours=5)
    assert hours.is_open(utc(2025, 11, 2, 5, 30))  # 01:30 EDT (first)
    assert hours.is_open(utc(2025, 11, 2, 6, 30))  # 01:30 EST (second)
    assert hours.is_open(utc(2025, 11, 2, 8, 59))
    assert not hours.is_open(utc(2025, 11, 2, 9))  # 04:00 EST


def test_closing_in_the_fold_closes_the_first_time_the_clock_reads_it() -> None:
    # Saturday 1 Nov 2025 20:00 → 01:30 next morning; the first 01:30 is EDT = 05:30 UTC.
    hours = BusinessHours(NY, [OpeningInterval(5, time(20), time(1, 30))])
    assert hours.is_open(utc(2025, 11, 2, 5, 29))
    assert not hours.is_open(utc(2025, 11, 2, 5, 30))
    assert not hours.is_open(utc(2025, 11, 2, 6, 15))  # 01:15 EST, second pass of the clock


def test_london_autumn_fold_hours() -> None:
    # Sunday 26 October 2025: 00:00–03:00 local is 4 hours (01:00–02:00 happens twice).
    hours = BusinessHours(LONDON, [OpeningInterval(6, time(0), time(3))])
    [(start, end)] = hours.intervals_on(date(2025, 10, 26))
    assert (start.astimezone(UTC), end.astimezone(UTC)) == (
        utc(2025, 10, 25, 23),
        utc(2025, 10, 26, 3),
    )
    assert hours.is_open(utc(2025, 10, 26, 0, 30))  # 01:30 BST
    assert hours.is_open(utc(2025, 10, 26, 1, 30))  # 01:30 GMT
    assert not hours.is_open(utc(2025, 10, 26, 3))


def test_overnight_interval_across_autumn_change() -> None:
    # Saturday 1 Nov 2025 22:00 EDT → Sunday 06:00 EST: 9 real hours.
    hours = BusinessHours(NY, [OpeningInterval(5, time(22), time(6))])
    [(start, end)] = hours.intervals_on(date(2025, 11, 1))
    assert start.astimezone(UTC) == utc(2025, 11, 2, 2)
    assert end.astimezone(UTC) == utc(2025, 11, 2, 11)
    assert hours.intervals_on(date(2025, 11, 2)) == []  # belongs to Saturday's business day
    assert hours.is_open(utc(2025, 11, 2, 10, 59))  # Sunday 05:59 EST, previous day's rule
    assert not hours.is_open(utc(2025, 11, 2, 11))


def test_overnight_interval_with_break_after_midnight() -> None:
    rule = OpeningInterval(4, time(22), time(6), breaks=((time(2), time(2, 30)),))
    hours = BusinessHours(LONDON, [rule])
    friday = date(2025, 1, 10)
    intervals = [(a.astimezone(UTC), b.astimezone(UTC)) for a, b in hours.intervals_on(friday)]
    assert intervals == [
        (utc(2025, 1, 10, 22), utc(2025, 1, 11, 2)),
        (utc(2025, 1, 11, 2, 30), utc(2025, 1, 11, 6)),
    ]
    assert not hours.is_open(utc(2025, 1, 11, 2, 15))


@pytest.mark.parametrize(
    ("tz", "day", "hours_long"),
    [(NY, date(2025, 3, 9), 23), (NY, date(2025, 11, 2), 25), (LONDON, date(2025, 10, 26), 25)],
)
def test_24h_clinic_day_follows_dst(tz: str, day: date, hours_long: int) -> None:
    hours = BusinessHours(tz, open_24h=True)
    [(start, end)] = hours.intervals_on(day)
    assert end.astimezone(UTC) - start.astimezone(UTC) == timedelta(hours=hours_long)
    first, last = local_day_bounds(day, tz)
    assert all(hours.is_open(first + timedelta(minutes=m)) for m in range(0, 60 * hours_long, 17))
    assert hours.is_open(last)  # the next day continues


def test_24h_rules_each_day_merge_into_continuous_opening() -> None:
    hours = BusinessHours(NY, [OpeningInterval(d, time(0), time(0)) for d in range(7)])
    after = utc(2025, 3, 9, 6, 59, 59)
    assert hours.is_open(after)
    opening = hours.next_opening(after)
    assert opening is not None
    assert opening.astimezone(UTC) == after


def test_full_day_closure_on_24h_clinic() -> None:
    hours = BusinessHours(LONDON, open_24h=True, closures=[Closure(date(2025, 12, 25))])
    assert hours.intervals_on(date(2025, 12, 25)) == []
    assert hours.is_open(utc(2025, 12, 24, 23, 59))
    assert not hours.is_open(utc(2025, 12, 25, 12))
    opening = hours.next_opening(utc(2025, 12, 25, 10))
    assert opening is not None
    assert opening.astimezone(UTC) == utc(2025, 12, 26)


def test_full_day_closure_cancels_that_business_day_only() -> None:
    hours = BusinessHours(LONDON, WEEKDAYS_9_TO_5, closures=[Closure(date(2025, 12, 25))])
    assert hours.intervals_on(date(2025, 12, 25)) == []
    assert not hours.is_open(utc(2025, 12, 25, 10))
    opening = hours.next_opening(utc(2025, 12, 24, 18))
    assert opening is not None
    assert opening.astimezone(UTC) == utc(2025, 12, 26, 9)


def test_partial_closure_removes_its_window() -> None:
    closure = Closure(date(2025, 12, 24), time(14), time(18))
    hours = BusinessHours(LONDON, WEEKDAYS_9_TO_5, closures=[closure])
    intervals = [
        (a.astimezone(UTC), b.astimezone(UTC)) for a, b in hours.intervals_on(date(2025, 12, 24))
    ]
    assert intervals == [
        (utc(2025, 12, 24, 9), utc(2025, 12, 24, 12)),
        (utc(2025, 12, 24, 13), utc(2025, 12, 24, 14)),
    ]
    assert not hours.is_open(utc(2025, 12, 24, 15))


def test_partial_closure_cuts_previous_overnight_shift() -> None:
    # Friday 22:00–06:00; a closure on Saturday 00:00–03:00 leaves 22:00–00:00 and 03:00–06:00.
    hours = BusinessHours(
        LONDON,
        [OpeningInterval(4, time(22), time(6))],
        closures=[Closure(date(2025, 1, 11), time(0), time(3))],
    )
    assert hours.is_open(utc(2025, 1, 10, 23))
    assert not hours.is_open(utc(2025, 1, 11, 1))
    assert hours.is_open(utc(2025, 1, 11, 4))


def test_next_opening_after_friday_close_is_monday_morning() -> None:
    hours = BusinessHours(NY, WEEKDAYS_9_TO_5)
    opening = hours.next_opening(utc(2025, 3, 7, 23))  # Friday 18:00 EST
    assert opening is not None
    # Monday 10 March 09:00 is already EDT: 13:00 UTC, not 14:00.
    assert opening.astimezone(UTC) == utc(2025, 3, 10, 13)
    assert opening.tzinfo == ZoneInfo(NY)


def test_next_opening_during_lunch_is_after_lunch() -> None:
    hours = BusinessHours(LONDON, WEEKDAYS_9_TO_5)
    opening = hours.next_opening(utc(2025, 1, 6, 12, 15))
    assert opening is not None
    assert opening.astimezone(UTC) == utc(2025, 1, 6, 13)


def test_next_opening_none_when_never_open() -> None:
    assert BusinessHours(LONDON).next_opening(utc(2025, 1, 6)) is None


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"weekday": 7, "opens": time(9), "closes": time(17)}, "weekday must be 0"),
        ({"weekday": -1, "opens": time(9), "closes": time(17)}, "weekday must be 0"),
        (
            {"weekday": 0, "opens": time(9), "closes": time(17), "breaks": ((time(8), time(10)),)},
            "must lie inside opening hours",
        ),
        (
            {"weekday": 0, "opens": time(9), "closes": time(17), "breaks": ((time(16), time(18)),)},
            "must lie inside opening hours",
        ),
        (
            {"weekday": 0, "opens": time(9, tzinfo=UTC), "closes": time(17)},
            "local wall times",
        ),
    ],
)
def test_invalid_rules_are_rejected(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(SchemaValidationException, match=message):
        OpeningInterval(**kwargs)  # type: ignore[arg-type]


def test_partial_closure_needs_both_ends() -> None:
    with pytest.raises(SchemaValidationException, match="needs both a start and an end"):
        Closure(date(2025, 1, 1), starts=time(9))


def test_business_hours_rejects_bad_timezone() -> None:
    with pytest.raises(SchemaValidationException, match="not an IANA timezone"):
        BusinessHours("Europe/Atlantis")


# --- sweep: is_open agrees with the wall clock around every change --------------------------


def _wall_clock_open(local: datetime) -> bool:
    """Reference for SWEEP_RULES: read the local wall clock directly."""
    wall, weekday = local.time(), local.weekday()
    weekday_hours = weekday < 5 and time(9) <= wall < time(17) and not time(12) <= wall < time(13)
    # Saturday 22:00 → Sunday 06:00 overnight shift (crosses both 2025 changes in New York).
    overnight = (weekday == 5 and wall >= time(22)) or (weekday == 6 and wall < time(6))
    return weekday_hours or overnight


SWEEP_RULES = [
    *(OpeningInterval(d, time(9), time(17), breaks=((time(12), time(13)),)) for d in range(5)),
    OpeningInterval(5, time(22), time(6)),
]


@pytest.mark.parametrize(
    ("tz", "first_day"),
    [
        (NY, date(2025, 3, 5)),
        (NY, date(2025, 10, 29)),
        (LONDON, date(2025, 3, 26)),
        (LONDON, date(2025, 10, 22)),
    ],
)
def test_is_open_matches_wall_clock_through_dst_week(tz: str, first_day: date) -> None:
    hours = BusinessHours(tz, SWEEP_RULES)
    zone = ZoneInfo(tz)
    start, _ = local_day_bounds(first_day, tz)
    mismatches = []
    for step in range(0, 8 * 24 * 60, 7):
        instant = start + timedelta(minutes=step)
        if hours.is_open(instant) != _wall_clock_open(instant.astimezone(zone)):
            mismatches.append(instant.astimezone(zone).isoformat())
    assert mismatches == []


def test_clock_offset_moves_utcnow_and_zero_restores_it() -> None:
    real = datetime.now(UTC)
    set_clock_offset(timedelta(hours=25))
    try:
        moved = utcnow()
        assert clock_offset() == timedelta(hours=25)
        assert timedelta(hours=25) <= moved - real < timedelta(hours=25, seconds=5)
    finally:
        set_clock_offset(timedelta(0))
    assert utcnow() - datetime.now(UTC) < timedelta(seconds=1)
    assert clock_offset() == timedelta(0)
