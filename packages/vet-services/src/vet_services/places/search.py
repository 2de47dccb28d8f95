"""Nearest clinics to a point, with filters, full-text and fuzzy name search, one indexed query.

Why one SQL statement and not Python filtering: the geographic part (``earth_box(...) @>
ll_to_earth(latitude, longitude)``) is answered by the GiST index ``ix_clinics_earth``, so only
the clinics inside the radius' bounding cube are ever read, however many clinics exist; the exact
``earth_distance`` check, the filters and "open now" then run on that small candidate set.

"Open now" is decided in SQL in each clinic's *own* timezone (``now AT TIME ZONE
clinics.timezone``) with the same rules and precedence as
:class:`vet_core.utils.business_hours.BusinessHours`: per local business day, a full-day closure
wins, then special hours of a closure, then ``is_open_24h``, then the weekly rules minus their
breaks. An interval whose closing time is at or before its opening time runs past midnight (equal
times: 24 hours) and belongs to the day it opens on, so the clinic is open at a local timestamp
when an interval of *that* day or of the *previous* day contains it. Comparisons are between
local wall-clock timestamps: a boundary in the spring gap takes effect at the end of the gap, as
in ``BusinessHours``; only a boundary inside the repeated autumn hour is judged by the wall clock
on both passes.

There is no trigram index on ``clinics.name``: fuzzy matching (``word_similarity``) is evaluated
only on the clinics inside the radius, never as a scan of the table.
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from vet_core.exceptions import SchemaValidationException
from vet_core.models.enums import Species
from vet_core.utils.geo import validate_coordinates
from vet_core.utils.time import ensure_aware, utcnow

#: Largest radius a search may ask for; a wider one is a different product ("all clinics").
MAX_RADIUS_KM = 200.0
MAX_LIMIT = 100
#: ``word_similarity`` at or above which a name counts as a fuzzy match ("vetrinary" ≈ 0.7).
FUZZY_THRESHOLD = 0.5

#: Distance in metres from the query point (``:lat``/``:lng``) to the clinic ``c``.
DISTANCE_SQL = "earth_distance(ll_to_earth(:lat, :lng), ll_to_earth(c.latitude, c.longitude))"

#: The indexed radius predicate: the cube test uses ``ix_clinics_earth``, the distance is exact.
WITHIN_RADIUS_SQL = (
    "earth_box(ll_to_earth(:lat, :lng), :radius_m) @> ll_to_earth(c.latitude, c.longitude)"
    f" AND {DISTANCE_SQL} <= :radius_m"
)


def _span_length(start: str, end: str) -> str:
    """SQL: the length of the wall-clock span ``start``–``end`` (``end <= start`` is the next day,
    equal is 24 hours), the rule of :class:`vet_core.utils.business_hours.OpeningInterval`."""
    return (
        f"(CASE WHEN {end} <= {start} THEN interval '1 day' ELSE interval '0' END"
        f" + ({end} - {start}))"
    )


#: Whether clinic ``c`` is open at ``:now`` (timestamptz), evaluated in the clinic's timezone:
#: for the local day of ``:now`` and the day before (whose overnight hours may still run), the
#: hours that start on that day, as local timestamps, must contain the local ``:now``.
OPEN_NOW_SQL = f"""
(
  SELECT COALESCE(bool_or(
    CASE
      WHEN x.closed THEN false
      WHEN x.special THEN x.special_open
      WHEN c.is_open_24h THEN d.day = local.at::date
      ELSE EXISTS (
        SELECT 1 FROM clinic_operating_hours h
        WHERE h.clinic_id = c.id
          AND h.weekday = EXTRACT(ISODOW FROM d.day)
          AND local.at >= d.day + h.opens_at
          AND local.at < d.day + h.opens_at + {_span_length("h.opens_at", "h.closes_at")}
          AND NOT EXISTS (
            SELECT 1 FROM jsonb_array_elements(h.breaks) AS b(item)
            CROSS JOIN LATERAL (
              SELECT (b.item ->> 'start')::time AS starts, (b.item ->> 'end')::time AS ends
            ) AS bt
            CROSS JOIN LATERAL (
              -- A break time before the opening is on the next day of an overnight interval.
              SELECT d.day + bt.starts
                     + CASE WHEN bt.starts < h.opens_at THEN interval '1 day'
                            ELSE interval '0' END AS at
            ) AS bs
            WHERE local.at >= bs.at
              AND local.at < bs.at + {_span_length("bt.starts", "bt.ends")}
          )
      )
    END), false)
  FROM (SELECT CAST(:now AS timestamptz) AT TIME ZONE c.timezone AS at) AS local
  CROSS JOIN LATERAL (VALUES (local.at::date), (local.at::date - 1)) AS d(day)
  CROSS JOIN LATERAL (
    SELECT bool_or(cc.is_closed_all_day) AS closed,
           bool_or(NOT cc.is_closed_all_day) AS special,
           bool_or(
             NOT cc.is_closed_all_day
             AND local.at >= d.day + cc.opens_at
             AND local.at < d.day + cc.opens_at + {_span_length("cc.opens_at", "cc.closes_at")}
           ) AS special_open
    FROM clinic_closures cc
    WHERE cc.clinic_id = c.id AND cc.starts_on <= d.day AND cc.ends_on >= d.day
  ) AS x
)
"""  # noqa: S608 - constant SQL fragments only; values are bound

#: A clinic treats ``:species`` if it lists it as a service or a current veterinarian knows it.
SPECIES_SQL = """
(
  CAST(:species AS varchar) = ANY (c.services)
  OR EXISTS (
    SELECT 1 FROM clinic_memberships m
    JOIN veterinarians v ON v.user_id = m.user_id AND v.deleted_at IS NULL
    WHERE m.clinic_id = c.id AND m.ended_at IS NULL AND m.status = 'active'
      AND CAST(:species AS varchar) = ANY (v.species_expertise)
  )
)
"""

#: The expression of the GIN index ``ix_clinics_search``, matched by a plain-language query.
FULL_TEXT_SQL = (
    "(to_tsvector('simple'::regconfig, c.name::text) || array_to_tsvector(c.services::text[]))"
    " @@ plainto_tsquery('simple', :q)"
)

ACTIVE_CLINIC_SQL = "c.deleted_at IS NULL AND c.status = 'active'"


@dataclass(frozen=True, slots=True)
class ClinicFilters:
    """What a searcher may ask for on top of "near me"; every filter narrows the result."""

    open_now: bool = False
    emergency: bool = False
    species: Species | None = None
    service: str | None = None
    accepting_new_patients: bool = False
    #: Words matched by full-text search against the name and the service slugs.
    text: str | None = None
    #: A name as the user typed it, misspellings included (trigram word similarity).
    fuzzy_name: str | None = None


@dataclass(frozen=True, slots=True)
class ClinicHit:
    """One clinic in a search result, with its distance from the query point."""

    id: uuid.UUID
    name: str
    slug: str
    city: str
    phone: str | None
    timezone: str
    latitude: float
    longitude: float
    distance_m: float
    services: tuple[str, ...]
    accepts_emergencies: bool
    accepts_new_patients: bool
    is_open_24h: bool
    name_similarity: float | None


@dataclass(frozen=True, slots=True)
class ClinicPage:
    """A page of hits, nearest first; ``next_cursor`` is ``None`` on the last page."""

    items: list[ClinicHit]
    next_cursor: str | None


def encode_cursor(distance_m: float, clinic_id: uuid.UUID) -> str:
    """An opaque keyset cursor: the ``(distance, id)`` of the last hit of a page."""
    raw = json.dumps([distance_m, str(clinic_id)]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[float, uuid.UUID]:
    """The ``(distance, id)`` of a cursor made by :func:`encode_cursor`."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        distance, clinic_id = json.loads(base64.urlsafe_b64decode(padded))
        return float(distance), uuid.UUID(str(clinic_id))
    except (ValueError, TypeError, binascii.Error) as error:
        raise SchemaValidationException(
            "cursor is not one this search returned", details={"field": "cursor"}
        ) from error


def validate_radius_km(radius_km: float) -> float:
    """A positive radius of at most :data:`MAX_RADIUS_KM`."""
    if not 0 < radius_km <= MAX_RADIUS_KM:
        raise SchemaValidationException(
            f"radius_km must be above 0 and at most {MAX_RADIUS_KM:g}",
            details={"field": "radius_km"},
        )
    return float(radius_km)


def _validate_limit(limit: int) -> int:
    if not 1 <= limit <= MAX_LIMIT:
        raise SchemaValidationException(
            f"limit must be between 1 and {MAX_LIMIT}", details={"field": "limit"}
        )
    return limit


def filter_clauses(filters: ClinicFilters, params: dict[str, Any], now: datetime) -> list[str]:
    """The SQL predicates (on clinic ``c``) for ``filters``, binding their values into ``params``.

    Only constant SQL fragments are joined; every user value travels as a bound parameter.
    """
    clauses: list[str] = []
    if filters.open_now:
        clauses.append(OPEN_NOW_SQL)
        params["now"] = ensure_aware(now, field="now")
    if filters.emergency:
        clauses.append("c.accepts_emergencies")
    if filters.accepting_new_patients:
        clauses.append("c.accepts_new_patients")
    if filters.service:
        clauses.append("CAST(:service AS varchar) = ANY (c.services)")
        params["service"] = filters.service.strip().lower()
    if filters.species is not None:
        clauses.append(SPECIES_SQL)
        params["species"] = Species(filters.species).value
    if filters.text and filters.text.strip():
        clauses.append(FULL_TEXT_SQL)
        params["q"] = filters.text.strip()
    if filters.fuzzy_name and filters.fuzzy_name.strip():
        clauses.append("word_similarity(:fuzzy, c.name) >= :fuzzy_threshold")
        params["fuzzy"] = filters.fuzzy_name.strip()
        params["fuzzy_threshold"] = FUZZY_THRESHOLD
    return clauses


def build_search_sql(filters: ClinicFilters, *, with_cursor: bool) -> str:
    """The statement :func:`search_clinics` runs (exposed for the benchmark's ``EXPLAIN``)."""
    clauses = [ACTIVE_CLINIC_SQL, WITHIN_RADIUS_SQL]
    clauses.extend(filter_clauses(filters, {}, utcnow()))
    similarity = (
        "word_similarity(:fuzzy, c.name)"
        if filters.fuzzy_name and filters.fuzzy_name.strip()
        else "NULL::real"
    )
    inner = (
        "SELECT c.id, c.name, c.slug, c.city, c.phone, c.timezone, c.latitude, c.longitude,"  # noqa: S608 - constant fragments only; values are bound
        " c.services, c.accepts_emergencies, c.accepts_new_patients, c.is_open_24h,"
        f" {DISTANCE_SQL} AS distance_m, {similarity} AS name_similarity"
        " FROM clinics c WHERE " + "\n AND ".join(clauses)
    )
    keyset = (
        " WHERE (hit.distance_m, hit.id) > (CAST(:after_distance AS float8), CAST(:after_id AS uuid))"
        if with_cursor
        else ""
    )
    return f"SELECT * FROM ({inner}) AS hit{keyset} ORDER BY hit.distance_m, hit.id LIMIT :limit"  # noqa: S608 - constant fragments only


def _hit(row: Mapping[Any, Any]) -> ClinicHit:
    similarity = row["name_similarity"]
    return ClinicHit(
        id=row["id"],
        name=row["name"],
        slug=row["slug"],
        city=row["city"],
        phone=row["phone"],
        timezone=row["timezone"],
        latitude=row["latitude"],
        longitude=row["longitude"],
        distance_m=float(row["distance_m"]),
        services=tuple(row["services"] or ()),
        accepts_emergencies=row["accepts_emergencies"],
        accepts_new_patients=row["accepts_new_patients"],
        is_open_24h=row["is_open_24h"],
        name_similarity=None if similarity is None else float(similarity),
    )


def search_params(
    *,
    latitude: float,
    longitude: float,
    radius_km: float,
    filters: ClinicFilters,
    now: datetime,
    limit: int,
    cursor: str | None,
) -> dict[str, Any]:
    """The bound parameters of :func:`build_search_sql` (validated)."""
    lat, lng = validate_coordinates(latitude, longitude)
    params: dict[str, Any] = {
        "lat": lat,
        "lng": lng,
        "radius_m": validate_radius_km(radius_km) * 1000.0,
        "limit": _validate_limit(limit) + 1,
    }
    filter_clauses(filters, params, now)
    if cursor is not None:
        params["after_distance"], params["after_id"] = decode_cursor(cursor)
    return params


async def search_clinics(
    session: AsyncSession,
    *,
    latitude: float,
    longitude: float,
    radius_km: float = 25.0,
    filters: ClinicFilters | None = None,
    now: datetime | None = None,
    limit: int = 20,
    cursor: str | None = None,
) -> ClinicPage:
    """Active clinics within ``radius_km`` of the point, nearest first, matching ``filters``.

    Public information only (no actor): clinic listings are what a pet owner searches before
    having any relation to a clinic. ``now`` (default: the current instant) decides "open now".
    """
    filters = filters or ClinicFilters()
    params = search_params(
        latitude=latitude,
        longitude=longitude,
        radius_km=radius_km,
        filters=filters,
        now=now or utcnow(),
        limit=limit,
        cursor=cursor,
    )
    statement = text(build_search_sql(filters, with_cursor=cursor is not None))
    rows = (await session.execute(statement, params)).mappings().all()
    hits = [_hit(row) for row in rows[:limit]]
    next_cursor = (
        encode_cursor(hits[-1].distance_m, hits[-1].id) if len(rows) > limit and hits else None
    )
    return ClinicPage(items=hits, next_cursor=next_cursor)


async def open_now_clinic_ids(
    session: AsyncSession, clinic_ids: Sequence[uuid.UUID], *, now: datetime | None = None
) -> set[uuid.UUID]:
    """Which of ``clinic_ids`` are open at ``now``, by the same SQL rule the search uses."""
    if not clinic_ids:
        return set()
    statement = text(
        f"SELECT c.id FROM clinics c WHERE c.id = ANY (CAST(:ids AS uuid[])) AND {OPEN_NOW_SQL}"  # noqa: S608 - constant SQL
    )
    params = {"ids": list(clinic_ids), "now": ensure_aware(now or utcnow(), field="now")}
    return set((await session.execute(statement, params)).scalars().all())


__all__ = [
    "DISTANCE_SQL",
    "FUZZY_THRESHOLD",
    "MAX_LIMIT",
    "MAX_RADIUS_KM",
    "OPEN_NOW_SQL",
    "WITHIN_RADIUS_SQL",
    "ClinicFilters",
    "ClinicHit",
    "ClinicPage",
    "build_search_sql",
    "decode_cursor",
    "encode_cursor",
    "filter_clauses",
    "search_clinics",
    "search_params",
    "validate_radius_km",
]
