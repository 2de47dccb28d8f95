"""Benchmark (not a test): the API over HTTP, beside a bare FastAPI + asyncpg endpoint.

    nox -s bench [-- --duration 10 --connections 16 --reseed]
    .venv/bin/python tools/bench/api_http.py [--duration 10] [--connections 16] [--reseed]
        [--only pet-read]

Seeds a database of its own (``vet_bench_api`` on ``DATABASE_URL``'s server, or on the embedded
PostgreSQL) with set-based SQL (``INSERT … SELECT generate_series``): 25,000 owners with 4 pets
each (100,000 pets), 50 practices in and around New York with 10 veterinarians each (weekly
hours Mon–Fri 09–17, clinics open 08–18 with a 13–14 lunch break), 3,000 more clinics for the
search, and 1,000,000 appointments: 8 back-to-back 30-minute visits every weekday morning
(09:00–13:00 local) per veterinarian, 40 weeks back and 10 weeks ahead, so the exclusion
constraint holds and checks every row. A later run reuses a database that is already seeded
(the counts are checked); ``--reseed`` rebuilds it.

It then starts, each as one uvicorn process on 127.0.0.1 with uvicorn's access log off (the API
still writes its own JSON line per request, as it does in production):

* the real API (``vet-clinic-api serve``) trusting the development signing key, exactly as
  ``vet-clinic-api dev`` does (``CLERK_ISSUER``/``CLERK_JWT_KEY``), with its rate limits raised
  through ``API_RATE_LIMIT_PER_MINUTE_*`` and Redis database 30 of its own;
* the bare app (``tools/bench/bare_app.py``): FastAPI, an asyncpg pool, one ``SELECT`` of one pet;

mints development tokens for two seeded owners and a veterinarian, and loads both servers from a
loopback load generator (``wrk`` with a Lua script; a Python asyncio generator when ``wrk`` is
not on PATH, which the output says) for ``--duration`` seconds per scenario with
``--connections`` connections:

* bare: ``GET /pets/{id}`` on the bare app;
* the owner reading one of their pets, ``GET /api/v1/pets/{id}``;
* the owner listing their pets, ``GET /api/v1/pets``;
* the veterinarian reading 14 days of free slots of a colleague at their clinic;
* clinic search within 25 km of points around New York (public);
* another owner booking, ``POST /api/v1/appointments`` with an ``Idempotency-Key``, every
  request (warm-up included) a different free afternoon slot of one of the 500 veterinarians;
  the next run cancels these bookings first, so that their slots are free again.

Every scenario is warmed up (``--warmup`` seconds) before it is measured: the first requests
of a process build FastAPI's route state and SQLAlchemy's statement caches.

It prints requests per second, p50/p99 latency, non-2xx responses and the server's CPU use per
scenario; the authenticated pet read against half the bare rate; and the API process's peak RSS
(``VmHWM``) against 300 MB. Figures only: nothing is asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from datetime import time as clock
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import URL, text
from sqlalchemy.ext.asyncio import AsyncEngine

from vet_clinic_api.devkeys import DEV_ISSUER, load_or_create_key, mint_dev_token, public_pem
from vet_core.database.engine import build_database_url, create_engine
from vet_core.embedded import database_url, embedded_root, redis_url
from vet_core.testing import create_database, migrate, with_redis_db

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
DATABASE = "vet_bench_api"
#: A Redis database of the benchmark's own: development uses 0, tests 1-15, the images session 31.
REDIS_DB = 30
ZONE = "America/New_York"
CENTRE = (40.7128, -74.0060)

PRACTICES = 50
VETS_PER_PRACTICE = 10
SEARCH_CLINICS = 3_000
OWNERS = 25_000
PETS_PER_OWNER = 4
#: Weekdays of appointments per veterinarian and visits per weekday: 250 x 8 x 500 = 1,000,000.
APPOINTMENT_DAYS = 250
PER_DAY = 8
WEEKS_BACK = 40
MIN_PETS = 100_000
MIN_APPOINTMENTS = 1_000_000
#: Afternoon starts (local) the booking scenario uses: after lunch, before the end of hours.
BOOKING_STARTS = [clock(14), clock(14, 30), clock(15), clock(15, 30), clock(16), clock(16, 30)]
#: Owner bookings must start 60 minutes ahead at least and at most 90 days ahead.
BOOKING_FIRST_DAY, BOOKING_LAST_DAY = 2, 80

OWNER_CLERK_ID = "bench_owner_0"
#: Books in the booking scenario: another owner, so the reading owner's pets stay as seeded.
BOOKER_CLERK_ID = "bench_owner_1"
VET_CLERK_ID = "bench_vet_0_0"
RATE_LIMIT = 1_000_000_000
TARGET_RATIO = 0.5
TARGET_RSS_MB = 300

# --- seeding ----------------------------------------------------------------------------------

SEED_STATEMENTS: list[tuple[str, str]] = [
    (
        "practices",
        """
        INSERT INTO clinics (id, name, slug, clinic_type, status, address_line1, city, region,
                             postal_code, country_code, timezone, latitude, longitude, phone,
                             email, services, accepts_new_patients, accepts_emergencies,
                             accepts_walk_ins, is_open_24h, settings, review_count)
        SELECT uuidv7(), 'Bench Animal Hospital ' || c, 'bench-practice-' || c,
               'general_practice', 'active', (100 + c) || ' Broadway', 'New York', 'NY',
               lpad((10001 + c)::text, 5, '0'), 'US', CAST(:zone AS text),
               CAST(:lat AS float8) + ((c * 37) % 50 - 25) * 0.006,
               CAST(:lng AS float8) + ((c * 53) % 50 - 25) * 0.008,
               '+1212555' || lpad(c::text, 4, '0'), 'clinic' || c || '@bench.example',
               ARRAY['wellness_exam', 'vaccination', 'dental', 'surgery', 'dog', 'cat'],
               true, false, c % 3 = 0, false, '{}'::jsonb, 0
        FROM generate_series(0, CAST(:practices AS int) - 1) AS c
        """,
    ),
    (
        "search clinics",
        """
        INSERT INTO clinics (id, name, slug, clinic_type, status, address_line1, city,
                             country_code, timezone, latitude, longitude, phone, services,
                             accepts_new_patients, accepts_emergencies, accepts_walk_ins,
                             is_open_24h, settings, review_count)
        SELECT uuidv7(),
               (ARRAY['Animal', 'Pet', 'Veterinary', 'Companion', 'Paws'])[1 + n % 5] || ' '
                 || (ARRAY['Hospital', 'Clinic', 'Care', 'Center'])[1 + n % 4] || ' ' || n,
               'bench-search-' || n,
               CASE WHEN n % 10 = 0 THEN 'emergency' ELSE 'general_practice' END, 'active',
               n || ' Main Street', 'Benchville', 'US', CAST(:zone AS text),
               CAST(:lat AS float8) + (random() - 0.5) * 1.6,
               CAST(:lng AS float8) + (random() - 0.5) * 2.2,
               '+1646555' || lpad((n % 10000)::text, 4, '0'),
               CASE n % 3 WHEN 0 THEN ARRAY['wellness_exam', 'dog', 'cat']
                          WHEN 1 THEN ARRAY['dental', 'surgery', 'dog']
                          ELSE ARRAY['vaccination', 'cat', 'rabbit'] END,
               n % 7 <> 0, n % 10 = 0, n % 3 = 0, n % 25 = 0, '{}'::jsonb, 0
        FROM generate_series(1, CAST(:search_clinics AS int)) AS n
        """,
    ),
    (
        "opening hours",
        """
        INSERT INTO clinic_operating_hours (id, clinic_id, weekday, opens_at, closes_at, breaks)
        SELECT uuidv7(), c.id, d, time '08:00', time '18:00',
               '[{"start": "13:00", "end": "14:00"}]'::jsonb
        FROM clinics c CROSS JOIN generate_series(1, 5) AS d
        WHERE NOT c.is_open_24h
        """,
    ),
    (
        "veterinarians' accounts",
        """
        INSERT INTO users (id, clerk_user_id, email, first_name, last_name, role, status,
                           preferences)
        SELECT uuidv7(), 'bench_vet_' || c || '_' || v, 'vet' || c || '.' || v || '@bench.example',
               'Vet', 'Number ' || c || '.' || v, 'veterinarian', 'active',
               CAST(:preferences AS jsonb)
        FROM generate_series(0, CAST(:practices AS int) - 1) AS c
        CROSS JOIN generate_series(0, CAST(:vets_per_practice AS int) - 1) AS v
        """,
    ),
    (
        "veterinarians",
        """
        INSERT INTO veterinarians (id, user_id, license_number, license_state, specializations,
                                   species_expertise, default_appointment_minutes,
                                   accepts_new_patients, review_count)
        SELECT uuidv7(), u.id, 'BENCH-' || substr(u.clerk_user_id, 11), 'NY',
               ARRAY['general practice'], ARRAY['dog', 'cat'], 30, true, 0
        FROM users u WHERE u.clerk_user_id LIKE 'bench\\_vet\\_%'
        """,
    ),
    (
        "memberships",
        """
        INSERT INTO clinic_memberships (id, clinic_id, user_id, role, status)
        SELECT uuidv7(), c.id, u.id, 'veterinarian', 'active'
        FROM users u
        JOIN clinics c ON c.slug = 'bench-practice-' || split_part(u.clerk_user_id, '_', 3)
        WHERE u.clerk_user_id LIKE 'bench\\_vet\\_%'
        """,
    ),
    (
        "weekly availability",
        """
        INSERT INTO veterinarian_availabilities (id, veterinarian_id, clinic_id, weekday,
                                                 starts_at_local, ends_at_local, effective_from)
        SELECT uuidv7(), v.id, m.clinic_id, d, time '09:00', time '17:00', date '2020-01-01'
        FROM veterinarians v
        JOIN clinic_memberships m ON m.user_id = v.user_id
        CROSS JOIN generate_series(1, 5) AS d
        """,
    ),
    (
        "owners",
        """
        INSERT INTO users (id, clerk_user_id, email, first_name, last_name, role, status,
                           preferences)
        SELECT uuidv7(), 'bench_owner_' || n, 'owner' || n || '@bench.example',
               (ARRAY['Alex', 'Sam', 'Jordan', 'Taylor', 'Morgan', 'Casey'])[1 + n % 6],
               'Owner ' || n, 'pet_owner', 'active', CAST(:preferences AS jsonb)
        FROM generate_series(0, CAST(:owners AS int) - 1) AS n
        """,
    ),
    (
        "pets",
        """
        INSERT INTO pets (id, owner_id, name, species, breed, is_mixed_breed, sex, is_neutered,
                          birth_date, microchip, status, created_by, updated_by)
        SELECT uuidv7(), o.id,
               (ARRAY['Bella', 'Max', 'Luna', 'Charlie', 'Lucy', 'Cooper', 'Daisy', 'Milo',
                      'Bailey', 'Nala', 'Rocky', 'Coco'])[1 + p.n % 12],
               (ARRAY['dog', 'cat', 'dog', 'cat', 'rabbit', 'bird'])[1 + p.n % 6],
               (ARRAY['Labrador', 'Siamese', 'Beagle', 'Maine Coon', 'Lop', 'Budgie'])[1 + p.n % 6],
               p.n % 5 = 0, CASE WHEN p.n % 2 = 0 THEN 'male' ELSE 'female' END, p.n % 3 <> 0,
               date '2025-06-01' - (p.n % 5000), (985000000000000 + p.n)::text, 'active',
               o.id, o.id
        FROM (SELECT id, substr(clerk_user_id, 13)::int AS n FROM users
              WHERE clerk_user_id LIKE 'bench\\_owner\\_%') AS o
        CROSS JOIN generate_series(0, CAST(:pets_per_owner AS int) - 1) AS k
        CROSS JOIN LATERAL (SELECT o.n * CAST(:pets_per_owner AS int) + k AS n) AS p
        ORDER BY o.n, k
        """,
    ),
    (
        "ownerships",
        """
        INSERT INTO pet_ownerships (id, pet_id, user_id, role, created_by, updated_by)
        SELECT uuidv7(), id, owner_id, 'primary', owner_id, owner_id FROM pets ORDER BY id
        """,
    ),
]

SEED_PARAMS: dict[str, object] = {
    "zone": ZONE,
    "lat": CENTRE[0],
    "lng": CENTRE[1],
    "practices": PRACTICES,
    "vets_per_practice": VETS_PER_PRACTICE,
    "search_clinics": SEARCH_CLINICS,
    "owners": OWNERS,
    "pets_per_owner": PETS_PER_OWNER,
    "appointment_days": APPOINTMENT_DAYS,
    "per_day": PER_DAY,
    "pet_count": OWNERS * PETS_PER_OWNER,
    "preferences": json.dumps(
        {"timezone": ZONE, "language": "en", "notification_channels": ["email"]}
    ),
}


def params_for(statement: str, **extra: object) -> dict[str, object]:
    """The seed parameters ``statement`` names (asyncpg refuses parameters it does not use)."""
    values = {**SEED_PARAMS, **extra}
    return {name: value for name, value in values.items() if f":{name}" in statement}


#: One practice's appointments per statement (20,000 rows): progress to watch.
SEED_APPOINTMENTS = """
WITH vets AS (
    SELECT v.id FROM veterinarians v
    JOIN clinic_memberships m ON m.user_id = v.user_id AND m.clinic_id = CAST(:clinic_id AS uuid)
),
days AS (
    SELECT d::date AS day
    FROM generate_series(CAST(:first_day AS date), CAST(:first_day AS date) + 400,
                         interval '1 day') AS d
    WHERE extract(isodow FROM d) < 6
    ORDER BY d
    LIMIT CAST(:appointment_days AS int)
),
slots AS (
    SELECT vets.id AS vet_id,
           ((days.day + time '09:00') + k * interval '30 minutes') AT TIME ZONE CAST(:zone AS text)
             AS starts_at,
           (hashtext(vets.id::text || days.day::text || k::text) & 2147483647) AS h
    FROM vets CROSS JOIN days CROSS JOIN generate_series(0, CAST(:per_day AS int) - 1) AS k
)
INSERT INTO appointments (
    id, pet_id, booked_by_id, veterinarian_id, clinic_id, service_type, status, priority,
    starts_at, ends_at, reason, cancelled_at, completed_at, currency, version
)
SELECT uuidv7(),
       p.id,
       p.owner_id,
       s.vet_id,
       CAST(:clinic_id AS uuid),
       (ARRAY['wellness_exam', 'sick_visit', 'consultation'])[1 + s.h % 3],
       CASE WHEN s.h % 13 = 0 THEN 'cancelled'
            WHEN s.starts_at < now() THEN 'completed'
            ELSE 'scheduled' END,
       'routine',
       s.starts_at,
       s.starts_at + interval '30 minutes',
       (ARRAY['Annual check-up', 'Limping', 'Vaccination due', NULL])[1 + s.h % 4],
       CASE WHEN s.h % 13 = 0 THEN s.starts_at - interval '2 days' END,
       CASE WHEN s.h % 13 <> 0 AND s.starts_at < now() THEN s.starts_at + interval '30 minutes' END,
       'USD',
       1
FROM slots AS s
-- Pet number n has microchip 985000000000000 + n (see the pets statement): an index lookup.
JOIN pets AS p
  ON p.microchip = (985000000000000 + s.h % CAST(:pet_count AS int))::text
 AND p.deleted_at IS NULL
ORDER BY s.starts_at, s.vet_id
"""

COUNTS = """
SELECT (SELECT count(*) FROM pets) AS pets,
       (SELECT count(*) FROM appointments) AS appointments,
       (SELECT count(*) FROM users WHERE clerk_user_id IN (:owner, :vet)) AS bench_users
"""


async def counts(engine: AsyncEngine) -> tuple[int, int, int]:
    async with engine.connect() as connection:
        row = (
            await connection.execute(text(COUNTS), {"owner": OWNER_CLERK_ID, "vet": VET_CLERK_ID})
        ).one()
    return int(row.pets), int(row.appointments), int(row.bench_users)


async def seed(engine: AsyncEngine) -> None:
    started = time.perf_counter()
    async with engine.begin() as connection:
        await connection.execute(text("SET LOCAL statement_timeout = 0"))
        for label, statement in SEED_STATEMENTS:
            result = await connection.execute(text(statement), params_for(statement))
            print(f"  {result.rowcount:>9,} {label} ({time.perf_counter() - started:.0f} s)")
        practices = list(
            (
                await connection.execute(
                    text("SELECT id FROM clinics WHERE slug LIKE 'bench-practice-%' ORDER BY slug")
                )
            ).scalars()
        )
    today = datetime.now(ZoneInfo(ZONE)).date()
    first_day = today - timedelta(days=today.weekday() + 7 * WEEKS_BACK)  # a Monday
    total = 0
    for clinic_id in practices:
        async with engine.begin() as connection:
            await connection.execute(text("SET LOCAL statement_timeout = 0"))
            result = await connection.execute(
                text(SEED_APPOINTMENTS),
                params_for(SEED_APPOINTMENTS, clinic_id=clinic_id, first_day=first_day),
            )
        total += result.rowcount
        if total % 200_000 == 0:
            print(f"  {total:>9,} appointments ({time.perf_counter() - started:.0f} s)", flush=True)
    async with engine.connect() as connection:
        await connection.execution_options(isolation_level="AUTOCOMMIT")
        await connection.execute(text("SET statement_timeout = 0"))
        await connection.execute(text("VACUUM ANALYZE"))
    print(f"seeded in {time.perf_counter() - started:.0f} s", flush=True)


# --- what the scenarios need ------------------------------------------------------------------


@dataclass
class Fixture:
    pet_ids: list[uuid.UUID]
    booker_id: uuid.UUID
    booker_pet_ids: list[uuid.UUID]
    vet_clinic_id: uuid.UUID
    colleague_ids: list[uuid.UUID]
    #: (veterinarian id, clinic id) of every practice's veterinarians.
    vets: list[tuple[uuid.UUID, uuid.UUID]]


async def load_fixture(engine: AsyncEngine) -> Fixture:
    async with engine.connect() as connection:
        pets_of = text(
            "SELECT u.id AS owner_id, p.id FROM users u JOIN pets p ON p.owner_id = u.id"
            " WHERE u.clerk_user_id = :id ORDER BY p.id"
        )
        owner = (await connection.execute(pets_of, {"id": OWNER_CLERK_ID})).all()
        booker = (await connection.execute(pets_of, {"id": BOOKER_CLERK_ID})).all()
        vet_clinic_id = await connection.scalar(
            text(
                "SELECT m.clinic_id FROM clinic_memberships m JOIN users u ON u.id = m.user_id"
                " WHERE u.clerk_user_id = :id"
            ),
            {"id": VET_CLERK_ID},
        )
        vets = [
            (row.veterinarian_id, row.clinic_id)
            for row in await connection.execute(
                text(
                    "SELECT DISTINCT veterinarian_id, clinic_id FROM veterinarian_availabilities"
                    " ORDER BY veterinarian_id"
                )
            )
        ]
    colleagues = [vet for vet, clinic in vets if clinic == vet_clinic_id]
    return Fixture(
        pet_ids=[row.id for row in owner],
        booker_id=booker[0].owner_id,
        booker_pet_ids=[row.id for row in booker],
        vet_clinic_id=vet_clinic_id,
        colleague_ids=colleagues,
        vets=vets,
    )


async def cancel_bench_bookings(engine: AsyncEngine, booker_id: uuid.UUID) -> int:
    """Free the slots booked by earlier runs (the seed writes no ``created_by`` on appointments).

    Cancelled rather than deleted: deleting makes PostgreSQL look for rows rescheduled from each
    deleted one (``rescheduled_from_id`` has no index), a scan of the whole table per row.
    """
    async with engine.begin() as connection:
        await connection.execute(text("SET LOCAL statement_timeout = 0"))
        result = await connection.execute(
            text(
                "UPDATE appointments SET status = 'cancelled', cancelled_at = now(),"
                " cancellation_reason = 'benchmark clean-up'"
                " WHERE created_by = :booker AND status <> 'cancelled'"
            ),
            {"booker": booker_id},
        )
    return int(result.rowcount)


def booking_requests(fixture: Fixture, run_id: str, count: int) -> list[Request]:
    """``count`` bookings of free afternoon slots, each vet's in turn so that they interleave."""
    zone = ZoneInfo(ZONE)
    today = datetime.now(zone).date()
    days = [
        today + timedelta(days=n)
        for n in range(BOOKING_FIRST_DAY, BOOKING_LAST_DAY + 1)
        if (today + timedelta(days=n)).isoweekday() <= 5
    ]
    requests: list[Request] = []
    for day in days:
        for start in BOOKING_STARTS:
            starts_at = datetime.combine(day, start, tzinfo=zone)
            for vet_id, clinic_id in fixture.vets:
                pet_id = fixture.booker_pet_ids[len(requests) % len(fixture.booker_pet_ids)]
                body = {
                    "pet_id": str(pet_id),
                    "veterinarian_id": str(vet_id),
                    "clinic_id": str(clinic_id),
                    "service_type": "wellness_exam",
                    "starts_at": starts_at.isoformat(),
                    "ends_at": (starts_at + timedelta(minutes=30)).isoformat(),
                    "reason": "Annual check-up",
                }
                key = f"bench-{run_id}-{len(requests)}"
                requests.append(Request("POST", "/api/v1/appointments", json.dumps(body), key))
                if len(requests) == count:
                    return requests
    return requests


# --- servers ----------------------------------------------------------------------------------


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def http_status(url: str, headers: dict[str, str] | None = None) -> int:
    try:
        request = urllib.request.Request(url, headers=headers or {})  # noqa: S310 - loopback
        with urllib.request.urlopen(request, timeout=5):  # noqa: S310 - http://127.0.0.1 only
            return 200
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return 0


class Server:
    """One uvicorn process we started: its pid, CPU time and memory from ``/proc``."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], log: Path) -> None:
        self.name = name
        self.log = log
        with log.open("wb") as output:
            self.process = subprocess.Popen(
                argv, env=env, cwd=ROOT, stdout=output, stderr=subprocess.STDOUT
            )

    def wait_until_up(self, url: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while http_status(url) != 200:
            if self.process.poll() is not None or time.monotonic() > deadline:
                tail = self.log.read_text(errors="replace")[-3000:]
                self.stop()
                raise SystemExit(f"{self.name} did not start ({url}):\n{tail}")
            time.sleep(0.2)

    def _status(self, key: str) -> int:
        """A ``kB`` figure of ``/proc/<pid>/status`` (``VmRSS``, ``VmHWM``), in bytes."""
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith(f"{key}:"):
                return int(line.split()[1]) * 1024
        return 0

    def rss(self) -> int:
        return self._status("VmRSS")

    def peak_rss(self) -> int:
        return self._status("VmHWM")

    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


# --- load -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    body: str = ""
    idempotency_key: str = ""


@dataclass
class Scenario:
    name: str
    server: Server
    base: str
    token: str
    requests: list[Request]
    #: Requests must not repeat (bookings): the list is not cycled by the Python generator.
    unique: bool = False
    #: What the warm-up sends, when it must differ from ``requests`` (other slots to book).
    warmup_requests: list[Request] | None = None


@dataclass
class Result:
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    non_2xx: int
    socket_errors: int
    cpu_percent: float
    first_failure: str = ""
    extra: dict[str, float] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


#: Each thread takes every n-th request of the file from its own offset; bodies are pre-formatted
#: in ``init`` so that ``request()`` costs nothing. ``response()`` counts non-2xx answers.
WRK_SCRIPT = r"""
local threads = {}
local next_id = 1

function setup(thread)
  thread:set("id", next_id)
  table.insert(threads, thread)
  next_id = next_id + 1
end

failures = 0
first_failure = ""
local prepared = {}
local index, step

function init(args)
  local file, token = args[1], args[2]
  step = tonumber(args[3])
  for line in io.lines(file) do
    local method, path, body, key = line:match("^([^\t]*)\t([^\t]*)\t([^\t]*)\t([^\t]*)$")
    local headers = {}
    if token ~= "" then headers["Authorization"] = "Bearer " .. token end
    if body ~= "" then headers["Content-Type"] = "application/json" else body = nil end
    if key ~= "" then headers["Idempotency-Key"] = key end
    table.insert(prepared, wrk.format(method, path, headers, body))
  end
  index = id
end

function request()
  local r = prepared[index]
  index = index + step
  if index > #prepared then
    index = ((index - 1) % step) + 1
  end
  return r
end

function response(status, headers, body)
  if status < 200 or status > 299 then
    failures = failures + 1
    if first_failure == "" then
      first_failure = status .. " " .. string.sub(body or "", 1, 400)
    end
  end
end

function done(summary, latency, requests)
  local failed, sample = 0, ""
  for _, thread in ipairs(threads) do
    failed = failed + (thread:get("failures") or 0)
    local first = thread:get("first_failure") or ""
    if sample == "" then sample = first end
  end
  local e = summary.errors
  io.write(string.format("BENCH %d %d %.1f %.1f %d %d\n", summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(99), failed,
    e.connect + e.read + e.write + e.timeout))
  io.write("BENCH_FAILURE " .. string.gsub(sample, "[\r\n]", " ") .. "\n")
end
"""


def write_requests(path: Path, requests: list[Request]) -> None:
    with path.open("w") as output:
        for r in requests:
            output.write(f"{r.method}\t{r.path}\t{r.body}\t{r.idempotency_key}\n")


def run_wrk(
    scenario: Scenario,
    requests: list[Request],
    workdir: Path,
    *,
    seconds: float,
    connections: int,
    threads: int,
) -> Result:
    requests_file = workdir / "requests.txt"
    write_requests(requests_file, requests)
    script = workdir / "bench.lua"
    script.write_text(WRK_SCRIPT)
    argv = [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",
        "--timeout",
        "10s",
        "-s",
        str(script),
        scenario.base,
        "--",
        str(requests_file),
        scenario.token,
        str(threads),
    ]
    cpu_before = scenario.server.cpu_seconds()
    output = subprocess.run(argv, check=True, capture_output=True, text=True).stdout
    cpu = scenario.server.cpu_seconds() - cpu_before
    figures = next(line for line in output.splitlines() if line.startswith("BENCH "))
    failure = next(line for line in output.splitlines() if line.startswith("BENCH_FAILURE"))
    done, duration_us, p50, p99, non_2xx, socket_errors = figures.split()[1:]
    wall = int(duration_us) / 1e6
    return Result(
        requests=int(done),
        seconds=wall,
        p50_ms=float(p50) / 1000,
        p99_ms=float(p99) / 1000,
        non_2xx=int(non_2xx),
        socket_errors=int(socket_errors),
        cpu_percent=100 * cpu / wall if wall else 0.0,
        first_failure=failure.removeprefix("BENCH_FAILURE").strip(),
    )


async def _python_load(
    scenario: Scenario, requests: list[Request], seconds: float, connections: int
) -> Result:
    """The fallback: ``connections`` asyncio workers on one httpx client, closed loop."""
    import httpx

    headers = {"Authorization": f"Bearer {scenario.token}"} if scenario.token else {}
    latencies: list[float] = []
    non_2xx = errors = 0
    first_failure = ""
    position = 0
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    async with httpx.AsyncClient(base_url=scenario.base, limits=limits, timeout=10) as client:
        deadline = time.perf_counter() + seconds

        async def worker() -> None:
            nonlocal position, non_2xx, errors, first_failure
            while time.perf_counter() < deadline:
                if scenario.unique and position >= len(requests):
                    return
                r = requests[position % len(requests)]
                position += 1
                extra = {"Idempotency-Key": r.idempotency_key} if r.idempotency_key else {}
                if r.body:
                    extra["Content-Type"] = "application/json"
                started = time.perf_counter()
                try:
                    response = await client.request(
                        r.method, r.path, content=r.body or None, headers={**headers, **extra}
                    )
                except httpx.HTTPError:
                    errors += 1
                    continue
                latencies.append(time.perf_counter() - started)
                if not 200 <= response.status_code < 300:
                    non_2xx += 1
                    first_failure = first_failure or f"{response.status_code} {response.text}"

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(connections)))
        wall = time.perf_counter() - started
    latencies.sort()

    def percentile(share: float) -> float:
        if not latencies:
            return 0.0
        return latencies[min(len(latencies) - 1, int(share * len(latencies)))] * 1000

    return Result(
        requests=len(latencies),
        seconds=wall,
        p50_ms=percentile(0.50),
        p99_ms=percentile(0.99),
        non_2xx=non_2xx,
        socket_errors=errors,
        cpu_percent=0.0,
        first_failure=first_failure[:400],
    )


def run_python(
    scenario: Scenario, requests: list[Request], *, seconds: float, connections: int
) -> Result:
    cpu_before = scenario.server.cpu_seconds()
    result = asyncio.run(_python_load(scenario, requests, seconds, connections))
    if result.seconds:
        result.cpu_percent = 100 * (scenario.server.cpu_seconds() - cpu_before) / result.seconds
    return result


# --- the run ----------------------------------------------------------------------------------


def build_scenarios(
    fixture: Fixture, api: Server, bare: Server, ports: tuple[int, int], options: argparse.Namespace
) -> list[Scenario]:
    key = load_or_create_key(embedded_root())
    owner = mint_dev_token(key, OWNER_CLERK_ID, "owner0@bench.example")
    booker = mint_dev_token(key, BOOKER_CLERK_ID, "owner1@bench.example")
    vet = mint_dev_token(key, VET_CLERK_ID, "vet0.0@bench.example")
    api_base, bare_base = (f"http://127.0.0.1:{port}" for port in ports)
    pets = [Request("GET", f"/pets/{pet_id}") for pet_id in fixture.pet_ids]
    today = datetime.now(ZoneInfo(ZONE)).date()
    window = f"start={today}&end={today + timedelta(days=13)}"
    slots = [
        Request(
            "GET",
            f"/api/v1/veterinarians/{vet_id}/slots?clinic_id={fixture.vet_clinic_id}&{window}",
        )
        for vet_id in fixture.colleague_ids
    ]
    rng = random.Random(20261207)
    search = [
        Request(
            "GET",
            f"/api/v1/clinics/search?lat={CENTRE[0] + rng.uniform(-0.15, 0.15):.5f}"
            f"&lng={CENTRE[1] + rng.uniform(-0.2, 0.2):.5f}&radius_km=25",
        )
        for _ in range(500)
    ]
    run_id = uuid.uuid4().hex[:8]
    measured = max(20_000, int(options.duration * 4_000))
    warmup = max(2_000, int(options.warmup * 4_000))
    bookings = booking_requests(fixture, run_id, measured + warmup)
    return [
        Scenario("bare: one pet row (FastAPI + asyncpg)", bare, bare_base, "", pets),
        Scenario(
            "owner: GET /pets/{id}",
            api,
            api_base,
            owner,
            [Request(r.method, "/api/v1" + r.path) for r in pets],
        ),
        Scenario("owner: GET /pets", api, api_base, owner, [Request("GET", "/api/v1/pets")]),
        Scenario("vet: GET /veterinarians/{id}/slots (14 d)", api, api_base, vet, slots),
        Scenario("public: GET /clinics/search (25 km)", api, api_base, "", search),
        Scenario(
            "owner: POST /appointments",
            api,
            api_base,
            booker,
            bookings[:measured],
            unique=True,
            warmup_requests=bookings[measured:],
        ),
    ]


def preflight(scenario: Scenario) -> None:
    """One request of each reading scenario, so that a broken setup stops before the load."""
    if scenario.unique:
        return
    headers = {"Authorization": f"Bearer {scenario.token}"} if scenario.token else {}
    url = scenario.base + scenario.requests[0].path
    status = http_status(url, headers)
    if status != 200:
        raise SystemExit(f"{scenario.name}: GET {url} answered {status}, not 200")


def server_env(**values: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("VIRTUAL_ENV")}
    for name in ("DATABASE_READ_URL", "CLERK_JWKS_URL", "CLERK_AUTHORIZED_PARTIES"):
        env.pop(name, None)
    env.update(values)
    return env


def print_table(
    results: list[tuple[Scenario, Result]], generator: str, options: argparse.Namespace
) -> None:
    print()
    print(
        f"load: {generator}, {options.connections} connections, {options.duration:.0f} s per"
        f" scenario, loopback; load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs"
    )
    header = (
        f"{'scenario':<44} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'non-2xx':>8}"
        f" {'errors':>7} {'srv CPU':>8}"
    )
    print(header)
    print("-" * len(header))
    for scenario, r in results:
        print(
            f"{scenario.name:<44} {r.rate:>9,.0f} {r.p50_ms:>8.2f} {r.p99_ms:>8.2f}"
            f" {r.non_2xx:>8,} {r.socket_errors:>7,} {r.cpu_percent:>7.0f}%"
        )
    for scenario, r in results:
        if r.non_2xx or r.socket_errors:
            print(f"  first failure of {scenario.name!r}: {r.first_failure or '(socket error)'}")


def ensure_seeded(server: URL, *, reseed: bool) -> URL:
    """The benchmark database's URL, seeded now unless a complete seeding is already there."""
    url = server.set(database=DATABASE)
    engine = create_engine(url=url, pooled=False)
    try:
        pets, appointments, users = asyncio.run(counts(engine))
    except Exception:  # no such database yet: it is seeded below
        pets = appointments = users = 0
    finally:
        asyncio.run(engine.dispose())
    if not (reseed or pets < MIN_PETS or appointments < MIN_APPOINTMENTS or users < 2):
        migrate(url)  # revisions added since the seeding (a no-op when at head)
        return url
    print(f"seeding {DATABASE} on {server.host}:{server.port}", flush=True)
    url = create_database(server, DATABASE)
    started = time.perf_counter()
    migrate(url)
    print(f"migrated in {time.perf_counter() - started:.1f} s", flush=True)
    engine = create_engine(url=url, pooled=False)

    async def seed_and_dispose() -> None:
        try:
            await seed(engine)
        finally:
            await engine.dispose()

    asyncio.run(seed_and_dispose())
    return url


def prepare(url: URL) -> Fixture:
    """Load what the scenarios need and delete the bookings of the last run."""
    engine = create_engine(url=url, pooled=False)

    async def run() -> Fixture:
        try:
            fixture = await load_fixture(engine)
            cancelled = await cancel_bench_bookings(engine, fixture.booker_id)
            pets, appointments, _ = await counts(engine)
        finally:
            await engine.dispose()
        print(
            f"{DATABASE}: {pets:,} pets, {appointments:,} appointments"
            f" ({cancelled:,} bookings of earlier runs cancelled)",
            flush=True,
        )
        return fixture

    return asyncio.run(run())


def flush_redis(url: str) -> None:
    """Empty the benchmark's Redis database (rate-limit windows, idempotency records)."""
    from redis import Redis

    client = Redis.from_url(url)
    try:
        client.flushdb()
    finally:
        client.close()


def start_servers(url: URL, workdir: Path) -> tuple[Server, Server, tuple[int, int]]:
    """The API (``vet-clinic-api serve``) and the bare app, each one uvicorn process."""
    redis = with_redis_db(redis_url(), REDIS_DB)
    flush_redis(redis)
    key = load_or_create_key(embedded_root())
    plain_url = url.set(drivername="postgresql").render_as_string(hide_password=False)
    ports = (free_port(), free_port())
    api = Server(
        "the API",
        [
            str(Path(sys.executable).parent / "vet-clinic-api"),
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(ports[0]),
        ],
        server_env(
            DATABASE_URL=plain_url,
            REDIS_URL=redis,
            CLERK_ISSUER=DEV_ISSUER,
            CLERK_JWT_KEY=public_pem(key),
            API_RATE_LIMIT_PER_MINUTE_IP=str(RATE_LIMIT),
            API_RATE_LIMIT_PER_MINUTE_USER=str(RATE_LIMIT),
        ),
        workdir / "api.log",
    )
    bare = Server(
        "the bare app",
        [
            sys.executable,
            "-m",
            "uvicorn",
            "bare_app:create_app",
            "--factory",
            "--app-dir",
            str(HERE),
            "--host",
            "127.0.0.1",
            "--port",
            str(ports[1]),
            "--no-access-log",
            "--log-level",
            "warning",
        ],
        server_env(BARE_DATABASE_URL=plain_url, BARE_POOL_SIZE="10"),
        workdir / "bare.log",
    )
    try:
        api.wait_until_up(f"http://127.0.0.1:{ports[0]}/health/ready")
        bare.wait_until_up(f"http://127.0.0.1:{ports[1]}/health")
    except BaseException:
        api.stop()
        bare.stop()
        raise
    return api, bare, ports


def run_scenarios(
    scenarios: list[Scenario], workdir: Path, options: argparse.Namespace, *, use_wrk: bool
) -> list[tuple[Scenario, Result]]:
    results: list[tuple[Scenario, Result]] = []
    for scenario in scenarios:

        def load(seconds: float, requests: list[Request], s: Scenario = scenario) -> Result:
            if use_wrk:
                return run_wrk(
                    s, requests, workdir, seconds=seconds, connections=options.connections,
                    threads=options.threads,
                )  # fmt: skip
            return run_python(s, requests, seconds=seconds, connections=options.connections)

        if options.warmup > 0:
            warm = load(options.warmup, scenario.warmup_requests or scenario.requests)
            if warm.non_2xx:
                print(f"  warm-up of {scenario.name}: {warm.non_2xx} non-2xx", flush=True)
        result = load(options.duration, scenario.requests)
        results.append((scenario, result))
        print(f"  {scenario.name}: {result.rate:,.0f} req/s", flush=True)
    return results


def print_targets(results: list[tuple[Scenario, Result]], api: Server, bare: Server) -> None:
    bare_rate, pet_rate = results[0][1].rate, results[1][1].rate
    ratio = pet_rate / bare_rate if bare_rate else 0.0
    print(
        f"\nauthenticated pet read / bare read: {pet_rate:,.0f} / {bare_rate:,.0f} req/s"
        f" = {ratio:.2f}  (target >= {TARGET_RATIO}: "
        + ("met" if ratio >= TARGET_RATIO else "NOT met")
        + ")"
    )
    peak = api.peak_rss() / 2**20
    print(
        f"API process peak RSS (VmHWM): {peak:.0f} MB  (target < {TARGET_RSS_MB} MB: "
        + ("met" if peak < TARGET_RSS_MB else "NOT met")
        + f");  now {api.rss() / 2**20:.0f} MB;  bare app peak {bare.peak_rss() / 2**20:.0f} MB"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per scenario")
    parser.add_argument("--connections", type=int, default=16, help="concurrent connections")
    parser.add_argument("--threads", type=int, default=1, help="wrk threads")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds before each reading")
    parser.add_argument("--reseed", action="store_true", help="rebuild the seeded database")
    parser.add_argument(
        "--only",
        choices=["pet-read"],
        help="pet-read: only the bare read and the owner's pet read (the ratio's two scenarios)",
    )
    parser.add_argument(
        "--python-load", action="store_true", help="use the Python generator even with wrk"
    )
    options = parser.parse_args()
    if options.connections < options.threads:
        parser.error("--connections must be at least --threads")

    url = ensure_seeded(build_database_url(database_url()), reseed=options.reseed)
    fixture = prepare(url)
    workdir = Path(tempfile.mkdtemp(prefix="vet-bench-api-"))
    api, bare, ports = start_servers(url, workdir)
    try:
        print(f"API RSS after start: {api.rss() / 2**20:.0f} MB", flush=True)
        scenarios = build_scenarios(fixture, api, bare, ports, options)
        if options.only == "pet-read":
            scenarios = scenarios[:2]  # bare first, then the pet read: print_targets reads both
        for scenario in scenarios:
            preflight(scenario)
        use_wrk = shutil.which("wrk") is not None and not options.python_load
        reason = "--python-load" if options.python_load else "wrk is not on PATH"
        generator = (
            "wrk"
            if use_wrk
            else f"Python asyncio + httpx ({reason}): it caps the rates itself, the bare one most"
        )
        print(f"load generator: {generator}", flush=True)
        results = run_scenarios(scenarios, workdir, options, use_wrk=use_wrk)
        print_table(results, generator, options)
        print_targets(results, api, bare)
    finally:
        api.stop()
        bare.stop()
    shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
