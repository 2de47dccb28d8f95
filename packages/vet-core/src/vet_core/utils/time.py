"""Timezone helpers: aware datetimes only, IANA zones, and local times that survive DST.

Rules the rest of the platform relies on:

* Every instant is an *aware* ``datetime``; naive values are rejected, never guessed.
* Arithmetic and comparisons happen in UTC. Two datetimes that share one ``ZoneInfo`` compare
  and subtract by their *wall* times (PEP 495), which is wrong across a DST change, so local
  values are produced only for output.
* A local wall time is turned into an instant by :func:`localize`, which makes the caller say
  what to do with a time that does not exist (the spring gap) or exists twice (the autumn fold).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, tzinfo
from enum import StrEnum
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from vet_core.exceptions import SchemaValidationException


class NonexistentTimeError(SchemaValidationException):
    """A local wall time falls in a DST gap: the clock never shows it on that day."""

    code = "NONEXISTENT_LOCAL_TIME"


class AmbiguousTimeError(SchemaValidationException):
    """A local wall time falls in a DST fold: the clock shows it twice on that day."""

    code = "AMBIGUOUS_LOCAL_TIME"


class Nonexistent(StrEnum):
    """What :func:`localize` does with a wall time inside a spring-forward gap."""

    #: Move to the first instant after the gap (02:30 on a 02:00→03:00 day becomes 03:00):
    #: the first moment at which the wall clock has reached the requested time.
    SHIFT_FORWARD = "shift_forward"
    #: Raise :class:`NonexistentTimeError`.
    RAISE = "raise"


class Ambiguous(StrEnum):
    """What :func:`localize` does with a wall time inside an autumn fold."""

    #: The first occurrence (still on summer time; ``fold=0``).
    EARLIER = "earlier"
    #: The second occurrence (already on standard time; ``fold=1``).
    LATER = "later"
    #: Raise :class:`AmbiguousTimeError`.
    RAISE = "raise"


#: How far this process's clock runs ahead of the real one; see :func:`set_clock_offset`.
_clock_offset = timedelta(0)


def set_clock_offset(offset: timedelta) -> None:
    """Move :func:`utcnow` of this process ``offset`` ahead of real time (zero restores it).

    For end-to-end tests and demos that must see tomorrow's work today (a reminder due in 24
    hours) without sleeping; production leaves it at zero. Only code that reads the time
    through :func:`utcnow` follows it; the database's ``now()`` does not.
    """
    global _clock_offset  # noqa: PLW0603 - one process-wide clock, set once at start-up
    _clock_offset = offset


def clock_offset() -> timedelta:
    """How far :func:`utcnow` runs ahead of real time (zero unless a test or demo moved it)."""
    return _clock_offset


def utcnow() -> datetime:
    """The current instant, aware, in UTC (``datetime.utcnow()`` is naive and deprecated)."""
    return datetime.now(UTC) + _clock_offset


def ensure_aware(value: datetime, *, field: str = "datetime") -> datetime:
    """Return ``value`` unchanged if it carries a UTC offset; reject a naive datetime.

    A naive datetime has no meaning for a platform whose clinics sit in different zones, so it is
    an error rather than silently assumed to be UTC or server-local.
    """
    if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
        raise SchemaValidationException(
            f"{field} must be timezone-aware (include a UTC offset such as 'Z' or '+01:00')",
            details={"field": field},
        )
    return value


def to_utc(value: datetime) -> datetime:
    """The same instant as an aware UTC datetime; naive input is rejected."""
    return ensure_aware(value).astimezone(UTC)


@cache
def _iana_names() -> frozenset[str]:
    return frozenset(available_timezones())


def parse_timezone(name: str) -> ZoneInfo:
    """The ``ZoneInfo`` of an IANA timezone name such as ``Europe/London``.

    Only names of the IANA database are accepted, spelled exactly (``america/new_york`` would load
    on a case-insensitive filesystem and not elsewhere, so it is refused everywhere). Fixed-offset
    strings such as ``+02:00`` are refused too: a clinic needs its DST rules, not an offset.
    """
    if not isinstance(name, str):
        raise SchemaValidationException(
            "timezone must be a string naming an IANA timezone, e.g. 'Europe/London'"
        )
    candidate = name.strip()
    known = _iana_names()
    if not candidate or (known and candidate not in known):
        raise SchemaValidationException(
            f"'{name}' is not an IANA timezone name (expected e.g. 'America/New_York')",
            details={"value": name},
        )
    try:
        return ZoneInfo(candidate)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise SchemaValidationException(
            f"'{name}' is not an IANA timezone name (expected e.g. 'America/New_York')",
            details={"value": name},
        ) from exc


def _zone(tz: tzinfo | str) -> tzinfo:
    return parse_timezone(tz) if isinstance(tz, str) else tz


def to_zone(value: datetime, tz: tzinfo | str) -> datetime:
    """The same instant expressed in ``tz`` (an IANA name or a ``tzinfo``); naive is rejected."""
    return ensure_aware(value).astimezone(_zone(tz))


def _gap_end(naive: datetime, tz: tzinfo, before: timedelta, after: timedelta) -> datetime:
    """The first instant after the DST gap that swallows ``naive``, found by bisecting seconds.

    ``naive - after`` (as UTC) lies before the transition and ``naive - before`` after it; tzdata
    transitions fall on whole seconds, so a bisection over integer timestamps finds the exact one.
    """
    low = int((naive - after).replace(tzinfo=UTC).timestamp())
    high = int((naive - before).replace(tzinfo=UTC).timestamp()) + 1
    while high - low > 1:
        middle = (low + high) // 2
        if datetime.fromtimestamp(middle, tz).utcoffset() == before:
            low = middle
        else:
            high = middle
    return datetime.fromtimestamp(high, tz)


def _exists(candidate: datetime, naive: datetime) -> bool:
    back = candidate.astimezone(UTC).astimezone(candidate.tzinfo)
    return back.replace(tzinfo=None, fold=0) == naive.replace(fold=0)


def localize(
    naive: datetime,
    tz: tzinfo | str,
    *,
    nonexistent: Nonexistent = Nonexistent.RAISE,
    ambiguous: Ambiguous = Ambiguous.RAISE,
) -> datetime:
    """Attach ``tz`` to a naive local wall time, deciding DST edge cases explicitly.

    ``datetime.replace(tzinfo=...)`` silently accepts wall times that never happen (02:30 on the
    spring-forward night) and picks one of two meanings for times that happen twice (01:30 on the
    autumn night in New York). Both are bugs waiting to happen in scheduling code, so the default
    here is to raise; callers choose ``nonexistent`` and ``ambiguous`` policies when they know
    what they want. The result is aware in ``tz``.
    """
    if naive.tzinfo is not None:
        raise SchemaValidationException(
            "localize() takes a naive local wall time; this datetime already has a timezone"
        )
    zone = _zone(tz)
    first = naive.replace(tzinfo=zone, fold=0)
    second = naive.replace(tzinfo=zone, fold=1)
    before, after = first.utcoffset(), second.utcoffset()
    if before == after or before is None or after is None:
        return first
    if _exists(first, naive):
        if ambiguous is Ambiguous.EARLIER:
            return first
        if ambiguous is Ambiguous.LATER:
            return second
        raise AmbiguousTimeError(
            f"{naive.isoformat()} happens twice in {zone} (the clocks go back); "
            "choose the earlier or the later occurrence",
            details={"local_time": naive.isoformat(), "timezone": str(zone)},
        )
    if nonexistent is Nonexistent.SHIFT_FORWARD:
        return _gap_end(naive.replace(fold=0), zone, before, after)
    raise NonexistentTimeError(
        f"{naive.isoformat()} does not exist in {zone} (the clocks go forward past it)",
        details={"local_time": naive.isoformat(), "timezone": str(zone)},
    )


def wall_clock_instant(naive: datetime, tz: tzinfo | str) -> datetime:
    """The first instant at which the wall clock in ``tz`` reaches ``naive``, as aware UTC.

    This is how opening hours are read: a clinic that opens "at 02:30" on a night the clocks jump
    from 02:00 to 03:00 opens at 03:00, and one that closes "at 01:30" on a night 01:00–02:00
    repeats closes the first time the clock shows 01:30.
    """
    local = localize(naive, tz, nonexistent=Nonexistent.SHIFT_FORWARD, ambiguous=Ambiguous.EARLIER)
    return local.astimezone(UTC)


def local_day_bounds(day: date, tz: tzinfo | str) -> tuple[datetime, datetime]:
    """The UTC instants where ``day`` starts and the next day starts in ``tz``: ``[start, end)``.

    The span is 24 hours on most days, 23 on the spring-forward day and 25 on the autumn day
    (and some zones start the day at 01:00 when DST begins at midnight; this handles that too).
    """
    zone = _zone(tz)
    start = wall_clock_instant(datetime.combine(day, time.min), zone)
    end = wall_clock_instant(datetime.combine(day + timedelta(days=1), time.min), zone)
    return start, end


__all__ = [
    "Ambiguous",
    "AmbiguousTimeError",
    "Nonexistent",
    "NonexistentTimeError",
    "clock_offset",
    "ensure_aware",
    "local_day_bounds",
    "localize",
    "parse_timezone",
    "set_clock_offset",
    "to_utc",
    "to_zone",
    "utcnow",
    "wall_clock_instant",
]
