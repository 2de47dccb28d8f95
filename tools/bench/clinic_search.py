"""Benchmark of the clinic search with 10,000 clinics (not a test: it prints timings).

Seeds a database of its own (``vet_bench_search``, recreated on every run) on ``DATABASE_URL``
or the embedded PostgreSQL: 10,000 clinics over the contiguous United States, most clustered
around 30 metropolitan areas and the rest scattered, each with weekly hours in its local
timezone, some with lunch breaks, 24-hour service, emergencies, services and closures. After
``ANALYZE`` it times :func:`vet_services.places.search.search_clinics` (the service call, through
an ``AsyncSession``, as the API makes it) near city centres within 25 km, with and without the
open-now and other filters, and prints the median and 95th percentile in milliseconds and the
``EXPLAIN ANALYZE`` plan, which must show ``ix_clinics_earth``.

Run: ``.venv/bin/python tools/bench/clinic_search.py [--iterations 300]``
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import time as clock
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, time, timedelta
from typing import Any

from sqlalchemy import URL, insert, text
from sqlalchemy.ext.asyncio import AsyncSession

from vet_core.database.engine import create_engine
from vet_core.models import Clinic, ClinicClosure, ClinicOperatingHours
from vet_core.models.base import uuid7
from vet_core.models.enums import Species
from vet_core.testing import create_database, migrate
from vet_services.places.search import (
    ClinicFilters,
    build_search_sql,
    search_clinics,
    search_params,
)

DATABASE_NAME = "vet_bench_search"
CLINICS = 10_000
RADIUS_KM = 25.0
SEED = 20261123

#: (name, latitude, longitude, timezone) of metropolitan areas the clinics cluster around.
CITIES: list[tuple[str, float, float, str]] = [
    ("New York", 40.7128, -74.0060, "America/New_York"),
    ("Los Angeles", 34.0522, -118.2437, "America/Los_Angeles"),
    ("Chicago", 41.8781, -87.6298, "America/Chicago"),
    ("Houston", 29.7604, -95.3698, "America/Chicago"),
    ("Phoenix", 33.4484, -112.0740, "America/Phoenix"),
    ("Philadelphia", 39.9526, -75.1652, "America/New_York"),
    ("San Antonio", 29.4241, -98.4936, "America/Chicago"),
    ("San Diego", 32.7157, -117.1611, "America/Los_Angeles"),
    ("Dallas", 32.7767, -96.7970, "America/Chicago"),
    ("San Jose", 37.3382, -121.8863, "America/Los_Angeles"),
    ("Austin", 30.2672, -97.7431, "America/Chicago"),
    ("Jacksonville", 30.3322, -81.6557, "America/New_York"),
    ("Columbus", 39.9612, -82.9988, "America/New_York"),
    ("Charlotte", 35.2271, -80.8431, "America/New_York"),
    ("Indianapolis", 39.7684, -86.1581, "America/Indiana/Indianapolis"),
    ("Seattle", 47.6062, -122.3321, "America/Los_Angeles"),
    ("Denver", 39.7392, -104.9903, "America/Denver"),
    ("Washington", 38.9072, -77.0369, "America/New_York"),
    ("Boston", 42.3601, -71.0589, "America/New_York"),
    ("Nashville", 36.1627, -86.7816, "America/Chicago"),
    ("Detroit", 42.3314, -83.0458, "America/Detroit"),
    ("Portland", 45.5152, -122.6784, "America/Los_Angeles"),
    ("Las Vegas", 36.1699, -115.1398, "America/Los_Angeles"),
    ("Memphis", 35.1495, -90.0490, "America/Chicago"),
    ("Atlanta", 33.7490, -84.3880, "America/New_York"),
    ("Miami", 25.7617, -80.1918, "America/New_York"),
    ("Minneapolis", 44.9778, -93.2650, "America/Chicago"),
    ("Kansas City", 39.0997, -94.5786, "America/Chicago"),
    ("Salt Lake City", 40.7608, -111.8910, "America/Denver"),
    ("Pittsburgh", 40.4406, -79.9959, "America/New_York"),
]
SERVICES = ["vaccination", "dentistry", "surgery", "grooming", "imaging", "laboratory", "exotics"]
NAME_WORDS = ["Animal", "Pet", "Veterinary", "Vet", "Companion", "Paws", "Critter", "Family"]
NAME_ENDINGS = ["Hospital", "Clinic", "Care", "Center", "Practice"]


def _timezone_for_longitude(longitude: float) -> str:
    if longitude > -87.5:
        return "America/New_York"
    if longitude > -101.0:
        return "America/Chicago"
    if longitude > -114.0:
        return "America/Denver"
    return "America/Los_Angeles"


def clinic_rows(rng: random.Random) -> list[dict[str, Any]]:
    """10,000 clinics: 80 % within ~40 km of a city centre, 20 % anywhere in the country."""
    rows = []
    for index in range(CLINICS):
        if rng.random() < 0.8:
            _, lat0, lng0, zone = rng.choice(CITIES)
            lat, lng = rng.gauss(lat0, 0.25), rng.gauss(lng0, 0.3)
        else:
            lat, lng = rng.uniform(25.5, 48.5), rng.uniform(-123.5, -68.0)
            zone = _timezone_for_longitude(lng)
        name = (
            f"{rng.choice(NAME_WORDS)} {rng.choice(NAME_WORDS)} {rng.choice(NAME_ENDINGS)} {index}"
        )
        rows.append(
            {
                "id": uuid7(),
                "name": name,
                "slug": f"bench-clinic-{index}",
                "address_line1": f"{index} Main Street",
                "city": "Benchville",
                "country_code": "US",
                "timezone": zone,
                "latitude": lat,
                "longitude": lng,
                "phone": f"+1212555{index:04d}",
                "services": rng.sample(SERVICES + [s.value for s in Species], k=rng.randint(1, 5)),
                "accepts_new_patients": rng.random() < 0.85,
                "accepts_emergencies": rng.random() < 0.2,
                "accepts_walk_ins": rng.random() < 0.3,
                "is_open_24h": rng.random() < 0.08,
                "settings": {},
            }
        )
    return rows


def hours_rows(rng: random.Random, clinics: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Weekday hours for every clinic that is not open around the clock; some Saturdays."""
    rows = []
    for clinic in clinics:
        if clinic["is_open_24h"]:
            continue
        opens = time(rng.choice([7, 8, 9]))
        closes = time(rng.choice([17, 18, 19, 20]))
        breaks = [{"start": "12:00", "end": "13:00"}] if rng.random() < 0.4 else []
        days = [1, 2, 3, 4, 5] + ([6] if rng.random() < 0.5 else [])
        rows.extend(
            {
                "id": uuid7(),
                "clinic_id": clinic["id"],
                "weekday": day,
                "opens_at": opens,
                "closes_at": closes,
                "breaks": breaks,
            }
            for day in days
        )
    return rows


def closure_rows(rng: random.Random, clinics: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A holiday for a fifth of the clinics around the benchmark's week."""
    today = datetime.now(UTC).date()
    return [
        {
            "id": uuid7(),
            "clinic_id": clinic["id"],
            "starts_on": today + timedelta(days=rng.randint(-3, 3)),
            "ends_on": today + timedelta(days=rng.randint(3, 5)),
            "reason": "Holiday",
            "is_closed_all_day": True,
        }
        for clinic in clinics
        if rng.random() < 0.2
    ]


async def seed(session: AsyncSession) -> None:
    rng = random.Random(SEED)
    clinics = clinic_rows(rng)
    started = clock.perf_counter()
    for chunk in range(0, len(clinics), 2000):
        await session.execute(insert(Clinic), clinics[chunk : chunk + 2000])
    hours = hours_rows(rng, clinics)
    for chunk in range(0, len(hours), 5000):
        await session.execute(insert(ClinicOperatingHours), hours[chunk : chunk + 5000])
    closures = closure_rows(rng, clinics)
    await session.execute(insert(ClinicClosure), closures)
    await session.commit()
    print(
        f"seeded {len(clinics)} clinics, {len(hours)} opening intervals, {len(closures)} closures"
        f" in {clock.perf_counter() - started:.1f} s"
    )


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


async def time_scenario(
    name: str, iterations: int, call: Callable[[int], Awaitable[int]]
) -> tuple[float, float, float]:
    for warm in range(10):
        await call(warm)
    timings: list[float] = []
    found = 0
    for iteration in range(iterations):
        started = clock.perf_counter()
        found += await call(iteration)
        timings.append((clock.perf_counter() - started) * 1000)
    median, p95 = statistics.median(timings), percentile(timings, 0.95)
    print(
        f"{name:<46} median {median:6.2f} ms   p95 {p95:6.2f} ms   avg hits {found / iterations:5.1f}"
    )
    return median, p95, found / iterations


def _now() -> datetime:
    """A Wednesday 11:00 in New York (clinics open) fixed so runs compare."""
    return datetime(2026, 11, 25, 16, 0, tzinfo=UTC)


async def explain(session: AsyncSession, filters: ClinicFilters) -> None:
    city = CITIES[0]
    params = search_params(
        latitude=city[1],
        longitude=city[2],
        radius_km=RADIUS_KM,
        filters=filters,
        now=_now(),
        limit=20,
        cursor=None,
    )
    sql = "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + build_search_sql(filters, with_cursor=False)
    plan = (await session.execute(text(sql), params)).scalars().all()
    print("\n".join(plan))
    if not any("ix_clinics_earth" in line for line in plan):
        print("WARNING: the plan does not use ix_clinics_earth", file=sys.stderr)


async def run(url: URL, iterations: int) -> None:
    engine = create_engine(url=url)
    try:
        async with AsyncSession(engine, expire_on_commit=False) as session:
            await seed(session)
        async with engine.connect() as connection:
            await connection.execute(text("ANALYZE"))
            await connection.commit()
        async with AsyncSession(engine) as session:
            rng = random.Random(SEED + 1)
            points = [
                (lat + rng.uniform(-0.05, 0.05), lng + rng.uniform(-0.05, 0.05))
                for _, lat, lng, _ in CITIES
            ]
            scenarios: list[tuple[str, ClinicFilters]] = [
                ("within 25 km", ClinicFilters()),
                ("within 25 km, open now", ClinicFilters(open_now=True)),
                (
                    "open now + emergency + species + new patients",
                    ClinicFilters(
                        open_now=True,
                        emergency=True,
                        species=Species.DOG,
                        accepting_new_patients=True,
                    ),
                ),
                ("service filter", ClinicFilters(service="dentistry")),
                ("full-text 'animal hospital'", ClinicFilters(text="animal hospital")),
                ("fuzzy name 'vetrinary'", ClinicFilters(fuzzy_name="vetrinary")),
            ]
            print(f"\n{iterations} searches per scenario, radius {RADIUS_KM:g} km, limit 20")
            for label, filters in scenarios:

                async def call(i: int, filters: ClinicFilters = filters) -> int:
                    lat, lng = points[i % len(points)]
                    page = await search_clinics(
                        session,
                        latitude=lat,
                        longitude=lng,
                        radius_km=RADIUS_KM,
                        filters=filters,
                        now=_now(),
                    )
                    return len(page.items)

                await time_scenario(label, iterations, call)
            print("\nEXPLAIN ANALYZE, within 25 km of New York, open now:")
            await explain(session, ClinicFilters(open_now=True))
            print("\nEXPLAIN ANALYZE, within 25 km of New York, no filter:")
            await explain(session, ClinicFilters())
    finally:
        await engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--iterations", type=int, default=300)
    args = parser.parse_args()
    server = os.environ.get("DATABASE_URL")
    if not server:
        from vet_core.embedded import EmbeddedPostgres

        server = EmbeddedPostgres().start()
    url = create_database(server, DATABASE_NAME)
    migrate(url)
    print(
        f"database {DATABASE_NAME} on {url.host}:{url.port} (run {uuid.uuid4().hex[:8]}, {datetime.now(UTC).date()})"
    )
    asyncio.run(run(url, args.iterations))


if __name__ == "__main__":
    main()
