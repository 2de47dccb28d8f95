"""End-to-end: a booking over HTTP reaches the owner as a confirmation, then as the 24 h reminder.

    uv run --all-packages python tools/e2e.py        (or: nox -s e2e)

Everything runs as it does in production, as separate processes on real servers:

* PostgreSQL and Redis: ``DATABASE_URL`` / ``REDIS_URL``'s servers when set, else the embedded
  ones; a database of its own (dropped at the end) and a Redis database of its own;
* the API (``vet-clinic-api serve``), trusting Clerk-shaped RS256 tokens through a JWKS that this
  script serves on loopback, as Clerk would;
* the worker, beat and the outbox relay (``vet-clinic-jobs``), sending e-mail to an SMTP server
  that this script runs on loopback (aiosmtpd).

The script creates a pet and books its first free visit from 25 hours ahead over HTTP, with
the owner's own token, and waits for the confirmation e-mail. It checks that no reminder leaves
early, then restarts the jobs processes with their clock moved forward by configuration
(``JOBS_CLOCK_OFFSET_SECONDS``) to just past the 24 h mark, and waits for the reminder: one
confirmation and one reminder, no duplicates, and the 2 h reminder still pending. No step sleeps
for the hours it simulates.
"""

from __future__ import annotations

import http.server
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx
import jwt
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy import select

from vet_clinic_api.demo_data import load_demo_data
from vet_core.database import create_engine, create_session_factory, transaction
from vet_core.models import Clinic
from vet_core.testing import create_database, drop_database, migrate, run_sync, with_redis_db

ROOT = Path(__file__).resolve().parent.parent
ISSUER = "https://clerk.e2e.invalid"
KEY_ID = "e2e-key"
#: A Redis database of our own, emptied first: the last of a default server's 16 (development
#: uses 0; the test suites count up from 1, one per xdist worker).
REDIS_DB = 15
OWNER_EMAIL = "e2e.owner@example.com"
#: How long any one awaited event may take before the run fails.
PATIENCE = 90.0


def log(message: str) -> None:
    print(f"[e2e {time.strftime('%H:%M:%S')}] {message}", flush=True)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for(what: str, check: Callable[[], Any], timeout: float = PATIENCE) -> Any:
    """Poll ``check`` until it returns something truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.25)
    raise TimeoutError(f"gave up waiting for {what} after {timeout:.0f} s")


# --- loopback stand-ins for the outside world -------------------------------------------------


@dataclass
class Mailbox:
    """Every e-mail the SMTP server on loopback accepted."""

    mails: list[EmailMessage] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        message = message_from_bytes(envelope.original_content or b"", policy=policy.default)
        assert isinstance(message, EmailMessage)
        with self.lock:
            self.mails.append(message)
        return "250 OK"

    def to(self, address: str) -> list[EmailMessage]:
        with self.lock:
            return [mail for mail in self.mails if address in str(mail["To"])]


class Clerk:
    """A signing key, its JWKS served on loopback, and session tokens signed with it."""

    def __init__(self) -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key()))
        body = json.dumps({"keys": [{**jwk, "kid": KEY_ID, "use": "sig", "alg": "RS256"}]})

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(body.encode())

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.jwks_url = f"http://127.0.0.1:{self.server.server_port}/.well-known/jwks.json"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def token(self, user_id: str, email: str, first: str, last: str) -> str:
        now = int(time.time())
        claims = {
            "iss": ISSUER,
            "sub": user_id,
            "sid": f"sess_{user_id}",
            "email": email,
            "first_name": first,
            "last_name": last,
            "iat": now,
            "nbf": now,
            "exp": now + 3600,
        }
        return jwt.encode(claims, self.key, algorithm="RS256", headers={"kid": KEY_ID})

    def close(self) -> None:
        self.server.shutdown()


# --- the platform's processes -----------------------------------------------------------------


@dataclass
class Process:
    name: str
    popen: subprocess.Popen[bytes]
    log_path: Path

    def stop(self) -> None:
        """SIGTERM to its process group (Celery's pool children too), SIGKILL if it lingers."""
        if self.popen.poll() is None:
            os.killpg(self.popen.pid, signal.SIGTERM)
            try:
                self.popen.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait()

    def tail(self, lines: int = 40) -> str:
        text = self.log_path.read_text(errors="replace").splitlines()
        return "\n".join(f"  {self.name}| {line}" for line in text[-lines:])


def start(name: str, argv: list[str], env: dict[str, str], logs: Path) -> Process:
    log_path = logs / f"{name}.log"
    out = log_path.open("ab")
    popen = subprocess.Popen(
        [sys.executable, *argv],
        env=env,
        stdout=out,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        cwd=ROOT,
    )
    return Process(name, popen, log_path)


def start_jobs(env: dict[str, str], logs: Path, clock_offset: float) -> list[Process]:
    """Worker, beat and relay, each a process of its own, with the jobs' clock ``clock_offset`` s ahead."""
    jobs_env = {**env, "JOBS_CLOCK_OFFSET_SECONDS": str(clock_offset)}
    return [
        start(
            "worker",
            [
                "-m",
                "vet_clinic_jobs.cli",
                "worker",
                "--concurrency=2",
                f"--hostname=e2e-{uuid.uuid4().hex[:6]}@%h",
            ],
            jobs_env,
            logs,
        ),
        start(
            "beat",
            ["-m", "vet_clinic_jobs.cli", "beat", f"--schedule={logs / 'beat-schedule'}"],
            jobs_env,
            logs,
        ),
        start("relay", ["-m", "vet_clinic_jobs.cli", "relay"], jobs_env, logs),
    ]


# --- servers and data -------------------------------------------------------------------------


@contextmanager
def platform_servers() -> Iterator[tuple[str, str]]:
    """(database URL, Redis URL): a fresh migrated database and a Redis database of our own."""
    from vet_core import embedded

    server = os.environ.get("DATABASE_URL") or embedded.database_url()
    redis = with_redis_db(os.environ.get("REDIS_URL") or embedded.redis_url(), REDIS_DB)
    name = f"vet_test_e2e_{os.getpid()}"
    database = create_database(server, name).render_as_string(hide_password=False)
    try:
        migrate(database)
        import redis as redis_client

        redis_client.Redis.from_url(redis).flushdb()
        yield database, redis
    finally:
        drop_database(server, name)


async def seed(database: str) -> list[str]:
    """The demo clinics, veterinarians and their weekly hours; the clinic ids."""
    engine = create_engine(url=database, pooled=False)
    try:
        async with transaction(create_session_factory(engine)) as session:
            await load_demo_data(session)
            return [str(i) for i in await session.scalars(select(Clinic.id).order_by(Clinic.name))]
    finally:
        await engine.dispose()


# --- the scenario -----------------------------------------------------------------------------


def book_a_visit(api: httpx.Client, clinic_ids: list[str]) -> dict[str, Any]:
    """Create a pet and book its first free visit from 25 hours ahead, through the API, as its owner."""
    pet = api.post("/pets", json={"name": "Biscuit", "species": "dog", "birth_date": "2022-04-01"})
    if pet.status_code != 201:
        raise AssertionError(f"creating the pet failed: {pet.status_code} {pet.text}")
    now = datetime.now(UTC)
    # A day and an hour ahead at least, so that the 24 h reminder is not due at booking time;
    # within the week, whatever weekday this runs on.
    earliest, latest = now + timedelta(hours=25), now + timedelta(days=6)
    for clinic_id in clinic_ids:
        slots = api.get(
            f"/clinics/{clinic_id}/slots",
            params={
                "start": (earliest - timedelta(days=1)).date().isoformat(),
                "end": (latest + timedelta(days=1)).date().isoformat(),
                "service_type": "wellness_exam",
            },
        )
        slots.raise_for_status()
        for slot in slots.json():
            starts_at = datetime.fromisoformat(slot["starts_at"])
            if earliest <= starts_at <= latest:
                booked = api.post(
                    "/appointments",
                    headers={"Idempotency-Key": f"e2e-{uuid.uuid4()}"},
                    json={
                        "pet_id": pet.json()["id"],
                        "veterinarian_id": slot["veterinarian_id"],
                        "clinic_id": clinic_id,
                        "service_type": "wellness_exam",
                        "starts_at": slot["starts_at"],
                    },
                )
                if booked.status_code != 201:
                    raise AssertionError(f"booking failed: {booked.status_code} {booked.text}")
                return {**booked.json(), "pet_name": pet.json()["name"]}
    raise AssertionError("no clinic had a free slot in the coming week")


def run(logs: Path) -> None:
    mailbox = Mailbox()
    smtp = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    smtp.start()
    clerk = Clerk()
    processes: list[Process] = []
    try:
        with platform_servers() as (database, redis):
            try:
                scenario(database, redis, clerk, mailbox, smtp.port, logs, processes)
            except BaseException:
                for process in processes:
                    print(process.tail(), file=sys.stderr)
                raise
            finally:
                # Before the database is dropped under them.
                for process in reversed(processes):
                    process.stop()
    finally:
        clerk.close()
        smtp.stop()


def scenario(
    database: str,
    redis: str,
    clerk: Clerk,
    mailbox: Mailbox,
    smtp_port: int,
    logs: Path,
    processes: list[Process],
) -> None:
    """Start the platform, book, and see the confirmation and then the reminder arrive."""
    clinic_ids = run_sync(seed(database))
    log(f"database and Redis ready; {len(clinic_ids)} demo clinics")
    api_port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database,
        "REDIS_URL": redis,
        "CLERK_ISSUER": ISSUER,
        "CLERK_JWKS_URL": clerk.jwks_url,
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(smtp_port),
        "SMTP_START_TLS": "false",
        "JOBS_REMINDER_INTERVAL": "2",
        "JOBS_RELAY_POLL_INTERVAL": "0.2",
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("DATABASE_READ_URL", None)
    processes.append(
        start(
            "api",
            [
                "-m",
                "vet_clinic_api.cli",
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(api_port),
            ],
            env,
            logs,
        )
    )
    jobs = start_jobs(env, logs, clock_offset=0)
    processes.extend(jobs)
    base = f"http://127.0.0.1:{api_port}"

    def api_ready() -> bool:
        for process in processes:
            if process.popen.poll() is not None:
                raise RuntimeError(f"{process.name} exited with {process.popen.returncode}")
        try:
            return httpx.get(f"{base}/health/ready", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    wait_for("the API to be ready", api_ready)
    log("API, worker, beat and relay started")

    token = clerk.token("user_e2e_owner", OWNER_EMAIL, "Erin", "Tester")
    with httpx.Client(
        base_url=f"{base}/api/v1",
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    ) as api:
        booked = book_a_visit(api, clinic_ids)
    starts_at = datetime.fromisoformat(booked["starts_at"])
    log(f"booked {booked['id']} at {starts_at.isoformat()} over HTTP")

    confirmation = wait_for(
        "the booking confirmation e-mail",
        lambda: [m for m in mailbox.to(OWNER_EMAIL) if "Appointment" in str(m["Subject"])],
    )[0]
    log(f"confirmation arrived: {confirmation['Subject']!r}")
    assert booked["pet_name"] in str(confirmation["Subject"])

    # Several reminder passes run (every 2 s) at real time: nothing else may arrive.
    time.sleep(6)
    early = mailbox.to(OWNER_EMAIL)
    assert len(early) == 1, [str(m["Subject"]) for m in early]
    log("no reminder before its time")

    for process in jobs:
        process.stop()
        processes.remove(process)
    due = starts_at - timedelta(hours=24)
    offset = (due - datetime.now(UTC)).total_seconds() + 60
    log(f"restarting the jobs with their clock {timedelta(seconds=round(offset))} ahead")
    processes.extend(start_jobs(env, logs, clock_offset=offset))

    reminder = wait_for(
        "the 24 h reminder e-mail",
        lambda: [m for m in mailbox.to(OWNER_EMAIL) if "Reminder" in str(m["Subject"])],
    )[0]
    log(f"reminder arrived: {reminder['Subject']!r}")
    assert booked["pet_name"] in str(reminder["Subject"])
    body = reminder.get_body(("plain",))
    assert body is not None
    assert booked["pet_name"] in body.get_content()

    time.sleep(6)  # more passes: a duplicate, or the 2 h reminder, would show up here
    received = [str(m["Subject"]) for m in mailbox.to(OWNER_EMAIL)]
    assert len(received) == 2, received
    log("exactly one confirmation and one reminder; the 2 h reminder is not due yet")


def main() -> int:
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="vet-e2e-") as folder:
        run(Path(folder))
    log(f"passed in {time.monotonic() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
