"""Clinic opening hours evaluated in the clinic's own timezone, correct across DST changes.

Rules are written the way a clinic states them: weekday, local opening and closing time, breaks,
plus closures on dates. Each local boundary becomes an instant with
:func:`~vet_core.utils.time.wall_clock_instant` (the first moment the wall clock reaches it), so:

* an interval ``00:00–00:00`` is a whole local day: 23 hours in spring, 25 in autumn;
* a closing time past midnight (``close <= open``) ends on the next day (overnight shifts);
* a boundary in the spring gap moves to the end of the gap, one in the autumn fold takes the
  first occurrence.

All computation happens in UTC; results are returned in the clinic's zone for display.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from vet_core.exceptions import SchemaValidationException
from vet_core.utils.time import ensure_aware, local_day_bounds, parse_timezone, wall_clock_instant

#: How far :meth:`BusinessHours.next_opening` looks ahead before answering ``None``.
NEXT_OPENING_HORIZON_DAYS = 400

Interval = tuple[datetime, datetime]


def _wall_span(day: date, start: time, end: time) -> tuple[datetime, datetime]:
    """Naive local start/end for ``start``–``end`` on ``day``; ``end <= start`` means next day."""
    begin = datetime.combine(day, start)
    finish = datetime.combine(day, end)
    if finish <= begin:
        finish += timedelta(days=1)
    return begin, finish


@dataclass(frozen=True, slots=True)
class OpeningInterval:
    """One weekly rule: open on ``weekday`` (0 = Monday) from ``opens`` to ``closes``.

    ``closes <= opens`` means the interval ends the next day (``22:00–06:00``), so ``00:00–00:00``
    is open around the clock that day. ``breaks`` are local ``(start, end)`` pairs inside the
    interval; a break time earlier than ``opens`` belongs to the next day of an overnight rule.
    """

    weekday: int
    opens: time
    closes: time
    breaks: tuple[tuple[time, time], ...] = ()

    def __post_init__(self) -> None:
        if isinstance(self.weekday, bool) or not 0 <= self.weekday <= 6:
            raise SchemaValidationException(
                f"weekday must be 0 (Monday) to 6 (Sunday), got {self.weekday}",
                details={"field": "weekday"},
            )
        for value in (self.opens, self.closes, *(t for pair in self.breaks for t in pair)):
            if value.tzinfo is not None:
                raise SchemaValidationException(
                    "opening hours are local wall times; pass times without a timezone",
                    details={"field": "opens"},
                )
        day = date(2001, 1, 1)  # any date: only the order of wall times is checked here
        begin, finish = _wall_span(day, self.opens, self.closes)
        for start, end in self.breaks:
            break_begin, break_end = self._break_span(day, begin, start, end)
            if start == end or not (begin <= break_begin and break_end <= finish):
                raise SchemaValidationException(
                    f"break {start:%H:%M}–{end:%H:%M} must lie inside opening hours "
                    f"{self.opens:%H:%M}–{self.closes:%H:%M}",
                    details={"field": "breaks"},
                )

    @staticmethod
    def _break_span(
        day: date, begin: datetime, start: time, end: time
    ) -> tuple[datetime, datetime]:
        break_begin, break_end = _wall_span(day, start, end)
        if break_begin < begin:
            break_begin += timedelta(days=1)
            break_end += timedelta(days=1)
        return break_begin, break_end

    def instants_on(self, day: date, tz: tzinfo) -> list[Interval]:
        """The UTC intervals this rule opens on ``day`` (which must be its weekday), breaks removed."""
        begin, finish = _wall_span(day, self.opens, self.closes)
        opened = [(wall_clock_instant(begin, tz), wall_clock_instant(finish, tz))]
        cuts: list[Interval] = []
        for start, end in self.breaks:
            break_begin, break_end = self._break_span(day, begin, start, end)
            cuts.append((wall_clock_instant(break_begin, tz), wall_clock_instant(break_end, tz)))
        return _subtract(opened, cuts)


@dataclass(frozen=True, slots=True)
class Closure:
    """A date the clinic is closed: the whole business day, or only ``starts``–``ends`` local.

    A whole-day closure cancels every interval that *starts* on that date (an overnight shift
    belongs to the day it began). A partial closure removes its wall-clock window from whatever
    is open then; ``ends <= starts`` runs past midnight.
    """

    day: date
    starts: time | None = None
    ends: time | None = None

    def __post_init__(self) -> None:
        if (self.starts is None) != (self.ends is None):
            raise SchemaValidationException(
                "a partial closure needs both a start and an end time",
                details={"field": "starts" if self.starts is None else "ends"},
            )

    @property
    def is_full_day(self) -> bool:
        """True when the clinic is closed for the whole business day."""
        return self.starts is None

    def window(self, tz: tzinfo) -> Interval | None:
        """The UTC interval of a partial closure; ``None`` for a full-day closure."""
        if self.starts is None or self.ends is None:
            return None
        begin, finish = _wall_span(self.day, self.starts, self.ends)
        return wall_clock_instant(begin, tz), wall_clock_instant(finish, tz)


@dataclass(frozen=True, slots=True)
class SpecialHours:
    """On ``day`` the clinic is open only ``opens``–``closes`` (``closes <= opens`` runs past
    midnight), instead of its weekly rules: a shortened Christmas Eve, an extra Sunday."""

    day: date
    opens: time
    closes: time

    def instants(self, tz: tzinfo) -> list[Interval]:
        """The UTC interval of these hours."""
        begin, finish = _wall_span(self.day, self.opens, self.closes)
        return [(wall_clock_instant(begin, tz), wall_clock_instant(finish, tz))]


#: A Monday: the reference week in which :func:`weekly_span` lays out weekly rules.
_REFERENCE_MONDAY = date(2001, 1, 1)
#: The length of the week that weekly rules repeat over.
WEEK = timedelta(days=7)


def weekly_span(weekday: int, opens: time, closes: time) -> tuple[timedelta, timedelta]:
    """Where a weekly rule lies in its week, as wall-clock offsets from Monday 00:00.

    ``weekday`` is 0 (Monday) to 6 (Sunday). The same rule as everywhere in this module:
    ``closes <= opens`` ends the next day, so the end may pass the end of the week (a Sunday
    night shift reaches into Monday). Wall-clock, not UTC: a weekly rule keeps its local hours
    whatever the daylight-saving time.
    """
    begin, finish = _wall_span(_REFERENCE_MONDAY + timedelta(days=weekday), opens, closes)
    origin = datetime.combine(_REFERENCE_MONDAY, time.min)
    return begin - origin, finish - origin


def weekly_overlap(first: tuple[int, time, time], second: tuple[int, time, time]) -> bool:
    """Whether two weekly rules ``(weekday, opens, closes)`` share any wall-clock time.

    Overnight rules count on the next day too (Monday ``18:00–08:00`` overlaps Tuesday
    ``07:00–12:00``), and Sunday night overlaps Monday morning. Touching rules do not overlap.
    """
    first_begin, first_end = weekly_span(*first)
    second_begin, second_end = weekly_span(*second)
    return any(
        first_begin < second_end + shift and second_begin + shift < first_end
        for shift in (-WEEK, timedelta(0), WEEK)
    )


def _subtract(intervals: Iterable[Interval], cuts: Sequence[Interval]) -> list[Interval]:
    """``intervals`` minus every interval in ``cuts`` (all half-open ``[start, end)``, in UTC)."""
    result = list(intervals)
    for cut_start, cut_end in cuts:
        remaining: list[Interval] = []
        for start, end in result:
            if cut_end <= start or end <= cut_start:
                remaining.append((start, end))
                continue
            if start < cut_start:
                remaining.append((start, cut_start))
            if cut_end < end:
                remaining.append((cut_end, end))
        result = remaining
    return result


def _merge(intervals: Iterable[Interval]) -> list[Interval]:
    """Sort and join overlapping or touching intervals."""
    merged: list[Interval] = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


@dataclass(frozen=True)
class BusinessHours:
    """A clinic's weekly rules, closures and IANA timezone; answers "open at this instant?".

    ``open_24h`` makes every local day fully open and ignores ``rules``. Precedence on a day: a
    full-day closure, then special hours, then the weekly rules (or 24 h); partial closures are
    cut out of whatever remains.
    """

    timezone: str
    rules: Sequence[OpeningInterval] = ()
    closures: Sequence[Closure] = ()
    open_24h: bool = False
    special_hours: Sequence[SpecialHours] = ()
    _zone: tzinfo = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_zone", parse_timezone(self.timezone))

    @property
    def zone(self) -> tzinfo:
        """The clinic's ``ZoneInfo``."""
        return self._zone

    def _utc_intervals_on(self, day: date) -> list[Interval]:
        """Merged UTC intervals that start on the local business day ``day``."""
        full_day = any(c.is_full_day and c.day == day for c in self.closures)
        if full_day:
            return []
        special = [hours for hours in self.special_hours if hours.day == day]
        if special:
            opened = [interval for hours in special for interval in hours.instants(self._zone)]
        elif self.open_24h:
            opened = [local_day_bounds(day, self._zone)]
        else:
            weekday = day.weekday()
            opened = [
                interval
                for rule in self.rules
                if rule.weekday == weekday
                for interval in rule.instants_on(day, self._zone)
            ]
        windows = [
            window
            for closure in self.closures
            if abs((closure.day - day).days) <= 1 and (window := closure.window(self._zone))
        ]
        return _merge(_subtract(opened, windows))

    def intervals_on(self, day: date) -> list[Interval]:
        """Opening intervals starting on local ``day``, as aware datetimes in the clinic's zone.

        An overnight interval is returned whole (it may end the next day); compare these values
        after converting to UTC, because same-zone comparisons ignore the UTC offset (PEP 495).
        """
        return [
            (start.astimezone(self._zone), end.astimezone(self._zone))
            for start, end in self._utc_intervals_on(day)
        ]

    def _intervals_around(self, first: date, last: date) -> list[Interval]:
        days = (last - first).days
        collected = [
            interval
            for offset in range(days + 1)
            for interval in self._utc_intervals_on(first + timedelta(days=offset))
        ]
        return _merge(collected)

    def is_open(self, at: datetime) -> bool:
        """Whether the clinic is open at the aware instant ``at`` (opening inclusive, closing not)."""
        instant = ensure_aware(at, field="at").astimezone(UTC)
        local_day = instant.astimezone(self._zone).date()
        # An overnight interval of the previous business day may still be running.
        intervals = self._intervals_around(local_day - timedelta(days=1), local_day)
        return any(start <= instant < end for start, end in intervals)

    def next_opening(self, after: datetime) -> datetime | None:
        """The first instant at or after ``after`` when the clinic is open, in the clinic's zone.

        Returns ``after`` itself (converted) when the clinic is already open then, and ``None``
        when nothing opens within :data:`NEXT_OPENING_HORIZON_DAYS` days (no rules, or closed).
        """
        instant = ensure_aware(after, field="after").astimezone(UTC)
        local_day = instant.astimezone(self._zone).date()
        window_start = local_day - timedelta(days=1)
        for chunk in range(0, NEXT_OPENING_HORIZON_DAYS, 7):
            first = window_start + timedelta(days=chunk)
            for start, end in self._intervals_around(first, first + timedelta(days=7)):
                if end <= instant:
                    continue
                return max(start, instant).astimezone(self._zone)
        return None


__all__ = [
    "NEXT_OPENING_HORIZON_DAYS",
    "WEEK",
    "BusinessHours",
    "Closure",
    "Interval",
    "OpeningInterval",
    "SpecialHours",
    "weekly_overlap",
    "weekly_span",
]
