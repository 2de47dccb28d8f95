"""Benchmark (not a test): availability with 1,000,000 appointments in the table.

    uv run --package vet-services python tools/bench/scheduling_availability.py [--reuse]

Seeds a database of its own (``vet_bench_scheduling`` on ``DATABASE_URL``'s server, or on the
embedded PostgreSQL): 200 veterinarians at 20 clinics, each with 5,000 appointments over about
500 days around today (10 a day, back to back, some cancelled, past ones completed), inserted with
one ``INSERT … SELECT generate_series`` so the exclusion constraint checks every row. It then
times, many times each:

* one veterinarian's free slots over 14 days;
* a 10-veterinarian clinic's free slots over 7 days;

and prints the median and 95th percentile in milliseconds (target: both medians under 20 ms).
``--reuse`` keeps an already seeded database instead of rebuilding it.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import date, timedelta
from datetime import time as clock
from zoneinfo import ZoneInfo

from sqlalchemy import URL, func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from vet_core.database.engine import build_database_url, create_engine
from vet_core.database.session import create_session_factory
from vet_core.embedded import database_url
from vet_core.models import (
    Appointment,
    Clinic,
    ClinicOperatingHours,
    Pet,
    User,
    Veterinarian,
    VeterinarianAvailability,
)
from vet_core.models.enums import ServiceType, UserRole
from vet_core.testing import create_database, migrate
from vet_core.utils.time import utcnow
from vet_services.scheduling import SchedulingPolicy, clinic_slots, veterinarian_slots

DATABASE = "vet_bench_scheduling"
CLINICS = 20
VETS_PER_CLINIC = 10
APPOINTMENTS_PER_VET = 5_000
PER_DAY = 10
ZONE = "America/New_York"
WARMUP = 20
ITERATIONS = 300


async def seed_entities(session: AsyncSession) -> tuple[uuid.UUID, list[uuid.UUID]]:
    """Clinics (Mon–Fri 08–18, lunch 12–13), their veterinarians (Mon–Fri 09–17), an owner, pets."""
    owner = User(
        clerk_user_id="bench_owner",
        email="owner@bench.example",
        first_name="Bench",
        last_name="Owner",
        role=UserRole.PET_OWNER,
    )
    session.add(owner)
    await session.flush()
    session.add_all(
        Pet(owner_id=owner.id, name=f"Pet {n}", species="dog", birth_date=date(2020, 1, 1))
        for n in range(100)
    )
    clinic_ids: list[uuid.UUID] = []
    for c in range(CLINICS):
        clinic = Clinic(
            name=f"Bench Clinic {c}",
            slug=f"bench-clinic-{c}",
            address_line1="1 Bench Road",
            city="New York",
            country_code="US",
            timezone=ZONE,
            latitude=40.7,
            longitude=-74.0,
        )
        session.add(clinic)
        await session.flush()
        clinic_ids.append(clinic.id)
        for weekday in range(1, 6):
            session.add(
                ClinicOperatingHours(
                    clinic_id=clinic.id,
                    weekday=weekday,
                    opens_at=clock(8),
                    closes_at=clock(18),
                    breaks=[{"start": "12:00", "end": "13:00"}],
                )
            )
        for v in range(VETS_PER_CLINIC):
            user = User(
                clerk_user_id=f"bench_vet_{c}_{v}",
                email=f"vet{c}.{v}@bench.example",
                first_name="Bench",
                last_name=f"Vet {c}.{v}",
                role=UserRole.VETERINARIAN,
            )
            session.add(user)
            await session.flush()
            vet = Veterinarian(user_id=user.id, license_number=f"BENCH-{c}-{v}", license_state="NY")
            session.add(vet)
            await session.flush()
            session.add_all(
                VeterinarianAvailability(
                    veterinarian_id=vet.id,
                    clinic_id=clinic.id,
                    weekday=weekday,
                    starts_at_local=clock(9),
                    ends_at_local=clock(17),
                    effective_from=date(2020, 1, 1),
                )
                for weekday in range(1, 6)
            )
    await session.flush()
    return owner.id, clinic_ids


SEED_APPOINTMENTS = """
WITH vets AS (
    SELECT DISTINCT veterinarian_id AS id, clinic_id
    FROM veterinarian_availabilities
    WHERE clinic_id = :clinic_id
),
pets AS (SELECT array_agg(id ORDER BY id) AS ids FROM pets),
slots AS (
    SELECT vets.id AS vet_id, vets.clinic_id, k,
           date_trunc('day', now()) - make_interval(days => :days_back)
             + make_interval(days => k / :per_day)
             + interval '13 hours' + (k % :per_day) * interval '30 minutes' AS starts_at
    FROM vets CROSS JOIN generate_series(0, :per_vet - 1) AS k
)
INSERT INTO appointments (
    id, pet_id, booked_by_id, veterinarian_id, clinic_id, service_type, status, priority,
    starts_at, ends_at, cancelled_at, completed_at, currency, version
)
SELECT gen_random_uuid(),
       pets.ids[1 + (k % 100)],
       :owner_id,
       vet_id,
       clinic_id,
       'wellness_exam',
       CASE WHEN k % 7 = 3 THEN 'cancelled'
            WHEN starts_at < now() THEN 'completed'
            ELSE 'scheduled' END,
       'routine',
       starts_at,
       starts_at + interval '30 minutes',
       CASE WHEN k % 7 = 3 THEN starts_at - interval '1 day' END,
       CASE WHEN k % 7 <> 3 AND starts_at < now() THEN starts_at + interval '30 minutes' END,
       'USD',
       1
FROM slots CROSS JOIN pets
"""


async def seed(engine: AsyncEngine) -> None:
    factory = create_session_factory(engine)
    async with factory() as session, session.begin():
        owner_id, clinic_ids = await seed_entities(session)
    started = time.perf_counter()
    for done, clinic_id in enumerate(clinic_ids, start=1):
        # One clinic (50,000 rows) per statement: progress to watch, no statement timeout.
        async with engine.begin() as connection:
            await connection.execute(text("SET LOCAL statement_timeout = 0"))
            await connection.execute(
                text(SEED_APPOINTMENTS),
                {
                    "clinic_id": clinic_id,
                    "owner_id": owner_id,
                    "days_back": APPOINTMENTS_PER_VET // PER_DAY - 100,
                    "per_day": PER_DAY,
                    "per_vet": APPOINTMENTS_PER_VET,
                },
            )
        rows = done * VETS_PER_CLINIC * APPOINTMENTS_PER_VET
        print(f"  {rows:>9,} appointments ({time.perf_counter() - started:.0f} s)", flush=True)
    async with engine.connect() as connection:
        await connection.execution_options(isolation_level="AUTOCOMMIT")
        await connection.execute(text("SET statement_timeout = 0"))
        await connection.execute(text("VACUUM ANALYZE"))
    print(f"seeded appointments in {time.perf_counter() - started:.1f} s", flush=True)


async def appointment_count(engine: AsyncEngine) -> int:
    async with engine.connect() as connection:
        return int(await connection.scalar(select(func.count()).select_from(Appointment)) or 0)


def _report(label: str, samples: list[float], slots: int) -> float:
    samples.sort()
    median = statistics.median(samples)
    p95 = samples[int(len(samples) * 0.95) - 1]
    print(
        f"{label:<58} median {median:6.2f} ms   p95 {p95:6.2f} ms   "
        f"min {samples[0]:6.2f} ms   ({slots} slots, {len(samples)} runs)",
        flush=True,
    )
    return median


async def timed(
    label: str, engine: AsyncEngine, call: Callable[[AsyncSession], Awaitable[int]]
) -> float:
    """Time ``call`` two ways and return the median of the first.

    *in a session*: the service call alone, on a session whose connection is checked out and
    whose transaction is open (what availability costs inside a request). *per request*: a
    fresh session each time, so pool checkout (with its pre-ping), BEGIN and ROLLBACK are
    included too.
    """
    factory = create_session_factory(engine)
    samples: list[float] = []
    slots = 0
    async with factory() as session:
        await session.execute(text("SELECT 1"))
        for iteration in range(WARMUP + ITERATIONS):
            started = time.perf_counter()
            slots = await call(session)
            if iteration >= WARMUP:
                samples.append((time.perf_counter() - started) * 1000)
    median = _report(f"{label}, in a session", samples, slots)
    samples = []
    for iteration in range(WARMUP + ITERATIONS):
        started = time.perf_counter()
        async with factory() as session:
            slots = await call(session)
        if iteration >= WARMUP:
            samples.append((time.perf_counter() - started) * 1000)
    _report(f"{label}, per request (session open+close)", samples, slots)
    return median


async def run(url: URL, *, reuse: bool) -> int:
    engine = create_engine(url=url)
    try:
        if not reuse:
            await seed(engine)
        total = await appointment_count(engine)
        print(f"appointments in the table: {total:,}", flush=True)
        async with engine.connect() as connection:
            clinic_id = await connection.scalar(
                select(Clinic.id).where(Clinic.slug == "bench-clinic-0")
            )
            vet_id = await connection.scalar(
                select(VeterinarianAvailability.veterinarian_id)
                .where(VeterinarianAvailability.clinic_id == clinic_id)
                .limit(1)
            )
        if clinic_id is None or vet_id is None:
            print("the database is not seeded; run without --reuse", file=sys.stderr)
            return 1
        now = utcnow()
        today = now.astimezone(ZoneInfo(ZONE)).date()
        policy = SchedulingPolicy()

        async def one_vet(session: AsyncSession) -> int:
            return len(
                await veterinarian_slots(
                    session,
                    veterinarian_id=vet_id,
                    clinic_id=clinic_id,
                    first_day=today,
                    last_day=today + timedelta(days=13),
                    service_type=ServiceType.WELLNESS_EXAM,
                    policy=policy,
                    now=now,
                )
            )

        async def whole_clinic(session: AsyncSession) -> int:
            return len(
                await clinic_slots(
                    session,
                    clinic_id=clinic_id,
                    first_day=today,
                    last_day=today + timedelta(days=6),
                    service_type=ServiceType.WELLNESS_EXAM,
                    policy=policy,
                    now=now,
                )
            )

        vet_median = await timed("1 veterinarian, 14 days", engine, one_vet)
        clinic_median = await timed(
            f"clinic of {VETS_PER_CLINIC} veterinarians, 7 days", engine, whole_clinic
        )
        ok = vet_median < 20 and clinic_median < 20
        load = os.getloadavg()[0]
        print(
            "target (< 20 ms median, in a session): "
            + ("met" if ok else "NOT met")
            + f"   (load average while measuring: {load:.2f} on {os.cpu_count()} CPUs)",
            flush=True,
        )
        return 0
    finally:
        await engine.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--reuse", action="store_true", help="keep an already seeded database")
    options = parser.parse_args()
    server = build_database_url(database_url())
    if options.reuse:
        url = server.set(database=DATABASE)
    else:
        url = create_database(server, DATABASE)
        started = time.perf_counter()
        migrate(url)
        print(f"migrated {DATABASE} in {time.perf_counter() - started:.1f} s", flush=True)
    return asyncio.run(run(url, reuse=options.reuse))


if __name__ == "__main__":
    sys.exit(main())
