"""Benchmark (not a test): reminder deliveries per second of ONE real Celery worker.

    uv run --package vet-clinic-background-jobs python tools/bench/reminder_worker.py \
        [--reminders 10000] [--concurrency 4]

Seeds a database of its own (``vet_bench_jobs`` on ``DATABASE_URL``'s server, or on the embedded
PostgreSQL) with N owners, one pet each and one refill reminder due now; starts a Redis of its own
(a folder in the temp directory) and an aiosmtpd server on loopback; then starts one
``celery worker`` process (prefork, ``--concurrency`` pool processes) and publishes as many
``reminders.run_pass`` tasks, which share the due rows through ``SKIP LOCKED``. It prints the
deliveries per second from the first publication to the last e-mail received, and checks that
every owner got exactly one e-mail and the database holds exactly one e-mail delivery each.
Target: at least 200 deliveries per second.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from sqlalchemy import URL, func, insert, select

from vet_clinic_jobs.celery_app import create_celery_app
from vet_clinic_jobs.routing import QUEUES
from vet_core.database.engine import build_database_url, create_engine
from vet_core.embedded import EmbeddedRedis, database_url
from vet_core.models import NotificationDelivery, Pet, Reminder, User
from vet_core.models.enums import NotificationChannel, ReminderKind, ReminderStatus, UserRole
from vet_core.testing import create_database, drop_database, migrate
from vet_core.utils.time import utcnow

DATABASE = "vet_bench_jobs"
CHUNK = 1_000


class Sink:
    """Counts e-mails per recipient (a thread-safe counter: aiosmtpd runs in its own thread)."""

    def __init__(self) -> None:
        self.recipients: Counter[str] = Counter()
        self.lock = threading.Lock()

    def total(self) -> int:
        with self.lock:
            return sum(self.recipients.values())

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        with self.lock:
            self.recipients.update(envelope.rcpt_tos)
        return "250 OK"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def seed(url: URL, count: int) -> None:
    """``count`` owners (e-mail only), one pet each, one reminder each due a minute ago."""
    engine = create_engine(url=url)
    due = utcnow() - timedelta(minutes=1)
    try:
        async with engine.begin() as connection:
            for start in range(0, count, CHUNK):
                numbers = range(start, min(start + CHUNK, count))
                owner_ids = (
                    (
                        await connection.execute(
                            insert(User).returning(User.id),
                            [
                                {
                                    "clerk_user_id": f"bench_{n}",
                                    "email": f"owner{n}@bench.example",
                                    "first_name": "Owner",
                                    "last_name": str(n),
                                    "role": UserRole.PET_OWNER,
                                    "preferences": {"notification_channels": ["email"]},
                                }
                                for n in numbers
                            ],
                        )
                    )
                    .scalars()
                    .all()
                )
                pet_ids = (
                    (
                        await connection.execute(
                            insert(Pet).returning(Pet.id),
                            [
                                {
                                    "owner_id": owner,
                                    "name": "Rex",
                                    "species": "dog",
                                    "birth_date": date(2020, 1, 1),
                                }
                                for owner in owner_ids
                            ],
                        )
                    )
                    .scalars()
                    .all()
                )
                await connection.execute(
                    insert(Reminder),
                    [
                        {
                            "pet_id": pet,
                            "kind": ReminderKind.MEDICATION,
                            "title": "Refill of heartworm tablets",
                            "due_at": due,
                            "status": ReminderStatus.PENDING,
                        }
                        for pet in pet_ids
                    ],
                )
    finally:
        await engine.dispose()


async def database_counts(url: URL) -> tuple[int, int]:
    """(e-mail deliveries recorded, reminders still pending)."""
    engine = create_engine(url=url, pooled=False)
    try:
        async with engine.connect() as connection:
            deliveries = await connection.scalar(
                select(func.count())
                .select_from(NotificationDelivery)
                .where(NotificationDelivery.channel == NotificationChannel.EMAIL)
            )
            pending = await connection.scalar(
                select(func.count())
                .select_from(Reminder)
                .where(Reminder.status == ReminderStatus.PENDING)
            )
        return int(deliveries or 0), int(pending or 0)
    finally:
        await engine.dispose()


def start_worker(
    environment: dict[str, str], concurrency: int, log: Path
) -> subprocess.Popen[bytes]:
    command = [
        sys.executable, "-m", "celery", "-A", "vet_clinic_jobs.celery_app", "worker",
        "--pool=prefork", f"--concurrency={concurrency}", f"--queues={','.join(QUEUES)}",
        "--without-gossip", "--without-mingle", "--without-heartbeat", "--loglevel=WARNING",
        f"--hostname=bench-{os.getpid()}@localhost",
    ]  # fmt: skip
    return subprocess.Popen(
        command, env=environment, stdout=log.open("wb"), stderr=subprocess.STDOUT
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--reminders", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=4, help="pool processes of the worker")
    parser.add_argument("--timeout", type=float, default=600)
    options = parser.parse_args()

    server = database_url()
    url = create_database(server, DATABASE)
    migrate(url)
    folder = Path(tempfile.mkdtemp(prefix="vet-bench-jobs-"))
    redis = EmbeddedRedis(folder)
    sink = Sink()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    worker = None
    try:
        started = time.perf_counter()
        asyncio.run(seed(url, options.reminders))
        print(f"seeded {options.reminders} due reminders in {time.perf_counter() - started:.1f} s")
        redis_url = redis.start()
        environment = {
            **os.environ,
            "DATABASE_URL": build_database_url(url).render_as_string(hide_password=False),
            "REDIS_URL": redis_url,
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": str(port),
            "SMTP_START_TLS": "false",
            "JOBS_REMINDER_BATCH_SIZE": "100",
        }
        worker = start_worker(environment, options.concurrency, folder / "worker.log")
        publisher = create_celery_app(redis_url=redis_url)
        # Warm up: the worker's processes are ready once a trivial task comes back.
        publisher.send_task("maintenance.health").get(timeout=120)
        started = time.perf_counter()
        for number in range(options.concurrency):
            publisher.send_task("reminders.run_pass", task_id=f"bench-pass-{number}")
        deadline = time.monotonic() + options.timeout
        while sink.total() < options.reminders and time.monotonic() < deadline:
            time.sleep(0.05)
        elapsed = time.perf_counter() - started
        delivered = sink.total()
        print(
            f"one worker ({options.concurrency} processes) delivered {delivered} reminders in "
            f"{elapsed:.1f} s: {delivered / elapsed:.0f} deliveries/s (target >= 200)"
        )
        # A further pass must find nothing left to send.
        publisher.send_task("reminders.run_pass", task_id="bench-final").get(timeout=120)
        time.sleep(1)
        deliveries, pending = asyncio.run(database_counts(url))
        duplicates = sum(count - 1 for count in sink.recipients.values() if count > 1)
        ok = (
            len(sink.recipients) == options.reminders
            and sink.total() == options.reminders
            and duplicates == 0
            and deliveries == options.reminders
            and pending == 0
        )
        print(
            f"owners reached {len(sink.recipients)}/{options.reminders}, e-mails {sink.total()},"
            f" duplicates {duplicates}, delivery rows {deliveries}, still pending {pending}"
            f" -> {'OK' if ok else 'FAILED'}"
        )
        return 0 if ok else 1
    finally:
        if worker is not None:
            worker.send_signal(signal.SIGTERM)
            try:
                worker.wait(timeout=30)
            except subprocess.TimeoutExpired:
                worker.kill()
        controller.stop()
        redis.stop()
        drop_database(server, DATABASE)


if __name__ == "__main__":
    sys.exit(main())
