"""Free appointment slots: weekly rules, clinic hours, closures, time off, bookings and holds.

Speed comes from shape: every input kind (clinic, weekly rules, hours, closures, time off,
bookings, live holds) is read once for the whole date range, all in a single round trip
(:data:`SCHEDULE_SQL`), then pure interval arithmetic runs on integer epoch seconds. Nothing is
queried per day, per veterinarian or per slot.

Night shifts: a weekly rule whose end is at or before its start ends the next day (equal times:
24 hours), the rule of :mod:`vet_core.utils.business_hours`; it belongs to the day it starts on,
and its grid runs on past midnight. A slot belongs to the local day it *starts* on, so asking for
Tuesday also offers Tuesday 03:00 of a Monday night shift, and asking for Monday does not.

DST: slots are laid out on the local wall-clock grid (anchored at the start of each weekly rule)
and each local time is turned into an instant on its own. A local time in the spring gap does not
exist and yields no slot; one in the autumn fold exists twice and yields a slot for each
occurrence that is free (never the same instant twice). Days without a transition take a fast
path: one UTC offset for the whole day.
"""

from __future__ import annotations

import json
import uuid
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from vet_core.exceptions import BusinessRuleException, NotFoundException
from vet_core.models.enums import ACTIVE_APPOINTMENT_STATUSES, ServiceType
from vet_core.utils import business_hours_from_records, parse_timezone
from vet_core.utils.time import ensure_aware, utcnow, wall_clock_instant
from vet_services.scheduling.policy import SchedulingPolicy

#: Longest date range one availability call may cover.
MAX_RANGE_DAYS = 62
#: Appointments and holds longer than this are not expected; it bounds the index range scan.
MAX_BUSY_SPAN = timedelta(days=1)

Span = tuple[int, int]
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_DAY = 86_400


class Slot(NamedTuple):
    """A bookable ``[starts_at, ends_at)`` with one veterinarian; instants are aware UTC.

    A named tuple rather than a frozen dataclass: a clinic's week is hundreds of slots, and
    building tuples is several times cheaper.
    """

    starts_at: datetime
    ends_at: datetime
    veterinarian_id: uuid.UUID


@dataclass(frozen=True, slots=True)
class _Rule:
    weekday: int  # ISO, 1 = Monday
    starts: time
    ends: time
    effective_from: date
    effective_until: date | None

    @property
    def seconds(self) -> tuple[int, int]:
        """Start and end as seconds after local midnight of the rule's day; an end at or before
        the start is the next day (a night shift), so it may pass ``_DAY``."""
        start = _seconds(self.starts)
        end = _seconds(self.ends)
        return start, end if end > start else end + _DAY

    def applies_on(self, day: date) -> bool:
        return (
            day.isoweekday() == self.weekday
            and self.effective_from <= day
            and (self.effective_until is None or day <= self.effective_until)
        )


@dataclass(slots=True)
class ScheduleInputs:
    """Everything availability needs for one clinic, some veterinarians and a date range."""

    clinic_id: uuid.UUID
    zone: ZoneInfo
    first_day: date
    last_day: date
    open_spans: list[Span]
    veterinarian_minutes: dict[uuid.UUID, int]
    rules: dict[uuid.UUID, list[_Rule]] = field(default_factory=dict)
    time_off: dict[uuid.UUID, list[Span]] = field(default_factory=dict)
    busy: dict[uuid.UUID, list[Span]] = field(default_factory=dict)


def _epoch(value: datetime) -> int:
    return int(value.timestamp())


def _instant(epoch: int) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


def merge_spans(spans: Iterable[Span]) -> list[Span]:
    """Sort and join overlapping or touching spans."""
    merged: list[Span] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def intersect_spans(left: Sequence[Span], right: Sequence[Span]) -> list[Span]:
    """The intersection of two sorted, disjoint span lists (two-pointer sweep)."""
    result: list[Span] = []
    i = j = 0
    while i < len(left) and j < len(right):
        start = max(left[i][0], right[j][0])
        end = min(left[i][1], right[j][1])
        if start < end:
            result.append((start, end))
        if left[i][1] < right[j][1]:
            i += 1
        else:
            j += 1
    return result


def subtract_spans(spans: Sequence[Span], cuts: Sequence[Span]) -> list[Span]:
    """Sorted disjoint ``spans`` minus sorted disjoint ``cuts``."""
    result: list[Span] = []
    j = 0
    for start, end in spans:
        current = start
        while j < len(cuts) and cuts[j][1] <= current:
            j += 1
        k = j
        while k < len(cuts) and cuts[k][0] < end:
            if cuts[k][0] > current:
                result.append((current, cuts[k][0]))
            current = max(current, cuts[k][1])
            k += 1
        if current < end:
            result.append((current, end))
    return result


class _LocalClock:
    """Turns local wall times of one zone into epoch seconds, fast on days without a transition."""

    def __init__(self, zone: ZoneInfo) -> None:
        self.zone = zone
        self._constant_offset: dict[date, int | None] = {}

    def _day_offset(self, day: date) -> int | None:
        """The day's UTC offset in seconds when it has no transition; ``None`` otherwise."""
        if day not in self._constant_offset:
            start = datetime.combine(day, time.min)
            offsets = {
                self.zone.utcoffset(start),
                self.zone.utcoffset(start.replace(fold=1)),
                self.zone.utcoffset(start + timedelta(days=1)),
            }
            only = offsets.pop() if len(offsets) == 1 else None
            self._constant_offset[day] = int(only.total_seconds()) if only is not None else None
        return self._constant_offset[day]

    def boundary(self, day: date, at: time) -> int:
        """The first instant the wall clock reaches ``at`` on ``day`` (rule and hours edges)."""
        offset = self._day_offset(day)
        if offset is not None:
            return (day.toordinal() - _EPOCH_ORDINAL) * _DAY + _seconds(at) - offset
        return _epoch(wall_clock_instant(datetime.combine(day, at), self.zone))

    def grid(self, day: date, start: int, end: int, step: int) -> Iterable[int]:
        """Instants of the local times ``start, start + step, …`` (< ``end``) on ``day``, ascending.

        Seconds are counted from local midnight; past ``_DAY`` the grid goes on, unbroken, on the
        next day (a night shift), which is converted with that day's own offsets.
        """
        if end <= _DAY:
            return self._day_grid(day, start, end, step)
        before = self._day_grid(day, start, _DAY, step) if start < _DAY else ()
        first_after = start + max(0, -(-(_DAY - start) // step)) * step
        after = self._day_grid(day + timedelta(days=1), first_after - _DAY, end - _DAY, step)
        return [*before, *after]

    def _day_grid(self, day: date, start: int, end: int, step: int) -> Iterable[int]:
        """:meth:`grid` within one local day: without a transition that day this is one
        ``range``; otherwise each local time is converted on its own (gap: none, fold: two)."""
        offset = self._day_offset(day)
        if offset is not None:
            base = (day.toordinal() - _EPOCH_ORDINAL) * _DAY - offset
            return range(base + start, base + end, step)
        return sorted(
            {
                instant
                for seconds in range(start, end, step)
                for instant in self.occurrences(day, seconds)
            }
        )

    def occurrences(self, day: date, seconds: int) -> tuple[int, ...]:
        """Every instant showing ``seconds`` past local midnight of ``day``: 0, 1 or 2 of them."""
        offset = self._day_offset(day)
        naive_epoch = (day.toordinal() - _EPOCH_ORDINAL) * _DAY + seconds
        if offset is not None:
            return (naive_epoch - offset,)
        naive = datetime.combine(day, time.min) + timedelta(seconds=seconds)
        found = []
        for fold in (0, 1):
            candidate = naive.replace(tzinfo=self.zone, fold=fold)
            instant = _epoch(candidate)
            back = datetime.fromtimestamp(instant, self.zone).replace(tzinfo=None, fold=0)
            if back == naive and instant not in found:
                found.append(instant)
        return tuple(sorted(found))


def _seconds(at: time) -> int:
    return at.hour * 3600 + at.minute * 60 + at.second


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=offset) for offset in range((last - first).days + 1)]


def _check_range(first_day: date, last_day: date) -> None:
    if last_day < first_day:
        raise BusinessRuleException(
            "the date range ends before it starts", code="DATE_RANGE_INVALID"
        )
    if (last_day - first_day).days >= MAX_RANGE_DAYS:
        raise BusinessRuleException(
            f"availability covers at most {MAX_RANGE_DAYS} days per request",
            code="DATE_RANGE_TOO_LONG",
            details={"max_days": MAX_RANGE_DAYS},
        )


class _HoursRow(NamedTuple):
    weekday: int
    opens_at: time
    closes_at: time
    breaks: list[Any]


class _ClosureRow(NamedTuple):
    starts_on: date
    ends_on: date
    is_closed_all_day: bool
    opens_at: time | None
    closes_at: time | None


def _time(value: str | None) -> time | None:
    return time.fromisoformat(value) if value is not None else None


_ACTIVE = [status.value for status in ACTIVE_APPOINTMENT_STATUSES]

#: Everything availability reads, in one round trip (a round trip costs about as much as the
#: whole computation). Each input kind is still read exactly once per call, by its own subquery:
#: never per day or per slot. ``vets`` is the veterinarians asked for, or else every one with a
#: weekly rule at the clinic in the range; bookings and holds are found through their
#: ``(veterinarian_id, starts_at)`` indexes, bounded below by the longest span we expect.
#: Instants come back as epoch seconds, ready for the interval arithmetic.
SCHEDULE_SQL = text(
    """
WITH vets AS (
    SELECT v.id, v.default_appointment_minutes
    FROM veterinarians v
    WHERE v.deleted_at IS NULL
      AND v.id = ANY (COALESCE(
          CAST(:vet_ids AS uuid[]),
          ARRAY(SELECT DISTINCT a.veterinarian_id FROM veterinarian_availabilities a
                WHERE a.clinic_id = CAST(:clinic_id AS uuid)
                  AND a.effective_from <= CAST(:last_day AS date)
                  AND (a.effective_until IS NULL OR a.effective_until >= CAST(:first_day AS date)))
      ))
),
busy AS (
    SELECT 'off' AS kind, t.veterinarian_id AS vet, t.starts_at, t.ends_at
    FROM veterinarian_time_off t JOIN vets ON vets.id = t.veterinarian_id
    WHERE t.starts_at < CAST(:range_end AS timestamptz)
      AND t.ends_at > CAST(:range_start AS timestamptz)
    UNION ALL
    SELECT 'busy', ap.veterinarian_id, ap.starts_at, ap.ends_at
    FROM appointments ap JOIN vets ON vets.id = ap.veterinarian_id
    WHERE ap.status = ANY (CAST(:active_statuses AS varchar[]))
      AND ap.deleted_at IS NULL
      AND ap.starts_at >= CAST(:busy_from AS timestamptz)
      AND ap.starts_at < CAST(:range_end AS timestamptz)
      AND ap.ends_at > CAST(:range_start AS timestamptz)
    UNION ALL
    SELECT 'busy', h.veterinarian_id, h.starts_at, h.ends_at
    FROM appointment_holds h JOIN vets ON vets.id = h.veterinarian_id
    WHERE h.status = 'active'
      AND h.expires_at > CAST(:now AS timestamptz)
      AND h.starts_at >= CAST(:busy_from AS timestamptz)
      AND h.starts_at < CAST(:range_end AS timestamptz)
      AND h.ends_at > CAST(:range_start AS timestamptz)
      AND h.id IS DISTINCT FROM CAST(:exclude_hold_id AS uuid)
),
busy_arrays AS (
    -- Plain arrays, not JSON: they cross the wire in binary and decode in C.
    SELECT array_agg(busy.kind = 'off') AS is_time_off,
           array_agg(busy.vet) AS vet_ids,
           array_agg(floor(date_part('epoch', busy.starts_at))::bigint) AS starts,
           array_agg(ceil(date_part('epoch', busy.ends_at))::bigint) AS ends
    FROM busy
)
SELECT c.timezone, c.is_open_24h,
    (SELECT COALESCE(json_agg(json_build_array(o.weekday, o.opens_at, o.closes_at, o.breaks)), '[]')
       FROM clinic_operating_hours o WHERE o.clinic_id = c.id) AS hours,
    (SELECT COALESCE(json_agg(json_build_array(
                x.starts_on, x.ends_on, x.is_closed_all_day, x.opens_at, x.closes_at)), '[]')
       FROM clinic_closures x
      WHERE x.clinic_id = c.id
        AND x.starts_on <= CAST(:last_day AS date) + 1
        AND x.ends_on >= CAST(:first_day AS date) - 1) AS closures,
    (SELECT COALESCE(json_agg(json_build_array(vets.id, vets.default_appointment_minutes)), '[]')
       FROM vets) AS vets,
    (SELECT COALESCE(json_agg(json_build_array(
                a.veterinarian_id, a.weekday, a.starts_at_local, a.ends_at_local,
                a.effective_from, a.effective_until)), '[]')
       FROM veterinarian_availabilities a JOIN vets ON vets.id = a.veterinarian_id
      WHERE a.clinic_id = c.id
        AND a.effective_from <= CAST(:last_day AS date)
        AND (a.effective_until IS NULL OR a.effective_until >= CAST(:first_day AS date))) AS rules,
    b.is_time_off, b.vet_ids, b.starts, b.ends
FROM clinics c CROSS JOIN busy_arrays b
WHERE c.id = CAST(:clinic_id AS uuid) AND c.deleted_at IS NULL
"""
)


def _json(value: Any) -> Any:
    """asyncpg hands ``json`` over as text; other drivers may already have decoded it."""
    return json.loads(value) if isinstance(value, str | bytes) else value


async def load_schedule(
    session: AsyncSession,
    *,
    clinic_id: uuid.UUID,
    first_day: date,
    last_day: date,
    veterinarian_ids: Sequence[uuid.UUID] | None = None,
    now: datetime | None = None,
    exclude_hold_id: uuid.UUID | None = None,
) -> ScheduleInputs:
    """Load the inputs of availability for local days ``first_day``–``last_day`` (one query).

    ``veterinarian_ids=None`` means every veterinarian with a weekly rule at the clinic in that
    range. Holds count while active and unexpired at ``now``; ``exclude_hold_id`` leaves out the
    hold being converted into the appointment it reserved.
    """
    now = ensure_aware(now, field="now") if now is not None else utcnow()
    # A UTC superset of the local days (offsets stay within ±14 h), plus the day before for
    # overnight spans; exact local bounds are applied by the interval arithmetic.
    range_start = datetime.combine(first_day - timedelta(days=2), time.min, tzinfo=UTC)
    range_end = datetime.combine(last_day + timedelta(days=3), time.min, tzinfo=UTC)
    row = (
        await session.execute(
            SCHEDULE_SQL,
            {
                "clinic_id": clinic_id,
                "vet_ids": list(veterinarian_ids) if veterinarian_ids is not None else None,
                "first_day": first_day,
                "last_day": last_day,
                "range_start": range_start,
                "range_end": range_end,
                "busy_from": range_start - MAX_BUSY_SPAN,
                "now": now,
                "exclude_hold_id": exclude_hold_id,
                "active_statuses": _ACTIVE,
            },
        )
    ).one_or_none()
    if row is None:
        raise NotFoundException("Clinic not found", code="CLINIC_NOT_FOUND")
    timezone, open_24h = row[0], row[1]
    zone = parse_timezone(timezone)
    if not isinstance(zone, ZoneInfo):  # pragma: no cover - parse_timezone returns ZoneInfo
        raise TypeError(zone)

    minutes = {uuid.UUID(vet): default for vet, default in _json(row.vets)}
    rules: dict[uuid.UUID, list[_Rule]] = defaultdict(list)
    for vet, weekday, starts, ends, eff_from, eff_until in _json(row.rules):
        rules[uuid.UUID(vet)].append(
            _Rule(
                weekday,
                time.fromisoformat(starts),
                time.fromisoformat(ends),
                date.fromisoformat(eff_from),
                date.fromisoformat(eff_until) if eff_until is not None else None,
            )
        )
    hours = (
        []
        if open_24h
        else [
            _HoursRow(weekday, time.fromisoformat(opens), time.fromisoformat(closes), breaks)
            for weekday, opens, closes, breaks in _json(row.hours)
        ]
    )
    closures = [
        _ClosureRow(
            date.fromisoformat(starts_on), date.fromisoformat(ends_on), closed, _time(o), _time(c)
        )
        for starts_on, ends_on, closed, o, c in _json(row.closures)
    ]
    business_hours = business_hours_from_records(timezone, hours, closures, open_24h=open_24h)
    # The day before counts too: an overnight opening reaches into the range.
    open_spans = merge_spans(
        (_epoch(start), _epoch(end))
        for day in _days(first_day - timedelta(days=1), last_day)
        for start, end in business_hours.intervals_on(day)
    )
    time_off: dict[uuid.UUID, list[Span]] = defaultdict(list)
    busy: dict[uuid.UUID, list[Span]] = defaultdict(list)
    if row.vet_ids is not None:
        for is_time_off, vet_id, start, end in zip(
            row.is_time_off, row.vet_ids, row.starts, row.ends, strict=True
        ):
            (time_off if is_time_off else busy)[vet_id].append((start, end))
    return ScheduleInputs(
        clinic_id=clinic_id,
        zone=zone,
        first_day=first_day,
        last_day=last_day,
        open_spans=open_spans,
        veterinarian_minutes=minutes,
        rules=dict(rules),
        time_off={vet_id: merge_spans(spans) for vet_id, spans in time_off.items()},
        busy=dict(busy),
    )


@dataclass(frozen=True, slots=True)
class _Window:
    """A stretch of local wall time on one day in which slots are laid out from ``start``."""

    day: date
    start: int  # seconds after local midnight
    end: int  # past ``_DAY`` for a night shift: on the next day


class _Planner:
    """Computes free spans and slots of the veterinarians in ``inputs`` (pure, no I/O)."""

    def __init__(
        self,
        inputs: ScheduleInputs,
        policy: SchedulingPolicy,
        *,
        emergency: bool,
    ) -> None:
        self.inputs = inputs
        self.policy = policy
        self.emergency = emergency
        self.clock = _LocalClock(inputs.zone)
        self.days = _days(inputs.first_day, inputs.last_day)
        self._windows: dict[uuid.UUID, list[_Window]] = {}

    def windows(self, vet_id: uuid.UUID) -> list[_Window]:
        """Local working windows per day: the weekly rules, or whole days for emergencies."""
        cached = self._windows.get(vet_id)
        if cached is not None:
            return cached
        if self.emergency:
            windows = [_Window(day, 0, _DAY) for day in self.days]
        else:
            by_weekday: dict[int, list[_Rule]] = defaultdict(list)
            for rule in self.inputs.rules.get(vet_id, []):
                by_weekday[rule.weekday].append(rule)
            windows = [
                _Window(day, *rule.seconds)
                for day in self.days
                for rule in by_weekday.get(day.isoweekday(), ())
                if rule.applies_on(day)
            ]
        self._windows[vet_id] = windows
        return windows

    def working_spans(self, vet_id: uuid.UUID) -> list[Span]:
        """When the veterinarian works and the clinic is open, minus time off (no bookings)."""
        clock = self.clock
        spans = merge_spans(
            (clock.boundary(w.day, _as_time(w.start)), _boundary_end(clock, w))
            for w in self.windows(vet_id)
        )
        if not self.emergency:
            spans = intersect_spans(spans, self.inputs.open_spans)
        return subtract_spans(spans, self.inputs.time_off.get(vet_id, []))

    def blocked_spans(self, vet_id: uuid.UUID) -> list[Span]:
        """Bookings and live holds, widened so a new visit keeps both buffers clear."""
        pad = (self.policy.buffer_before_minutes + self.policy.buffer_after_minutes) * 60
        return merge_spans(
            (start - pad, end + pad) for start, end in self.inputs.busy.get(vet_id, [])
        )

    def free_spans(self, vet_id: uuid.UUID) -> list[Span]:
        return subtract_spans(self.working_spans(vet_id), self.blocked_spans(vet_id))

    def slots(
        self, vet_id: uuid.UUID, duration: timedelta, earliest: int, latest: int
    ) -> list[tuple[int, int]]:
        """``(start, end)`` epochs of every free grid slot starting in ``[earliest, latest)``."""
        free = self.free_spans(vet_id)
        if not free:
            return []
        starts = [start for start, _ in free]
        length = int(duration.total_seconds())
        step = self.policy.slot_interval_minutes * 60
        found: set[int] = set()
        for window in self.windows(vet_id):
            for start in self.clock.grid(window.day, window.start, window.end, step):
                if earliest <= start < latest:
                    index = bisect_right(starts, start) - 1
                    if index >= 0 and start + length <= free[index][1]:
                        found.add(start)
        return [(start, start + length) for start in sorted(found)]


def _as_time(seconds: int) -> time:
    return time(seconds // 3600, seconds % 3600 // 60, seconds % 60)


def _boundary_end(clock: _LocalClock, window: _Window) -> int:
    if window.end >= _DAY:  # midnight or later: on the next day (a night shift)
        return clock.boundary(window.day + timedelta(days=1), _as_time(window.end - _DAY))
    return clock.boundary(window.day, _as_time(window.end))


def _bounds(policy: SchedulingPolicy, now: datetime, *, emergency: bool) -> tuple[int, int]:
    earliest = now if emergency else now + policy.min_notice
    return _epoch(earliest), _epoch(now + policy.max_horizon)


async def veterinarian_slots(
    session: AsyncSession,
    *,
    veterinarian_id: uuid.UUID,
    clinic_id: uuid.UUID,
    first_day: date,
    last_day: date,
    service_type: ServiceType,
    policy: SchedulingPolicy | None = None,
    now: datetime | None = None,
    emergency: bool = False,
) -> list[Slot]:
    """Free slots of one veterinarian at one clinic over local days ``first_day``–``last_day``.

    Public information (no actor): a slot reveals only that time is free, never who is booked.
    ``emergency`` ignores weekly rules, clinic hours and the minimum notice, but never bookings,
    holds or time off.
    """
    return await _slots(
        session,
        clinic_id=clinic_id,
        veterinarian_ids=[veterinarian_id],
        first_day=first_day,
        last_day=last_day,
        service_type=service_type,
        policy=policy,
        now=now,
        emergency=emergency,
    )


async def clinic_slots(
    session: AsyncSession,
    *,
    clinic_id: uuid.UUID,
    first_day: date,
    last_day: date,
    service_type: ServiceType,
    veterinarian_ids: Sequence[uuid.UUID] | None = None,
    policy: SchedulingPolicy | None = None,
    now: datetime | None = None,
) -> list[Slot]:
    """Free slots at a clinic across its veterinarians (those with weekly rules there).

    Sorted by start, then veterinarian; the same instant appears once per free veterinarian.
    """
    return await _slots(
        session,
        clinic_id=clinic_id,
        veterinarian_ids=veterinarian_ids,
        first_day=first_day,
        last_day=last_day,
        service_type=service_type,
        policy=policy,
        now=now,
        emergency=False,
    )


async def _slots(
    session: AsyncSession,
    *,
    clinic_id: uuid.UUID,
    veterinarian_ids: Sequence[uuid.UUID] | None,
    first_day: date,
    last_day: date,
    service_type: ServiceType,
    policy: SchedulingPolicy | None,
    now: datetime | None,
    emergency: bool,
) -> list[Slot]:
    _check_range(first_day, last_day)
    policy = policy or SchedulingPolicy()
    now = ensure_aware(now, field="now") if now is not None else utcnow()
    # From the day before: its night shifts reach into the first day.
    inputs = await load_schedule(
        session,
        clinic_id=clinic_id,
        first_day=first_day - timedelta(days=1),
        last_day=last_day,
        veterinarian_ids=veterinarian_ids,
        now=now,
    )
    planner = _Planner(inputs, policy, emergency=emergency)
    earliest, latest = _bounds(policy, now, emergency=emergency)
    # A slot belongs to the local day it starts on.
    earliest = max(earliest, planner.clock.boundary(first_day, time.min))
    latest = min(latest, planner.clock.boundary(last_day + timedelta(days=1), time.min))
    found: list[tuple[int, str, int, uuid.UUID]] = []
    for vet_id, default_minutes in inputs.veterinarian_minutes.items():
        duration = policy.duration_for(service_type, default_minutes)
        order = str(vet_id)
        found.extend(
            (start, order, end, vet_id)
            for start, end in planner.slots(vet_id, duration, earliest, latest)
        )
    found.sort()
    instants: dict[int, datetime] = {}  # a clinic's veterinarians share most instants

    def instant(epoch: int) -> datetime:
        value = instants.get(epoch)
        if value is None:
            value = instants[epoch] = _instant(epoch)
        return value

    return [Slot(instant(start), instant(end), vet_id) for start, _, end, vet_id in found]


@dataclass(frozen=True, slots=True)
class SlotCheck:
    """Whether a requested interval may be booked, and if not, why."""

    #: Inside the veterinarian's working time at an open clinic, not during time off.
    within_hours: bool
    #: Overlaps a booking or live hold (buffers included).
    collides: bool
    #: Default appointment length of the veterinarian (minutes).
    default_minutes: int


async def check_interval(
    session: AsyncSession,
    *,
    clinic_id: uuid.UUID,
    veterinarian_id: uuid.UUID,
    starts_at: datetime,
    ends_at: datetime | None,
    service_type: ServiceType,
    policy: SchedulingPolicy,
    now: datetime,
    emergency: bool = False,
    exclude_hold_id: uuid.UUID | None = None,
) -> tuple[datetime, SlotCheck]:
    """Check ``[starts_at, ends_at)`` against the schedule; returns the end used and the verdict.

    ``ends_at=None`` takes the service's length. A pre-check for clear errors only: whether two
    racing bookings overlap is decided by the exclusion constraint, not here.
    """
    starts_at = ensure_aware(starts_at, field="starts_at")
    # The local day may be the UTC day before, and a night shift (up to 24 h) of the day before
    # that may still run.
    inputs = await load_schedule(
        session,
        clinic_id=clinic_id,
        first_day=starts_at.astimezone(UTC).date() - timedelta(days=2),
        last_day=starts_at.astimezone(UTC).date() + timedelta(days=1),
        veterinarian_ids=[veterinarian_id],
        now=now,
        exclude_hold_id=exclude_hold_id,
    )
    if veterinarian_id not in inputs.veterinarian_minutes:
        raise NotFoundException("Veterinarian not found", code="VETERINARIAN_NOT_FOUND")
    default_minutes = inputs.veterinarian_minutes[veterinarian_id]
    if ends_at is None:
        ends_at = starts_at + policy.duration_for(service_type, default_minutes)
    ends_at = ensure_aware(ends_at, field="ends_at")
    start, end = _epoch(starts_at), _epoch(ends_at)
    planner = _Planner(inputs, policy, emergency=emergency)
    working = planner.working_spans(veterinarian_id)
    index = bisect_right([s for s, _ in working], start) - 1
    within = index >= 0 and end <= working[index][1]
    collides = any(s < end and start < e for s, e in planner.blocked_spans(veterinarian_id))
    return ends_at, SlotCheck(
        within_hours=within, collides=collides, default_minutes=default_minutes
    )


__all__ = [
    "MAX_RANGE_DAYS",
    "ScheduleInputs",
    "Slot",
    "SlotCheck",
    "check_interval",
    "clinic_slots",
    "intersect_spans",
    "load_schedule",
    "merge_spans",
    "subtract_spans",
    "veterinarian_slots",
]
