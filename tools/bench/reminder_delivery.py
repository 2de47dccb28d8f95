"""Benchmark (not a test): delivering reminders to many households with concurrent passes.

    uv run --package vet-services python tools/bench/reminder_delivery.py [--households N] [--workers W]

Seeds a database of its own (``vet_bench_reminders`` on ``DATABASE_URL``'s server, or on the
embedded PostgreSQL): N owners (default 2,000) with two pets each, every pet with a vaccination
reminder due now. It then runs W workers (default 4) at once, each repeating
``run_reminder_pass`` (100 households per transaction, committed) until nothing is left, all
sending e-mail to an aiosmtpd server on loopback. It prints the messages per second and checks
the promise the pass makes: every owner received exactly one message naming both pets.
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import sys
import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from sqlalchemy import URL

from vet_core.database.engine import build_database_url, create_engine
from vet_core.database.session import SessionFactory, create_session_factory
from vet_core.embedded import database_url
from vet_core.models import Clinic, Pet, Reminder, User, Vaccination
from vet_core.models.enums import ReminderKind, Species, UserRole
from vet_core.testing import create_database, migrate
from vet_services.notifications.channels import EmailChannel
from vet_services.notifications.dispatcher import Dispatcher
from vet_services.notifications.settings import SmtpSettings
from vet_services.reminders.planner import run_reminder_pass

DATABASE = "vet_bench_reminders"
NOW = datetime(2031, 3, 3, 15, 0, tzinfo=UTC)
BATCH = 100


class Sink:
    """Counts recipients of what it receives."""

    def __init__(self) -> None:
        self.recipients: Counter[str] = Counter()
        self.two_pets = 0

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.recipients.update(envelope.rcpt_tos)
        content = envelope.content if isinstance(envelope.content, bytes) else b""
        if b"Care reminders for Bella and Rex" in content:
            self.two_pets += 1
        return "250 OK"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def seed(factory: SessionFactory, households: int) -> None:
    async with factory() as session, session.begin():
        clinic = Clinic(
            name="Bench Animal Hospital",
            slug="bench-animal-hospital",
            address_line1="1 Bench Road",
            city="Springfield",
            country_code="US",
            timezone="America/New_York",
            latitude=40.7,
            longitude=-74.0,
        )
        session.add(clinic)
        await session.flush()
        for start in range(0, households, 500):
            owners = [
                User(
                    clerk_user_id=f"bench_{n}",
                    email=f"owner{n}@bench.example",
                    first_name="Owner",
                    last_name=str(n),
                    role=UserRole.PET_OWNER,
                    preferences={
                        "timezone": "America/New_York",
                        "notification_channels": ["email"],
                    },
                )
                for n in range(start, min(start + 500, households))
            ]
            session.add_all(owners)
            await session.flush()
            pets = [
                Pet(owner_id=owner.id, name=name, species=Species.DOG, birth_date=date(2020, 1, 1))
                for owner in owners
                for name in ("Rex", "Bella")
            ]
            session.add_all(pets)
            await session.flush()
            vaccinations = [
                Vaccination(
                    pet_id=pet.id,
                    clinic_id=clinic.id,
                    vaccine_name="Rabies",
                    administered_at=datetime(2028, 3, 17, tzinfo=UTC),
                    next_due_on=date(2031, 3, 17),
                )
                for pet in pets
            ]
            session.add_all(vaccinations)
            await session.flush()
            session.add_all(
                Reminder(
                    pet_id=v.pet_id,
                    kind=ReminderKind.VACCINATION,
                    title="Rabies vaccination due",
                    due_at=NOW - timedelta(minutes=1),
                    vaccination_id=v.id,
                )
                for v in vaccinations
            )
            await session.flush()


async def worker(factory: SessionFactory, dispatcher: Dispatcher) -> int:
    messages = 0
    while True:
        async with factory() as session, session.begin():
            report = await run_reminder_pass(session, NOW, dispatcher, limit=BATCH)
        messages += report.messages
        if not report.sent and not report.cancelled and not report.completed:
            return messages


async def run(url: URL, households: int, workers: int) -> int:
    engine = create_engine(url=url)
    factory = create_session_factory(engine)
    sink = Sink()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        started = time.perf_counter()
        await seed(factory, households)
        print(f"seeded {households} households in {time.perf_counter() - started:.1f} s")
        dispatcher = Dispatcher(
            [EmailChannel(SmtpSettings(host="127.0.0.1", port=port, start_tls=False))]
        )
        started = time.perf_counter()
        sent = await asyncio.gather(*(worker(factory, dispatcher) for _ in range(workers)))
        elapsed = time.perf_counter() - started
        print(
            f"{workers} workers delivered {sum(sent)} messages ({', '.join(map(str, sent))}) "
            f"in {elapsed:.1f} s: {sum(sent) / elapsed:.0f} messages/s"
        )
        once = all(count == 1 for count in sink.recipients.values())
        ok = len(sink.recipients) == households and once and sink.two_pets == households
        print(
            f"owners reached: {len(sink.recipients)}/{households}, each exactly once: {once}, "
            f"one message naming both pets: {sink.two_pets}/{households} -> "
            + ("OK" if ok else "FAILED")
        )
        return 0 if ok else 1
    finally:
        controller.stop()
        await engine.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--households", type=int, default=2_000)
    parser.add_argument("--workers", type=int, default=4)
    options = parser.parse_args()
    url = create_database(build_database_url(database_url()), DATABASE)
    migrate(url)
    return asyncio.run(run(url, options.households, options.workers))


if __name__ == "__main__":
    sys.exit(main())
